"""ALeRCE inputs: safe pickle loading, AstroObjects (pickle and parquet partitions), pipeline CSVs."""
from __future__ import annotations

import csv
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from elasticc_fast.io import alerce
from elasticc_fast.units import PHOTFLAG_DETECTION, mag_to_microjansky


# ---------------------------------------------------------------- safe unpickling
class _Evil:
    """Unpickling this would run ``os.system``: the restricted unpickler must refuse it."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"detections": _Evil(marker)}))
    with pytest.raises(alerce.UnsafePickleError, match=r"evil\.pkl.*(posix|os)\.system"):
        alerce.safe_load_pickle(path)
    assert not marker.exists()
    with pytest.raises(alerce.UnsafePickleError):
        alerce.read_astro_object(path)


@pytest.mark.parametrize("target", [("builtins", "eval"), ("subprocess", "Popen"), ("pandas.io.pickle", "read_pickle")])
def test_other_globals_are_refused(target):
    module, name = target
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    with pytest.raises(alerce.UnsafePickleError, match=f"{module}.{name}"):
        alerce.safe_load_pickle(payload)


def test_plain_dataframe_pickles_round_trip():
    df = pd.DataFrame({"mjd": [1.5, 2.5], "fid": ["g", "r"], "n": [1, 2], "ok": [True, False],
                       "cat": pd.Categorical(["a", "b"]), "t": pd.to_datetime(["2020-01-01", "2020-01-02"])},
                      index=pd.Index(["a", "b"], name="oid"))
    for proto in (2, 4, 5):
        back = alerce.safe_load_pickle(pickle.dumps({"detections": df, "xmatch": None}, protocol=proto))
        pd.testing.assert_frame_equal(back["detections"], df)
        assert back["xmatch"] is None


def test_truncated_pickle_names_the_source(tmp_path):
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps(pd.DataFrame({"a": [1.0]}))[:20])
    with pytest.raises(ValueError, match="cut.pkl"):
        alerce.safe_load_pickle(path)


# ---------------------------------------------------------------- real AstroObject
@pytest.fixture(scope="module")
def alerce_dir(shared_data: Path) -> Path:
    return shared_data / "alerce"


def test_real_pickles_load_safely_and_match_pandas(alerce_dir):
    for rel in ("pipeline_examples/ZTF17aabqnaf_astro_object.pickle", "periodic_light_curves.pkl",
                "hbrf_15class_labels.pkl", "hbrf_15class_features.pkl"):
        ours = alerce.safe_load_pickle(alerce_dir / rel)
        theirs = pd.read_pickle(alerce_dir / rel)
        if isinstance(theirs, dict):
            assert set(ours) == set(theirs)
            for k in theirs:
                if isinstance(theirs[k], pd.DataFrame):
                    pd.testing.assert_frame_equal(ours[k], theirs[k])
                else:
                    assert ours[k] is None and theirs[k] is None
        else:
            pd.testing.assert_frame_equal(ours, theirs)


def test_astro_object_counts_units_and_flags(alerce_dir):
    path = alerce_dir / "pipeline_examples" / "ZTF17aabqnaf_astro_object.pickle"
    ao = alerce.read_astro_object(path)
    assert set(alerce.ASTRO_OBJECT_KEYS) <= set(ao)
    batch = alerce.read_astro_objects([path])
    assert list(batch.ids) == ["ZTF17aabqnaf"]
    det = ao["detections"][ao["detections"]["unit"] == "diff_flux"]
    fp = ao["forced_photometry"][ao["forced_photometry"]["unit"] == "diff_flux"]
    assert (batch.flag == PHOTFLAG_DETECTION).sum() == len(det) == 415
    assert (batch.flag == 0).sum() == len(fp) == 34   # no non_detections in this object
    assert np.all(np.diff(batch.mjd) >= 0)
    # diff_flux rows are microjansky already: the values pass through unchanged
    first = det.sort_values("mjd", kind="stable").iloc[0]
    i = int(np.flatnonzero(batch.flag == PHOTFLAG_DETECTION)[0])
    assert batch.mjd[i] == pytest.approx(first["mjd"])
    assert batch.flux[i] == pytest.approx(first["brightness"], rel=1e-6)
    assert set(np.unique(batch.band)) == {1, 2}   # g, r
    static = batch.static.to_pandas()
    assert static.loc[0, "W1"] == pytest.approx(9.183)
    assert static.loc[0, "sgscore1"] == pytest.approx(0.5)


def test_astro_object_parquet_partitions_give_the_same_batch(alerce_dir, tmp_path):
    path = alerce_dir / "pipeline_examples" / "ZTF17aabqnaf_astro_object.pickle"
    ao = alerce.read_astro_object(path)
    alerce.write_astro_objects_parquet([ao], tmp_path / "parts")
    assert (tmp_path / "parts" / "detections.parquet").exists()
    a = alerce.read_astro_objects([path])
    b = alerce.read_astro_objects_parquet(tmp_path / "parts")
    assert list(a.ids) == list(b.ids)
    for col in ("mjd", "band", "flux", "flux_err", "flag", "offsets"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))


def test_missing_columns_name_the_object():
    ao = {"detections": pd.DataFrame({"mjd": [1.0], "fid": ["g"]}), "metadata": None}
    with pytest.raises(ValueError, match="object_0 detections.*brightness"):
        alerce.astro_objects_to_batch([ao])


# ---------------------------------------------------------------- pipeline CSVs
def _csv_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_pipeline_csv_counts_per_object(alerce_dir):
    dirs = sorted(p for p in (alerce_dir / "pipeline_examples").iterdir() if p.is_dir() and p.name.startswith("ZTF"))
    assert len(dirs) == 5
    batch = alerce.read_pipeline_examples(dirs)
    for i, d in enumerate(dirs):
        assert batch.ids[i] == d.name.split("_")[0]
        obj = batch.object(i)
        n_det = len(_csv_rows(d / "detections.csv"))
        nd = _csv_rows(d / "non_detections.csv")
        n_nondet = sum(float(r["diffmaglim"]) > 0 for r in nd)   # -1007 etc. are sentinels
        n_forced = 0
        if (d / "forced_photometry.csv").exists():
            det_epochs = {(round(float(r["mjd"]), 5), int(r["fid"])) for r in _csv_rows(d / "detections.csv")}
            n_forced = sum(float(r["mag"]) != 100 and (round(float(r["mjd"]), 5), int(r["fid"])) not in det_epochs
                           for r in _csv_rows(d / "forced_photometry.csv"))
        assert (obj["flag"] == PHOTFLAG_DETECTION).sum() == n_det, d.name
        assert (obj["flag"] == 0).sum() == n_nondet + n_forced, d.name
    # known from the files: ZTF18aasycma 973 detections, 479 upper limits; ZTF24aaecooj 6 usable forced points
    assert (batch.object(0)["flag"] == PHOTFLAG_DETECTION).sum() == 973
    assert (batch.object(4)["flag"] == 0).sum() == 7 + 6


def test_pipeline_csv_fluxes(alerce_dir):
    d = alerce_dir / "pipeline_examples" / "ZTF18aasycma_20231012"
    oid, rows = alerce.read_pipeline_object(d)
    first = _csv_rows(d / "detections.csv")[0]   # isdiffpos -1: a negative difference flux
    m = float(first["magpsf"])
    hit = rows[(rows["flag"] == PHOTFLAG_DETECTION) & np.isclose(rows["mjd"], float(first["mjd"]))].iloc[0]
    assert int(first["isdiffpos"]) == -1
    assert hit["flux"] == pytest.approx(-mag_to_microjansky(m))
    assert hit["flux_err"] == pytest.approx(mag_to_microjansky(m) * np.log(10) / 2.5 * float(first["sigmapsf"]))
    lim = _csv_rows(d / "non_detections.csv")[0]
    nd = rows[(rows["flag"] == 0) & np.isclose(rows["mjd"], float(lim["mjd"]))].iloc[0]
    assert nd["flux"] == 0 and nd["flux_err"] == pytest.approx(mag_to_microjansky(float(lim["diffmaglim"])) / 5)


def test_detection_tables_with_labels(alerce_dir):
    ex = alerce_dir / "lc_classifier_examples"
    batch = alerce.read_detection_tables(ex / "30_sne_detections_corr.csv", ex / "30_sne_non_detections.csv",
                                         ex / "30_sne_labels.csv")
    det = pd.read_csv(ex / "30_sne_detections_corr.csv")
    nd = pd.read_csv(ex / "30_sne_non_detections.csv")
    lab = pd.read_csv(ex / "30_sne_labels.csv").set_index("objectId")["classALeRCE"]
    assert len(batch) == det["objectId"].nunique() == 30
    for i, oid in enumerate(batch.ids):
        obj = batch.object(i)
        assert (obj["flag"] == PHOTFLAG_DETECTION).sum() == (det["objectId"] == oid).sum()
        assert (obj["flag"] == 0).sum() == ((nd["objectId"] == oid) & (nd["diffmaglim"] > 0)).sum()
    names = batch.static.column("class_name").to_pylist()
    assert names == [lab[o] for o in batch.ids]
    classes = sorted(set(names))
    assert [classes[k] for k in batch.labels] == names


def test_detection_parquet_tables(alerce_dir):
    ex = alerce_dir / "lc_classifier_examples" / "parquets"
    batch = alerce.read_detection_tables(ex / "10_objects_detections.parquet", ex / "10_objects_non_detections.parquet")
    det = pd.read_parquet(ex / "10_objects_detections.parquet")
    nd = pd.read_parquet(ex / "10_objects_non_detections.parquet")
    assert len(batch) == 10
    assert (batch.flag == PHOTFLAG_DETECTION).sum() == len(det) == 1381
    assert (batch.flag == 0).sum() == (nd["diffmaglim"] > 0).sum()
    assert np.all(np.isfinite(batch.flux)) and np.all(batch.flux_err > 0)
