"""Neural hierarchical classifiers in JAX/Flax (nnx): loss, models, training.

- :mod:`.loss`: weighted hierarchical cross-entropy, conditional and marginal node probabilities.
- :mod:`.models`: :class:`GRUClassifier` (ORACLE's shape) and :class:`TransformerClassifier`
  (ATAT's time modulation and static-feature tokens).
- :mod:`.steps`: the jitted train, validation and inference steps over a device mesh.
- :mod:`.loop`: the one training loop (batch source, steps, best-epoch selector, checkpointer).
- :mod:`.train`: :func:`fit` over any :class:`~elasticc_fast.taxonomy.Tree`, :class:`TrainConfig`.
"""
from __future__ import annotations

from .config import TrainConfig
from .loop import BestEpoch
from .loss import TreeArrays, hierarchical_loss, log_conditionals, log_marginals, marginals
from .models import GRUClassifier, TransformerClassifier, build_model
from .train import FitResult, fit

__all__ = ["TrainConfig", "BestEpoch", "TreeArrays", "hierarchical_loss", "log_conditionals", "log_marginals",
           "marginals", "GRUClassifier", "TransformerClassifier", "build_model", "FitResult",
           "fit"]
