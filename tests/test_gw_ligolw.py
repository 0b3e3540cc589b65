"""LIGO-LW extraction of the real SPIIR, GstLAL and injection files, checked against an
independent xml.etree reading of the same streams."""
from __future__ import annotations

import csv
import gzip
import io
import xml.etree.ElementTree as ET

import numpy as np
import pyarrow.parquet as pq
import pytest

from elasticc_fast.gw import ligolw
from elasticc_fast.gw.extract import extract, find_files


@pytest.fixture(scope="module")
def gw(shared_data):
    return shared_data / "gw"


def _etree_tables(path):
    """Oracle: every table of a LIGO-LW file as {column: [raw strings]} via xml.etree + csv."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    out = {}
    for table in ET.fromstring(raw).iter("Table"):
        name = table.get("Name").split(":")[-2]
        cols = [c.get("Name").split(":")[-1] for c in table.findall("Column")]
        text = (table.find("Stream").text or "").strip()
        rows = [r for r in csv.reader(io.StringIO(text.replace("\n", "")), skipinitialspace=True)]
        flat = [v.strip() for r in rows for v in r]
        flat = flat[: len(flat) - len(flat) % len(cols)] if cols else []
        out[name] = {c: flat[i::len(cols)] for i, c in enumerate(cols)}
    return out


def _num(s):
    if s == "":
        return np.nan
    return float(s.rsplit(":", 1)[-1]) if ":" in s else float(s)


def test_postcoh_files_match_raw_streams(gw):
    files = sorted((gw / "spiir" / "postcoh_coinc").glob("*.xml"))
    assert len(files) == 14
    widths = []
    for f in files:
        tables = ligolw.read_tables(f)
        raw = _etree_tables(f)
        pc = tables["postcoh"]
        assert pc.column_names == list(raw["postcoh"]), f.name
        widths.append(pc.num_columns)
        for name in pc.column_names:
            got = pc.column(name).to_pylist()
            want = raw["postcoh"][name]
            if isinstance(got[0], str):
                assert got == [w.strip('"') for w in want], (f.name, name)
            else:
                np.testing.assert_allclose(np.array(got, float), [_num(w) for w in want], rtol=1e-7,
                                           err_msg=f"{f.name} {name}")
        # legacy ilwd:char ids are integers now
        assert pc.column("event_id").type == "int64"
        assert tables["coinc_event_map"].column("event_id").type == "int64"
    # O2/O3 layout: 67 columns (H1, L1, V1); the 2022 file adds KAGRA's 10 per-detector columns
    assert sorted(widths) == [67] * 13 + [77]


def test_spiir_trigger_rows(gw):
    f = gw / "spiir" / "postcoh_coinc" / "H1L1_1257994429_387_373.xml"
    t = ligolw.read_triggers(f)
    raw = _etree_tables(f)
    assert t.num_rows == 1
    row = t.to_pylist()[0]
    assert row["snr"] == pytest.approx(_num(raw["coinc_inspiral"]["snr"][0]))
    assert row["postcoh_cohsnr"] == pytest.approx(_num(raw["postcoh"]["cohsnr"][0]), rel=1e-7)
    assert row["postcoh_event_id"] == int(raw["postcoh"]["event_id"][0].strip('"').split(":")[-1])
    sngl = raw["sngl_inspiral"]
    for ifo, deff, snr in zip(sngl["ifo"], sngl["eff_distance"], sngl["snr"], strict=True):
        ifo = ifo.strip('"')
        assert row[f"eff_distance_{ifo}"] == pytest.approx(_num(deff), rel=1e-7)
        assert row[f"snr_{ifo}"] == pytest.approx(_num(snr), rel=1e-7)
    assert row["postcoh_deff_H1"] == pytest.approx(_num(raw["postcoh"]["deff_H1"][0]))


def test_injection_file_counts_and_matching(gw):
    t = ligolw.read_triggers(gw / "coinc_xml" / "first2years_bns_injections_gstlal.xml.gz")
    assert t.num_rows == 250
    sim_id = t.column("sim_simulation_id").to_numpy()
    assert len(np.unique(sim_id)) == 250
    df = t.to_pandas()
    # recovered and injected chirp masses agree (BNS: better than 2 %), times within 0.1 s
    assert np.all(np.abs(df.mchirp / df.sim_mchirp - 1) < 0.02)
    inj_t = df.sim_geocent_end_time + 1e-9 * df.sim_geocent_end_time_ns
    assert np.all(np.abs(df.end_time_gps - inj_t) < 0.1)
    assert set(c for c in df.columns if c.startswith("snr_")) == {"snr_H1", "snr_L1", "snr_V1"}
    # the network SNR is the quadrature sum of the detectors'
    dets = df[["snr_H1", "snr_L1", "snr_V1"]].fillna(0).to_numpy()
    np.testing.assert_allclose(np.sqrt((dets ** 2).sum(axis=1)), df.snr, rtol=1e-5)


def test_extract_directories_in_parallel(gw, tmp_path):
    out = tmp_path / "triggers.parquet"
    table = extract([gw / "spiir", gw / "coinc_xml"], out, workers=2)
    assert table.num_rows == 14 + 250 + 250 + 4
    back = pq.read_table(out)
    assert back.num_rows == table.num_rows
    assert sorted(set(back.column("file").to_pylist())) == sorted(
        [p.name for p in (gw / "spiir" / "postcoh_coinc").glob("*.xml")] + [p.name for p in (gw / "coinc_xml").iterdir()])
    assert not [p for p in tmp_path.iterdir() if p.name != "triggers.parquet"]  # no temporary left
    files, scanned = find_files([gw / "spiir"])
    assert len(files) == 16 and len(scanned) == 16   # 14 coinc + 2 background-statistics files


def test_bad_files_name_file_and_reason(gw, tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<LIGO_LW><Table Name='sngl_inspiral:table'>")
    with pytest.raises(ligolw.LigoLwError, match="broken.xml"):
        ligolw.read_triggers(bad)
    stats = gw / "spiir" / "bank0384_stats_1257992907_172800.xml.gz"
    with pytest.raises(ligolw.NotATriggerFile, match="not a trigger file"):
        ligolw.read_triggers(stats)
    out = tmp_path / "x.parquet"
    with pytest.raises(ligolw.LigoLwError, match="broken.xml"):
        extract([bad, gw / "coinc_xml" / "coinc_G5351.xml"], out, workers=1)
    assert not out.exists() and not list(tmp_path.glob(".x.parquet*"))
    failures: list[str] = []
    table = extract([bad, gw / "coinc_xml" / "coinc_G5351.xml"], out, workers=1, on_error="skip", failures=failures)
    assert table.num_rows == 1 and len(failures) == 1 and "broken.xml" in failures[0]


def test_wrong_postcoh_column_type_is_rejected(gw, tmp_path):
    src = (gw / "spiir" / "postcoh_coinc" / "H1L1_1257994429_387_373.xml").read_text()
    bad = tmp_path / "wrongtype.xml"
    bad.write_text(src.replace('Name="postcoh:cohsnr" Type="real_4"', 'Name="postcoh:cohsnr" Type="lstring"'))
    with pytest.raises(ligolw.LigoLwError, match="cohsnr"):
        ligolw.read_triggers(bad)
