"""Data-parallel training (jax.sharding) on 2 host CPU devices equals training on 1 device, and
the streamed path (fit_stream) equals the in-memory one (fit) on the same windows.

XLA_FLAGS=--xla_force_host_platform_device_count=2 must be set before JAX starts, so the
comparison runs in a fresh Python process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

SCRIPT = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    import jax
    import numpy as np
    from elasticc_fast.nn import TrainConfig
    from elasticc_fast.scale import (ShardStream, fit_stream, global_batch, make_mesh, open_shards,
                                     write_manifest, write_shard)
    from elasticc_fast.taxonomy import ORACLE_TREE

    root = Path(sys.argv[1])
    rng = np.random.default_rng(0)
    leaves = np.asarray(ORACLE_TREE.leaves)[[0, 3, 7]]
    metas = {}
    for k in range(3):
        n, t = 40, 12
        lengths = rng.integers(1, t + 1, n).astype(np.int32)
        x = rng.normal(size=(n, t, 5)).astype(np.float32) * (np.arange(t)[None, :, None] < lengths[:, None, None])
        metas[f"s{k}"] = write_shard(root / "shards" / f"s{k}", x=x, lengths=lengths,
                                     static=rng.normal(size=(n, 4)).astype(np.float32),
                                     label=rng.choice(leaves, n), source=np.arange(n) + 100 * k,
                                     t_end=np.zeros(n))
    write_manifest(root, metas, {"tree": ORACLE_TREE.to_dict()})
    ds = open_shards(root)
    assert len(jax.devices()) == 2, jax.devices()
    mesh2, mesh1 = make_mesh(), make_mesh(jax.devices()[:1])

    # the batch really is split: each device holds half of the rows
    b = next(iter(ShardStream(ds, 16)))
    xg = global_batch(b, mesh2)[0]
    shard_rows = sorted(s.data.shape[0] for s in xg.addressable_shards)

    cfg = TrainConfig(epochs=3, batch_size=16, hidden=8, buckets=(12,), val_fraction=0.0,
                      learning_rate=5e-3, seed=1).replace(max_length=12)
    out = {"shard_rows": shard_rows, "devices": [len(mesh2.devices.ravel()), len(mesh1.devices.ravel())]}
    for name, mesh in (("two", mesh2), ("one", mesh1)):
        res = fit_stream(ds, ORACLE_TREE, cfg, mesh=mesh)
        from flax import nnx
        params = jax.tree.leaves(nnx.state(res.model, nnx.Param))
        out[name] = {"loss": [h["loss"] for h in res.history],
                     "params": [np.asarray(p).ravel().tolist() for p in params]}
    print("RESULT" + json.dumps(out))
''')


def test_two_devices_train_like_one(tmp_path):
    env = dict(os.environ)
    # the child imports the same elasticc_fast as this process (source tree or installed)
    env.update(XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    out = json.loads(line[len("RESULT"):])
    assert out["devices"] == [2, 1]
    assert out["shard_rows"] == [8, 8]
    two, one = out["two"], out["one"]
    assert len(two["loss"]) == len(one["loss"]) == 3
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-5)
    assert two["loss"][-1] < two["loss"][0]  # it did learn something
    assert len(two["params"]) == len(one["params"]) > 0
    for a, b in zip(two["params"], one["params"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _tiny(root: Path, label: int, tree_dict: dict | None) -> Path:
    from elasticc_fast.scale import write_manifest, write_shard

    n = 8
    meta = write_shard(root / "shards" / "a", x=np.zeros((n, 4, 5), np.float32), lengths=np.ones(n, np.int32),
                       static=np.zeros((n, 2), np.float32), label=np.full(n, label), source=np.arange(n),
                       t_end=np.zeros(n))
    write_manifest(root, {"a": meta}, {"tree": tree_dict})
    return root


def test_fit_stream_refuses_unlabelled_shards_and_other_trees(tmp_path):
    import pytest

    from elasticc_fast.nn import TrainConfig
    from elasticc_fast.scale import fit_stream
    from elasticc_fast.taxonomy import ELASTICC_CLASS_TREE, ORACLE_TREE

    cfg = TrainConfig(epochs=1, batch_size=8, val_fraction=0.0)
    with pytest.raises(ValueError, match="no labels"):
        fit_stream(str(_tiny(tmp_path / "a", -1, None)), ORACLE_TREE, cfg)
    with pytest.raises(ValueError, match="labels index tree"):
        fit_stream(str(_tiny(tmp_path / "b", 7, ELASTICC_CLASS_TREE.to_dict())), ORACLE_TREE, cfg)
    with pytest.raises(ValueError, match="only static_encoding='standard'"):
        fit_stream(str(_tiny(tmp_path / "c", 7, ORACLE_TREE.to_dict())), ORACLE_TREE, cfg.replace(static_encoding="ple"))
    with pytest.raises(ValueError, match="carry no auxiliary targets"):
        fit_stream(str(_tiny(tmp_path / "d", 7, ORACLE_TREE.to_dict())), ORACLE_TREE,
                   cfg.replace(arch="hybrid", aux_targets=("redshift",), aux_weight=0.3))


def test_fit_stream_resume_equals_uninterrupted(tmp_path):
    import jax

    from elasticc_fast.nn import TrainConfig
    from elasticc_fast.scale import fit_stream, open_shards, write_manifest, write_shard
    from elasticc_fast.taxonomy import ORACLE_TREE

    rng = np.random.default_rng(3)
    metas = {}
    for k in range(2):
        n = 24
        metas[f"s{k}"] = write_shard(tmp_path / "data" / "shards" / f"s{k}", x=rng.normal(size=(n, 6, 5)).astype(np.float32),
                                     lengths=rng.integers(1, 7, n).astype(np.int32),
                                     static=rng.normal(size=(n, 2)).astype(np.float32),
                                     label=rng.choice(ORACLE_TREE.leaves[:4], n), source=np.arange(n) + 100 * k,
                                     t_end=np.zeros(n))
    write_manifest(tmp_path / "data", metas, {"tree": ORACLE_TREE.to_dict()})
    ds = open_shards(tmp_path / "data")
    cfg = TrainConfig(epochs=3, batch_size=8, hidden=8, buckets=(6,), val_fraction=0.0, seed=2)
    straight = fit_stream(ds, ORACLE_TREE, cfg)
    first = fit_stream(ds, ORACLE_TREE, cfg.replace(epochs=2), out_dir=tmp_path / "run")
    import pytest

    with pytest.raises(FileExistsError):
        fit_stream(ds, ORACLE_TREE, cfg, out_dir=tmp_path / "run")
    resumed = fit_stream(ds, ORACLE_TREE, cfg, out_dir=tmp_path / "run", resume=True)
    assert [h["epoch"] for h in resumed.history] == [0, 1, 2]
    assert resumed.history[:2] == first.history  # epochs 0 and 1 were restored, not run again
    np.testing.assert_allclose([h["loss"] for h in resumed.history], [h["loss"] for h in straight.history],
                               rtol=1e-6)
    from flax import nnx

    for a, b in zip(jax.tree.leaves(nnx.state(resumed.model, nnx.Param)),
                    jax.tree.leaves(nnx.state(straight.model, nnx.Param)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    assert (tmp_path / "run" / "config.json").is_file()


def test_fit_stream_result_becomes_a_classifier(tmp_path):
    from elasticc_fast import AugmentedBatch, Classifier
    from elasticc_fast.nn import TrainConfig
    from elasticc_fast.scale import fit_stream, open_shards, write_manifest, write_shard
    from elasticc_fast.taxonomy import ORACLE_TREE

    rng = np.random.default_rng(5)
    n, t = 32, 6
    x = rng.normal(size=(n, t, 5)).astype(np.float32)
    lengths = rng.integers(1, t + 1, n).astype(np.int32)
    static = rng.normal(size=(n, 2)).astype(np.float32)
    meta = write_shard(tmp_path / "data" / "shards" / "s0", x=x, lengths=lengths, static=static,
                       label=rng.choice(ORACLE_TREE.leaves[:4], n), source=np.arange(n), t_end=np.zeros(n))
    write_manifest(tmp_path / "data", {"s0": meta}, {"tree": ORACLE_TREE.to_dict()})
    res = fit_stream(open_shards(tmp_path / "data"), ORACLE_TREE,
                     TrainConfig(epochs=1, batch_size=8, hidden=8, buckets=(6,), val_fraction=0.0, seed=0))
    clf = Classifier.from_fit_result(res)
    win = AugmentedBatch(x=x, lengths=lengths, source=np.arange(n), t_end=np.zeros(n), static=static,
                         labels=None, feature_names=list(res.feature_names), static_names=list(res.static_names))
    p = clf.predict_proba(win)
    assert p.shape == (n, len(ORACLE_TREE))
    np.testing.assert_allclose(p.iloc[:, list(ORACLE_TREE.leaves)].sum(axis=1), 1.0, rtol=1e-5)
    clf.save(tmp_path / "model")
    again = Classifier.load(tmp_path / "model").predict_proba(win)
    np.testing.assert_allclose(again.to_numpy(), p.to_numpy(), rtol=1e-6)


def test_fit_and_fit_stream_train_the_same_model(tmp_path):
    """The in-memory and the streamed path share one loop and one train step: on the same windows
    (one batch per epoch, so batch order cannot differ) they give the same history and weights, and
    both keep the epoch that ``config.monitor`` names (here the best validation F1)."""
    import jax
    from flax import nnx

    from elasticc_fast import AugmentedBatch
    from elasticc_fast.nn import TrainConfig, fit
    from elasticc_fast.scale import fit_stream, make_mesh, open_shards, write_manifest, write_shard
    from elasticc_fast.taxonomy import ORACLE_TREE

    rng = np.random.default_rng(11)
    leaves = np.asarray(ORACLE_TREE.leaves)[[0, 3, 7]]

    def windows(n, t=8):
        lengths = rng.integers(1, t + 1, n).astype(np.int32)
        label = rng.choice(leaves, n)
        x = rng.normal(size=(n, t, 5)).astype(np.float32) * (np.arange(t)[None, :, None] < lengths[:, None, None])
        x[:, :, 1] += (label[:, None] == leaves[0])
        static = rng.normal(size=(n, 3)).astype(np.float32)
        return AugmentedBatch(x=x, lengths=lengths, source=np.arange(n), t_end=np.zeros(n), static=static,
                              labels=label, feature_names=["a", "b", "c", "d", "e"], static_names=["s0", "s1", "s2"])

    def shards(w, root):
        meta = write_shard(root / "shards" / "s0", x=w.x, lengths=w.lengths, static=w.static, label=w.labels,
                           source=w.source, t_end=w.t_end)
        write_manifest(root, {"s0": meta}, {"tree": ORACLE_TREE.to_dict()})
        return open_shards(root)

    train, val = windows(40), windows(24)
    cfg = TrainConfig(epochs=3, batch_size=48, hidden=8, buckets=(8,), val_fraction=0.0,
                      learning_rate=5e-3, eval_batch_size=32, patience=100, seed=4,
                      monitor="val_f1").replace(max_length=8)
    a = fit(train, None, ORACLE_TREE, cfg, val=val, show_progress=False)
    b = fit_stream(shards(train, tmp_path / "train"), ORACLE_TREE, cfg, val=shards(val, tmp_path / "val"),
                   mesh=make_mesh(jax.devices()[:1]))
    for key in ("loss", "val_loss", "val_f1", "val_acc"):
        np.testing.assert_allclose([h[key] for h in a.history], [h[key] for h in b.history], rtol=1e-5, err_msg=key)
    f1 = [h["val_f1"] for h in a.history]
    assert a.best_epoch == b.best_epoch == a.history[int(np.argmax(f1))]["epoch"]
    assert a.history[-1]["loss"] < a.history[0]["loss"]
    pa_, pb = (jax.tree.leaves(nnx.state(r.model, nnx.Param)) for r in (a, b))
    assert len(pa_) == len(pb) > 0
    for x, y in zip(pa_, pb, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-4, atol=1e-6)
