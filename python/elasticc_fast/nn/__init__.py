"""Neural hierarchical classifiers in JAX/Flax (nnx): loss, models, training.

- :mod:`.loss`: weighted hierarchical cross-entropy, conditional and marginal node probabilities.
- :mod:`.models`: :class:`GRUClassifier` (ORACLE's shape) and :class:`TransformerClassifier`
  (ATAT's time modulation and static-feature tokens).
- :mod:`.steps`: the jitted train, validation and inference steps over a device mesh.
- :mod:`.loop`: the one training loop (batch source, steps, best-epoch selector, checkpointer).
- :mod:`.train`: :func:`fit` over any :class:`~elasticc_fast.taxonomy.Tree`, :class:`TrainConfig`.
"""
from __future__ import annotations

import lazy_loader

# Lazy (SPEC 1): the CLI reads TrainConfig's defaults for --help without importing JAX.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["cache", "checkpoint", "config", "data", "hybrid", "hybrid_data", "hybrid_inputs", "loop", "loss",
                "models", "sampling", "steps", "train"],
    submod_attrs={
        "config": ["TrainConfig"],
        "loop": ["BestEpoch"],
        "loss": ["TreeArrays", "hierarchical_loss", "log_conditionals", "log_marginals", "marginals"],
        "models": ["GRUClassifier", "TransformerClassifier", "build_model"],
        "train": ["FitResult", "fit"],
    },
)
