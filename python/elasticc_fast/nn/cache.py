"""JAX's persistent compilation cache, on by default in a per-user cache folder.

Compiled train/predict steps (one per length bucket) are then reused across processes: the
second ``elasticc-fast train`` or ``predict`` starts without recompiling. Set
``ELASTICC_FAST_JAX_CACHE`` to another folder, or to an empty string to turn it off.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
_done = False


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "elasticc_fast" / "jax"


def enable_compilation_cache() -> Path | None:
    """Turn the cache on once per process (unless the user configured JAX's own already)."""
    global _done
    import jax

    if _done:
        return None
    _done = True
    path = os.environ.get("ELASTICC_FAST_JAX_CACHE")
    if path == "":
        return None
    if jax.config.jax_compilation_cache_dir:
        return Path(jax.config.jax_compilation_cache_dir)
    cache = Path(path) if path else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # read-only home: run without the cache
        log.warning("JAX compilation cache disabled: cannot create %s (%s)", cache, e)
        return None
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return cache
