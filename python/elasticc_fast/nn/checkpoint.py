"""Orbax checkpoints of training state, shared by the single-device (:mod:`.train`) and the
data-parallel (:mod:`elasticc_fast.scale.sharded`) loops.

Each pytree is stored as its leaves under numbered keys; the structure comes back from a template
built by the model, so nothing but arrays and a JSON ``meta`` dict is written.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import jax
import numpy as np


def checkpoint_manager(out_dir: Path) -> Any:
    """Synchronous Orbax manager of ``out_dir/checkpoints`` keeping the latest step."""
    import orbax.checkpoint as ocp

    opts = ocp.CheckpointManagerOptions(max_to_keep=1, create=True, enable_async_checkpointing=False)
    return ocp.CheckpointManager(Path(out_dir).resolve() / "checkpoints", options=opts)


def save_trees(mgr: Any, step: int, trees: dict, meta: dict,
               to_host: Callable[[Any], Any] = np.asarray) -> None:
    """Save ``{name: pytree}`` and ``meta`` (JSON) as ``step``; ``to_host`` turns a leaf into NumPy."""
    import orbax.checkpoint as ocp

    leaves = {k: {f"{i:05d}": to_host(a) for i, a in enumerate(jax.tree.leaves(v))} for k, v in trees.items()}
    mgr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(leaves), meta=ocp.args.JsonSave(meta)))
    mgr.wait_until_finished()


def restore_trees(mgr: Any, templates: dict) -> tuple[dict, dict, int] | None:
    """(``{name: pytree of NumPy leaves}`` shaped like ``templates``, meta, step) of the latest
    checkpoint, or None when there is none; a template name the checkpoint lacks is left out."""
    import orbax.checkpoint as ocp

    step = mgr.latest_step()
    if step is None:
        return None
    got = mgr.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(), meta=ocp.args.JsonRestore()))
    trees = {}
    for k, tmpl in templates.items():
        if k not in got.state:  # e.g. the ``top_i`` trees of a run saved without them
            continue
        leaves, treedef = jax.tree.flatten(tmpl)
        stored = got.state[k]
        trees[k] = jax.tree.unflatten(treedef, [np.asarray(stored[f"{i:05d}"]) for i in range(len(leaves))])
    return trees, got.meta, step
