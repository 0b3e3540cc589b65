"""The hierarchical light-curve classifier: scikit-learn-like front end to :mod:`elasticc_fast.nn`.

Public API (stable; other modules build on it)::

    from elasticc_fast import Classifier, LightCurveBatch
    from elasticc_fast.taxonomy import ORACLE_TREE

    clf = Classifier(tree=ORACLE_TREE, arch="gru", epochs=40, seed=0)   # keywords -> TrainConfig
    clf.fit(batch, labels=None, val=None, val_labels=None, out_dir=None, resume=False)
    probs = clf.predict_proba(batch)      # pandas DataFrame (n, K): marginal p(node), one column per node
    pred = clf.predict(batch)             # DataFrame: columns "leaf", "path", "probability"
    z = clf.embed(batch)                  # (n, 64) float32 penultimate-layer embedding
    win = clf.windows(batch, windows="days", days=(1, 2, 4))   # AugmentedBatch with the model's options
    probs_w = clf.predict_proba(win)      # one row per window; align with win.source / win.t_end
    clf.save(model_dir);  clf = Classifier.load(model_dir)

- ``batch`` is a raw :class:`~elasticc_fast.batch.LightCurveBatch` (``LightCurveBatch.from_arrow``
  of the converter's table) or an :class:`~elasticc_fast.augment.AugmentedBatch`. A
  ``LightCurveBatch`` is preprocessed and windowed with the options saved in the model
  (``windows="full"``: one row per object, indexed by object id; objects that preprocessing drops,
  those with no detection, are absent from the index). An ``AugmentedBatch`` is used as it is
  (build it with :meth:`Classifier.windows` so its features match the model's): one row per window,
  in window order (``RangeIndex``).
- ``labels`` for ``fit``: (n,) leaf names or node indices of ``tree``; by default ``batch.labels``
  (node indices) or, for the ELAsTiCC trees, the leaves of the ``model`` column
  (:func:`elasticc_fast.taxonomy.leaf_for_model`).
- Columns of ``predict_proba``: ``tree.nodes`` in tree order (root first, column ``Alert`` = 1);
  the leaf columns sum to 1, and so does each level (``tree.levels()``).
- ``save(dir)`` writes everything ``load(dir)`` needs (weights, the tree, the resolved
  ``TrainConfig``, the static-feature normalisation, the preprocess/augment options) as
  ``dir/model.json`` + an Orbax checkpoint ``dir/params``.
- Any :class:`~elasticc_fast.taxonomy.Tree` works (ZTF/ALeRCE trees too).
"""
