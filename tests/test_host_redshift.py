"""The host redshift a real set is binned by in ``benchmark sim-to-real`` (spec-z, else photo-z, else
none) and the recall per bin."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from elasticc_fast.benchmarks.host_redshift import bin_labels, host_redshift, markdown_rows, recall_by_host_z


def test_host_redshift_takes_the_spec_z_else_the_photo_z_else_none():
    static = pa.table({"HOSTGAL_SPECZ": [-9.0, 0.15, -9.0, -999.0, 0.1],
                       "HOSTGAL_PHOTOZ": [0.05, 0.9, -9.0, 1.5, 0.3]})
    np.testing.assert_array_equal(host_redshift(static), [0.05, 0.15, np.nan, 1.5, 0.1])
    assert np.isnan(host_redshift(pa.table({"SNID": [1, 2]}))).all()  # no host columns at all


def test_recall_by_host_z_bins_every_object_once():
    z = np.array([0.05, 0.1, 0.15, np.nan, 1.5, 0.5, 0.12])
    hit = np.array([True, False, False, True, True, False, True])
    got = recall_by_host_z(hit, z)
    assert got == {"0-0.1": {"n": 2, "recall": 0.5}, "0.1-0.2": {"n": 2, "recall": 0.5},
                   "0.45-0.7": {"n": 1, "recall": 0.0}, ">1": {"n": 1, "recall": 1.0},
                   "no host z": {"n": 1, "recall": 1.0}}
    assert list(got) == [b for b in bin_labels() if b in got]  # in redshift order
    rows = markdown_rows({"set A": {"by_host_z": got}, "set B": {"by_host_z": {"0.2-0.3": {"n": 3, "recall": 1 / 3}}}})
    assert rows[0].startswith("| real set | host z 0-0.1 | host z 0.1-0.2 | host z 0.2-0.3 |")
    assert rows[0].endswith("| host z >1 | no host z |")
    assert rows[2] == "| set A | 0.50 (2) | 0.50 (2) | - | 0.00 (1) | 1.00 (1) | 1.00 (1) |"
    assert rows[3] == "| set B | - | - | 0.33 (3) | - | - | - |"
