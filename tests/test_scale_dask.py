"""Dask paths of elasticc_fast.scale on a 2-worker LocalCluster: conversion byte-identical to the
local converter (real ELAsTiCC2 sample), failures reported per file the same way, and
augmentation to shards identical with and without Dask."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask.distributed", reason="the 'scale' extra (dask[distributed]) is not installed")

from elasticc_fast.convert import convert  # noqa: E402
from elasticc_fast.scale import augment_dataset, convert_dask  # noqa: E402

# not marked cpp: the C++ reader runs here, but its memory checks belong to the converter's tests;
# Dask worker processes under the sanitizer preload would only slow that CI stage down
pytestmark = [pytest.mark.shared]


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    # worker processes: tasks and their arguments really go through pickling, as on a cluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def local_parquet(elasticc_sample: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local")
    convert(elasticc_sample, out)
    return out


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.glob("*.parquet"))}


def test_dask_conversion_equals_local_file_for_file(client, elasticc_sample, local_parquet, tmp_path):
    summary = convert_dask(elasticc_sample, tmp_path, client)
    local, dask = _files(local_parquet), _files(tmp_path)
    assert sorted(dask) == ["KN_K17.parquet", "Mdwarf-flare.parquet", "SNIb-Templates.parquet"]
    assert sorted(local) == sorted(dask)
    for name in local:
        assert dask[name] == local[name], f"{name} differs between Dask and local conversion"
    assert summary.n_objects == 346 and not summary.failures
    # a second run keeps the complete outputs
    again = convert_dask(elasticc_sample, tmp_path, client)
    assert [m.status for m in again.models] == ["exists"] * 3


def _broken_copy(src: Path, dst: Path) -> Path:
    """One model folder with a corrupted PHOT file and a HEAD file without its PHOT file."""
    model = dst / "ELASTICC2_TRAIN_01_1percent_KN_K17"
    shutil.copytree(src / model.name, model)
    phot = sorted(model.glob("*0003_PHOT.FITS.gz"))[0]
    phot.chmod(0o644)
    phot.write_bytes(gzip.compress(b"SIMPLE  =                    T" + b" " * 200))
    head = sorted(model.glob("*0007_PHOT.FITS.gz"))[0]
    head.chmod(0o644)
    head.unlink()
    return dst


def test_failures_reported_per_file_as_locally(client, elasticc_sample, tmp_path):
    raw = _broken_copy(elasticc_sample, tmp_path / "raw")
    loc = convert(raw, tmp_path / "local", on_error="skip")
    dsk = convert_dask(raw, tmp_path / "dask", client, on_error="skip")
    assert len(loc.failures) == 2
    assert [(f.file, f.reason) for f in dsk.failures] == [(f.file, f.reason) for f in loc.failures]
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    with pytest.raises(Exception) as local_err:
        convert(raw, tmp_path / "local_stop", on_error="stop")
    with pytest.raises(type(local_err.value)) as dask_err:
        convert_dask(raw, tmp_path / "dask_stop", client, on_error="stop")
    assert str(dask_err.value) == str(local_err.value)
    assert not (tmp_path / "dask_stop").exists()  # the folder it created is removed


def test_augment_dataset_same_shards_with_and_without_dask(client, local_parquet, tmp_path):
    opts = dict(windows="fraction", copies=2, max_length=64, shard_windows=100, seed=3)
    here = augment_dataset(local_parquet, tmp_path / "here", **opts)
    dask = augment_dataset(local_parquet, tmp_path / "dask", client=client, **opts)
    assert [s.name for s in here.shards] == [s.name for s in dask.shards]
    assert len(here) == len(dask) == 2 * 346  # every sample object has a detection
    for i in range(len(here.shards)):
        a, b = here.load(i), dask.load(i)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"{here.shards[i].name}/{k}")
    assert here.T == 64 and here.feature_names[0] == "t"
    # labels are ORACLE leaves of the model column: 3 models -> 3 leaves, objects counted once
    from elasticc_fast.taxonomy import ORACLE_TREE

    leaves = here.object_leaves()
    assert len(leaves) == 346
    assert {ORACLE_TREE.nodes[i] for i in np.unique(leaves)} == {"KN", "M-dwarf Flare", "SNIb/c"}


def test_cli_convert_dask_address(client, elasticc_sample, local_parquet, tmp_path):
    """The CLI path: --dask with the running cluster's scheduler address."""
    from elasticc_fast.cli import main

    assert main(["convert", str(elasticc_sample), str(tmp_path), "--dask", client.scheduler.address]) == 0
    assert _files(tmp_path) == _files(local_parquet)


@pytest.mark.parametrize("bad", ["local:0", "local:two"])
def test_dask_client_rejects_bad_local_spec(bad):
    from elasticc_fast.scale import dask_client

    with pytest.raises(ValueError, match="local:N"):
        with dask_client(bad):
            pass


def test_augment_dataset_bad_file_stop_or_skip(local_parquet, tmp_path):
    src = tmp_path / "parquet"
    src.mkdir()
    shutil.copy(local_parquet / "KN_K17.parquet", src / "KN_K17.parquet")
    (src / "broken.parquet").write_bytes(b"PAR1 this is not a Parquet file")
    with pytest.raises(ValueError, match="broken.parquet"):
        augment_dataset(src, tmp_path / "stop", max_length=32)
    ds = augment_dataset(src, tmp_path / "skip", max_length=32, on_error="skip")
    assert len(ds) == 47 and len(ds.manifest["failures"]) == 1
    assert "broken.parquet" in ds.manifest["failures"][0]
    assert not (tmp_path / "stop" / "manifest.json").exists()


@pytest.mark.cpp
def test_shard_rows_are_augment_windows(local_parquet, tmp_path):
    """A shard holds exactly the windows augment() gives for its objects (rows shuffled)."""
    import pyarrow.parquet as pq

    from elasticc_fast.augment import augment
    from elasticc_fast.batch import LightCurveBatch
    from elasticc_fast.preprocess import preprocess
    from elasticc_fast.scale.shards import shard_seed
    from elasticc_fast.taxonomy import ORACLE_TREE

    src = tmp_path / "parquet"
    src.mkdir()
    shutil.copy(local_parquet / "KN_K17.parquet", src / "KN_K17.parquet")
    ds = augment_dataset(src, tmp_path / "shards", max_length=32, seed=5)
    assert [s.name for s in ds.shards] == ["KN_K17.rg00000.0000.000"]
    got = ds.load(0)
    batch = preprocess(LightCurveBatch.from_arrow(pq.read_table(src / "KN_K17.parquet")))
    ref = augment(batch, "fraction", max_length=32, pad_to=32, seed=shard_seed(5, ds.shards[0].name, 0))
    order = np.argsort(got["source"])
    ref_order = np.argsort(batch.ids[ref.source])
    np.testing.assert_array_equal(got["source"][order], batch.ids[ref.source][ref_order])
    np.testing.assert_array_equal(got["x"][order], ref.x[ref_order])
    np.testing.assert_array_equal(got["lengths"][order], ref.lengths[ref_order])
    np.testing.assert_array_equal(got["static"][order], ref.static[ref_order])
    assert np.all(got["label"] == ORACLE_TREE.index("KN"))
    assert not np.array_equal(got["source"], np.sort(got["source"]))  # rows were shuffled
