"""The machine line every benchmark prints beside its numbers (results are only comparable on the
same machine and load)."""
from __future__ import annotations

import os
import platform
from typing import Any


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """CPU model, logical CPUs, OS, Python and the load average when called."""
    return (f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")


def jsonable(obj: Any) -> Any:
    """``obj`` with NumPy arrays and scalars, pandas objects and tuples turned into JSON types
    (NaN stays NaN: Python's json writes it as ``NaN``)."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "to_dict") and callable(obj.to_dict):  # pandas Series / DataFrame
        return jsonable(obj.to_dict())
    return obj


def write_json(path: str | os.PathLike, results: dict) -> None:
    """The results of a benchmark as JSON at ``path`` (written under a temporary name, renamed),
    with the machine line and the command that produced them."""
    import json
    import sys

    from ..atomic import atomic_path

    doc = {"machine": machine(), "command": " ".join(sys.argv), **jsonable(results)}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
