"""ZTF BTS reader: every light curve, counts per object as in the source files, labels."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from elasticc_fast.io.bts import bts_types, read_bts, read_bts_curve, read_bts_table
from elasticc_fast.taxonomy.ztf import BTS_TREE, bts_leaf
from elasticc_fast.units import PHOTFLAG_DETECTION


@pytest.fixture(scope="module")
def bts_dir(shared_data):
    return shared_data / "ztf_bts"


@pytest.fixture(scope="module")
def bts_all(bts_dir):
    return read_bts(bts_dir, keep_unclassified=True, progress=False)


def test_every_object_and_row_is_read(bts_dir, bts_all):
    files = sorted((bts_dir / "ANTARES").glob("*.csv"))
    assert len(files) == len(bts_all) == 2710
    counts = {}
    for p in files:
        with open(p, newline="") as fh:
            counts[p.stem] = sum(1 for _ in csv.DictReader(fh))
    assert sum(counts.values()) == bts_all.n_obs == 96034
    np.testing.assert_array_equal(bts_all.lengths, [counts[i] for i in bts_all.ids])
    assert np.all(bts_all.flag == PHOTFLAG_DETECTION)      # ANTARES keeps detections only
    assert set(np.unique(bts_all.band)) <= {1, 2}            # g and R -> r
    assert np.all(bts_all.flux > 0) and np.all(np.isfinite(bts_all.flux_err))


def test_values_of_one_curve(bts_dir):
    path = sorted((bts_dir / "ANTARES").glob("*.csv"))[0]
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    curve = read_bts_curve(path)
    assert len(curve["mjd"]) == len(rows)
    np.testing.assert_allclose(curve["flux"], [10 ** ((23.9 - float(r["ant_mag"])) / 2.5) for r in rows], rtol=1e-12)
    np.testing.assert_array_equal(curve["band"], [1 if r["ant_passband"] == "g" else 2 for r in rows])


def test_types_labels_and_set_aside(bts_dir, bts_all):
    types = bts_types(bts_dir)
    assert len(types) == 2710
    counts = types.value_counts()
    # the numbers data/README.md gives for the BTS sample
    assert counts["SN Ia"] == 1910 and counts["SN II"] == 345 and counts["SLSN-I"] == 25 and counts["nova"] == 17
    aside = sum(bts_leaf(t) is None for t in types)
    assert aside == 17 and (bts_all.labels == -1).sum() == 17
    # by default the set-aside types are dropped
    some = list(types[types == "TDE"].index[:2]) + list(types[types == "SN Ia"].index[:3])
    dropped = read_bts(bts_dir, ids=some, progress=False)
    assert list(dropped.ids) == some[2:]
    labelled = bts_all.take(np.flatnonzero(bts_all.labels >= 0))
    assert set(labelled.static.column("bts_type").to_pylist()).isdisjoint({"TDE", "LBV", "other"})
    leaves = [BTS_TREE.nodes[k] for k in labelled.labels]
    assert leaves == [bts_leaf(t) for t in labelled.static.column("bts_type").to_pylist()]
    assert leaves.count("CV/nova") == 17 and leaves.count("SLSN") == 39
    assert (bts_all.labels == -1).sum() == 17


def test_later_export_wins(bts_dir):
    table = read_bts_table(bts_dir)
    # typed SN II in the February 2021 export and SN Ib in the September 2021 one
    assert table.at["ZTF18abvkmgw", "type"] == "SN Ib"


def test_subset_and_errors(bts_dir, tmp_path):
    ids = ["ZTF18aaaibml", "ZTF17aadlxmv"]
    b = read_bts(bts_dir, ids=ids, progress=False)
    assert list(b.ids) == ids
    with pytest.raises(ValueError, match="no BTS table row"):
        read_bts(bts_dir, ids=["ZTF00notreal"], progress=False)
    bad = tmp_path / "ZTF00bad.csv"
    bad.write_text("ant_mjd,ant_mag\n1,2\n")
    with pytest.raises(ValueError, match="ZTF00bad.csv.*ant_magerr"):
        read_bts_curve(bad)
