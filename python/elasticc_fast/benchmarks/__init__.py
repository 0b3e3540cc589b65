"""Benchmarks that ship with the package (``elasticc-fast benchmark``).

- :mod:`.bts`: the ZTF Bright Transient Survey classification benchmark (protocol, models);
- :mod:`.bts_report`: its Markdown tables;
- :mod:`.machine`: the machine line printed beside every measured number.

Speed benchmarks against other tools are scripts in the repository's ``benchmarks/`` folder.
"""
