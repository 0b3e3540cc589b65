"""The machine line every benchmark script prints (kept in the package: ``elasticc-fast benchmark``
prints the same one)."""
from elasticc_fast.benchmarks.machine import cpu_model, jsonable, machine, write_json  # noqa: F401

__all__ = ["cpu_model", "jsonable", "machine", "write_json"]
