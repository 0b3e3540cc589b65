"""Benchmarks that ship with the package (``elasticc-fast benchmark``).

- :mod:`.bts`: the ZTF Bright Transient Survey classification benchmark (protocol, models);
- :mod:`.bts_report`: its Markdown tables;
- :mod:`.sim_to_real`: a model trained only on the built-in simulator, scored on the real ELAsTiCC sets;
- :mod:`.machine`: the machine line printed beside every measured number.

Speed benchmarks against other tools are scripts in the repository's ``benchmarks/`` folder.
"""
