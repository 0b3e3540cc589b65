"""One module per CLI verb; discovered by :mod:`elasticc_fast.cli` (see its docstring)."""
