"""Shard format and ShardStream: every window once per epoch, fixed shapes, padding, per-process
shares, static normalisation from moments, and memory bounded by a few batches."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from elasticc_fast.nn.data import StaticNorm
from elasticc_fast.scale import ShardStream, open_shards, write_manifest, write_shard
from elasticc_fast.scale.shards import _merge_moments, static_moments

T, F, S = 24, 5, 3


def make_dataset(root: Path, sizes: list[int], seed: int = 0, t: int = T) -> Path:
    """Shards of random windows; x[i, 0, 0] holds a unique window id for bookkeeping."""
    rng = np.random.default_rng(seed)
    metas, wid = {}, 0
    for k, n in enumerate(sizes):
        x = rng.normal(size=(n, t, F)).astype(np.float32)
        x[:, 0, 0] = np.arange(wid, wid + n)
        static = rng.normal(3.0, 2.0, size=(n, S)).astype(np.float32)
        static[rng.random((n, S)) < 0.1] = np.nan  # missing values are left out of the moments
        name = f"part{k:03d}"
        metas[name] = write_shard(root / "shards" / name, x=x, lengths=rng.integers(1, t + 1, n).astype(np.int32),
                                  static=static, label=rng.integers(3, 6, n), source=np.arange(wid, wid + n),
                                  t_end=rng.random(n))
        wid += n
    write_manifest(root, metas, {"feature_names": list("abcde")})
    return root


def ids(batch) -> np.ndarray:
    return batch.x[batch.weight > 0, 0, 0].astype(np.int64)


def test_every_window_once_per_epoch_fixed_shapes(tmp_path):
    ds = open_shards(make_dataset(tmp_path, [37, 5, 64, 1, 50]))
    assert len(ds) == 157 and ds.T == T and ds.feature_names == tuple("abcde")
    stream = ShardStream(ds, batch_size=16, block_rows=4, seed=1)
    orders = []
    for epoch in range(2):
        batches = list(stream.epoch(epoch))
        assert len(batches) == len(stream) == 10
        assert {b.x.shape for b in batches} == {(16, T, F)}
        got = np.concatenate([ids(b) for b in batches])
        assert sorted(got.tolist()) == list(range(157))
        orders.append(got)
        last = batches[-1]
        assert last.weight.sum() == 157 - 9 * 16 and np.all(last.lengths >= 1)
        assert np.all(last.label[last.weight == 0] == 0)
    assert not np.array_equal(orders[0], orders[1]), "the order must change between epochs"
    # rows keep their own arrays together: label/lengths/static of a window match its shard
    full = {int(i): k for k in range(len(ds.shards)) for i in ds.load(k)["x"][:, 0, 0]}
    b = batches[0]
    for row in range(16):
        k = full[int(b.x[row, 0, 0])]
        arr = ds.load(k)
        j = int(np.flatnonzero(arr["x"][:, 0, 0] == b.x[row, 0, 0])[0])
        assert b.label[row] == arr["label"][j] and b.lengths[row] == arr["lengths"][j]
        np.testing.assert_array_equal(b.static[row], arr["static"][j])


def test_unshuffled_order_buckets_and_drop_last(tmp_path):
    ds = open_shards(make_dataset(tmp_path, [10, 10]))
    batches = list(ShardStream(ds, 8, shuffle=False, drop_last=True, buckets=(4, 8, 16)).epoch(5))
    assert len(batches) == 2
    assert np.concatenate([ids(b) for b in batches]).tolist() == list(range(16))
    for b in batches:
        t = b.x.shape[1]
        assert t in (4, 8, 16, T) and t >= b.lengths.max()
        assert t == T or b.lengths.max() > {4: 0, 8: 4, 16: 8}[t]


def test_processes_read_disjoint_halves_of_each_batch(tmp_path):
    ds = open_shards(make_dataset(tmp_path, [30, 21]))
    whole = list(ShardStream(ds, 12, seed=4).epoch(0))
    halves = [list(ShardStream(open_shards(tmp_path), 12, seed=4, process_index=p, process_count=2).epoch(0))
              for p in (0, 1)]
    for b, h0, h1 in zip(whole, *halves, strict=True):
        assert h0.x.shape == h1.x.shape == (6, T, F)
        np.testing.assert_array_equal(np.concatenate([h0.x, h1.x]), b.x)
        np.testing.assert_array_equal(np.concatenate([h0.weight, h1.weight]), b.weight)
    with pytest.raises(ValueError, match="multiple of process_count"):
        ShardStream(ds, 7, process_count=2)


def test_static_norm_from_moments_equals_fit_on_all_windows(tmp_path):
    ds = open_shards(make_dataset(tmp_path, [40, 3, 77]))
    allstatic = np.concatenate([ds.load(k)["static"] for k in range(len(ds.shards))])
    ref, got = StaticNorm.fit(allstatic), ds.static_norm()
    np.testing.assert_allclose(got.mean, ref.mean, rtol=1e-6)
    np.testing.assert_allclose(got.scale, ref.scale, rtol=1e-5)
    n, mean, m2 = _merge_moments([static_moments(allstatic[:10]), static_moments(allstatic[10:])])
    one = static_moments(allstatic)
    np.testing.assert_allclose(mean, one["mean"]) and np.testing.assert_allclose(m2, one["m2"])
    stream = ShardStream(ds, 30, static_norm=got, shuffle=False)
    b = next(iter(stream))
    np.testing.assert_allclose(b.static, got(allstatic[:30]), rtol=1e-6)


def test_split_by_shard_and_truncated_shard_error(tmp_path):
    ds = open_shards(make_dataset(tmp_path, [10] * 10))
    train, val = ds.split(0.3, seed=0)
    assert len(train.shards) + len(val.shards) == 10 and len(val.shards) >= 1
    assert not {s.name for s in train.shards} & {s.name for s in val.shards}
    x = tmp_path / "shards" / "part004" / "x.npy"
    x.write_bytes(x.read_bytes()[:-100])
    with pytest.raises(OSError, match="part004"):
        list(ShardStream(open_shards(tmp_path), 10, shuffle=False).epoch(0))


def _peak_bytes(stream: ShardStream) -> tuple[int, int]:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        n = sum(int(b.weight.sum()) for b in stream.epoch(0))
        return tracemalloc.get_traced_memory()[1] - base, n
    finally:
        tracemalloc.stop()


def test_memory_bounded_by_a_few_batches(tmp_path):
    """Streaming a dataset 20x and 80x the prefetch buffer allocates a few batches at once, plus
    the epoch's plan (12 bytes per block) and a few kB per open shard file."""
    t, rows = 32, 128
    for n_shards in (4, 16):
        ds = open_shards(make_dataset(tmp_path / str(n_shards), [rows * 20] * n_shards, t=t))
        stream = ShardStream(ds, batch_size=rows, prefetch=4)
        batch_bytes = stream.batch_nbytes()
        assert len(ds) >= 20 * stream.prefetch * rows  # the dataset is >= 20x the buffer
        peak, n = _peak_bytes(stream)
        assert n == len(ds)
        overhead = 2 * stream.blocks(0).nbytes + 4096 * 4 * n_shards
        assert peak < (stream.prefetch + 3) * batch_bytes + overhead, (peak, batch_bytes, overhead)
