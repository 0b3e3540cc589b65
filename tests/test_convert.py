"""elasticc-fast convert: one Parquet per model, union schema, pairing by name, atomic, resumable,
deterministic whatever the worker count, bad files stop or are skipped and reported."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elasticc_fast import convert_run
from elasticc_fast.cli import main
from elasticc_fast.convert import convert, convert_model, convert_pair, find_models, model_name, pair_files
from elasticc_fast.io.snana import SnanaFormatError, read_snana
from snana_factory import write_pair

pytestmark = pytest.mark.cpp


def make_raw(root, prefix="SIM_01"):
    """Two model folders; model B's files have different HEAD schemas."""
    a = root / f"{prefix}_SNIa-SALT3"
    write_pair(a, f"{prefix}_NONIaMODEL0-0001", [3, 4], seed=1, snid_start=10)
    write_pair(a, f"{prefix}_NONIaMODEL0-0002", [], seed=2)
    write_pair(a, f"{prefix}_NONIaMODEL0-0003", [5], seed=3, snid_start=20, gz=False)
    b = root / f"{prefix}_KN_K17"
    write_pair(b, f"{prefix}_NONIaMODEL0-0001", [2], seed=4, snid_start=30,
               extra_head={"HOSTGAL_MAG": np.array([21.5], np.float32), "X": np.array([7], np.int16)})
    write_pair(b, f"{prefix}_NONIaMODEL0-0002", [6, 1], seed=5, snid_start=40,
               extra_head={"X": np.array([70000, -1], np.int32), "NAME": np.array([b"a", b"bb"])})
    return root


def test_model_names_and_pairing(tmp_path):
    raw = make_raw(tmp_path / "raw")
    assert [m for m, _ in find_models(raw)] == ["KN_K17", "SNIa-SALT3"]
    (tmp_path / "solo" / "ELASTICC2_TRAIN_02_KN_B19").mkdir(parents=True)
    write_pair(tmp_path / "solo" / "ELASTICC2_TRAIN_02_KN_B19", "ELASTICC2_TRAIN_02_NONIaMODEL0-0001", [1])
    assert model_name(tmp_path / "solo" / "ELASTICC2_TRAIN_02_KN_B19") == "KN_B19"
    pairs, orphans = pair_files(raw / "SIM_01_SNIa-SALT3")
    assert [(h.name, p.name) for h, p in pairs] == [
        ("SIM_01_NONIaMODEL0-0001_HEAD.FITS.gz", "SIM_01_NONIaMODEL0-0001_PHOT.FITS.gz"),
        ("SIM_01_NONIaMODEL0-0002_HEAD.FITS.gz", "SIM_01_NONIaMODEL0-0002_PHOT.FITS.gz"),
        ("SIM_01_NONIaMODEL0-0003_HEAD.FITS", "SIM_01_NONIaMODEL0-0003_PHOT.FITS")]
    assert orphans == []


def test_model_name_uses_every_file_name(tmp_path):
    """The prefix is shared by ALL the folder's SNANA file names (any case, .gz or not), whatever
    else the folder holds; the names are matched in one pass, not file by file."""
    d = tmp_path / "P_Q_MODEL"
    d.mkdir()
    for name in ("P_Q_1_HEAD.FITS", "P_Q_1_phot.fits.GZ", "P_R_2_HEAD.FITS.gz", "README.txt", "P_Q_3_HEAD.FIT"):
        (d / name).write_text("")
    assert model_name(d) == "Q_MODEL"  # P_R_2 shares only "P_" (the first file alone would give "MODEL")
    (d / "P_R_2_HEAD.FITS.gz").unlink()
    assert model_name(d) == "MODEL"
    (d / "P_Q_1_HEAD.FITS").unlink()
    (d / "P_Q_1_phot.fits.GZ").unlink()
    assert model_name(d, ["P_Q_MODEL", "P_Q_OTHER"]) == "MODEL"  # no SNANA file: the sibling folders'
    assert model_name(d) == "P_Q_MODEL"


def test_convert_union_schema_model_column_and_values(tmp_path):
    raw = make_raw(tmp_path / "raw")
    s = convert(raw, tmp_path / "out")
    assert not s.failures and s.n_objects == 2 + 0 + 1 + 1 + 2
    kn = pq.read_table(tmp_path / "out" / "KN_K17.parquet")
    assert kn["model"].to_pylist() == ["KN_K17"] * 3
    assert kn.schema.field("X").type == pa.int32()  # int16 in one file, int32 in the other
    assert kn["X"].to_pylist() == [7, 70000, -1]
    assert kn["NAME"].to_pylist() == [None, "a", "bb"]
    assert kn["HOSTGAL_MAG"].to_pylist() == [21.5, None, None]
    assert kn["SNID"].to_pylist() == [30, 40, 41]
    direct = read_snana(*write_pair(tmp_path / "again", "Q", [6, 1], seed=5, snid_start=40))
    assert kn["MJD"].to_pylist()[1:] == direct["MJD"].to_pylist()
    assert kn["BAND"].to_pylist()[1:] == direct["BAND"].to_pylist()
    ia = pq.read_table(tmp_path / "out" / "SNIa-SALT3.parquet")
    assert ia["SNID"].to_pylist() == [10, 11, 20] and ia["X"].null_count == 3  # one schema for the run
    assert ia.schema.field("MJD").type == pa.list_(pa.float64())
    assert ia.schema.remove_metadata() == kn.schema.remove_metadata() and ia.schema.names[-1] == "model"


@pytest.mark.parametrize("pairs_per_part", [1, 1024])
def test_output_is_byte_identical_whatever_the_workers(tmp_path, monkeypatch, pairs_per_part):
    monkeypatch.setattr(convert_run, "BATCH_PAIRS", pairs_per_part)  # 1: a part (row group) per pair
    raw = make_raw(tmp_path / "raw")
    convert(raw, tmp_path / "one", workers=1)
    convert(raw, tmp_path / "two", workers=2)
    for name in ("KN_K17.parquet", "SNIa-SALT3.parquet"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    groups = pq.ParquetFile(tmp_path / "two" / "KN_K17.parquet").metadata.num_row_groups
    assert groups == (2 if pairs_per_part == 1 else 1)
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["KN_K17.parquet", "SNIa-SALT3.parquet"]


def test_resume_keeps_complete_outputs_unless_overwrite(tmp_path):
    raw = make_raw(tmp_path / "raw")
    out = tmp_path / "out"
    convert(raw, out)
    target = out / "KN_K17.parquet"
    target.write_bytes(target.read_bytes())  # same content, new mtime marker below
    stamp = target.stat().st_mtime_ns
    s = convert(raw, out)
    assert {m.status for m in s.models} == {"exists"} and target.stat().st_mtime_ns == stamp
    (out / "SNIa-SALT3.parquet").write_bytes(b"not parquet")  # an unreadable output is redone
    s = convert(raw, out)
    assert {m.model: m.status for m in s.models} == {"KN_K17": "exists", "SNIa-SALT3": "written"}
    s = convert(raw, out, overwrite=True)
    assert {m.status for m in s.models} == {"written"}


def break_second_pair(raw):
    """Pointers of the KN model's second pair point outside its PHOT table."""
    folder = raw / "SIM_01_KN_K17"
    def far(h, p):
        h["PTROBS_MAX"][0] = 500
    write_pair(folder, "SIM_01_NONIaMODEL0-0002", [6, 1], seed=5, snid_start=40, mutate=far,
               extra_head={"X": np.array([70000, -1], np.int32), "NAME": np.array([b"a", b"bb"])})
    return folder / "SIM_01_NONIaMODEL0-0002_PHOT.FITS.gz"


def test_stop_on_error_leaves_no_partial_output(tmp_path):
    raw = make_raw(tmp_path / "raw")
    bad = break_second_pair(raw)
    out = tmp_path / "out"
    with pytest.raises(SnanaFormatError, match=f"{bad}.*SNID 40.*pointers outside"):
        convert(raw, out / "deeper")
    assert not out.exists()  # KN fails first (sorted): no file, and the folders it made are gone
    out.mkdir()
    (out / "mine.txt").write_text("user file")
    with pytest.raises(SnanaFormatError):
        convert(raw, out, workers=2)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]  # not created by convert: kept as it was
    (out / "mine.txt").unlink()
    with pytest.raises(SnanaFormatError):
        convert(raw, out)
    assert out.is_dir()  # existed before the run: not removed


def test_skip_converts_the_rest_and_reports(tmp_path):
    raw = make_raw(tmp_path / "raw")
    break_second_pair(raw)
    (raw / "SIM_01_SNIa-SALT3" / "SIM_01_NONIaMODEL0-0001_PHOT.FITS.gz").unlink()  # HEAD without PHOT
    (raw / "SIM_01_SNIa-SALT3" / "SIM_01_NONIaMODEL0-0004_HEAD.FITS.gz").write_bytes(b"")  # empty pair
    (raw / "SIM_01_SNIa-SALT3" / "SIM_01_NONIaMODEL0-0004_PHOT.FITS.gz").write_bytes(b"")
    s = convert(raw, tmp_path / "out", on_error="skip", workers=2)
    reasons = "\n".join(f"{f.file}: {f.reason}" for f in s.failures)
    assert len(s.failures) == 3, reasons
    assert "HEAD file without its PHOT file" in reasons
    assert "pointers outside the PHOT table" in reasons and "SNID 40" in reasons
    assert "file is empty (0 bytes)" in reasons and "0004_HEAD" in reasons
    kn = pq.read_table(tmp_path / "out" / "KN_K17.parquet")
    assert kn["SNID"].to_pylist() == [30]
    ia = pq.read_table(tmp_path / "out" / "SNIa-SALT3.parquet")
    assert ia["SNID"].to_pylist() == [20]  # pair 3 still paired with its own PHOT, not pair 1's
    assert [len(m) for m in ia["MJD"].to_pylist()] == [5]
    text = s.describe()
    assert "3 failure(s)" in text and "HEAD file without its PHOT file" in text


def test_cli_convert(tmp_path, capsys):
    raw = make_raw(tmp_path / "raw")
    assert main(["convert", str(raw), str(tmp_path / "out")]) == 0
    assert "KN_K17: 3 objects" in capsys.readouterr().out
    break_second_pair(raw)
    assert main(["convert", str(raw), str(tmp_path / "out2"), "--on-error", "skip"]) == 1
    err = capsys.readouterr().err
    assert "1 failure(s)" in err and "pointers outside" in err
    assert main(["convert", str(raw), str(tmp_path / "out3")]) == 1
    assert "nothing partial was written" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "nowhere"), str(tmp_path / "out4")]) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "nothing partial" not in err  # the skip hint is for bad files only


def test_convert_pair_and_model_api(tmp_path):
    raw = make_raw(tmp_path / "raw")
    folder = raw / "SIM_01_SNIa-SALT3"
    t = convert_pair(folder / "SIM_01_NONIaMODEL0-0001_HEAD.FITS.gz", folder / "SIM_01_NONIaMODEL0-0001_PHOT.FITS.gz",
                     model="SNIa-SALT3")
    assert t["model"].to_pylist() == ["SNIa-SALT3"] * 2
    s = convert_model(folder, tmp_path / "m.parquet")
    assert (s.model, s.n_objects, s.n_pairs, s.status) == ("SNIa-SALT3", 3, 3, "written")
    assert pq.read_table(tmp_path / "m.parquet").num_rows == 3


def test_real_sample_converts_equal_to_read_snana(elasticc_sample, tmp_path):
    s = convert(elasticc_sample, tmp_path / "out", workers=1)
    assert {m.model: m.n_objects for m in s.models} == {"KN_K17": 47, "Mdwarf-flare": 27, "SNIb-Templates": 272}
    for model, folder in find_models(elasticc_sample):
        got = pq.read_table(tmp_path / "out" / f"{model}.parquet")
        parts = [read_snana(h, p) for h, p in pair_files(folder)[0]]
        want = pa.concat_tables([t for t in parts if t.num_rows])
        assert got.drop_columns(["model"]).select(want.column_names).equals(want), model
        assert set(got["model"].to_pylist()) == {model}


def test_later_files_with_fewer_or_narrower_columns_need_no_second_pass(tmp_path):
    folder = tmp_path / "raw" / "SIM_01_AGN"
    write_pair(folder, "SIM_01_NONIaMODEL0-0001", [2], seed=1, snid_start=1,
               extra_head={"X": np.array([70000], np.int32), "NAME": np.array([b"a"])})
    write_pair(folder, "SIM_01_NONIaMODEL0-0002", [3], seed=2, snid_start=5,
               extra_head={"X": np.array([3], np.int16)})
    s = convert_model(folder, tmp_path / "agn.parquet")
    assert (s.n_pairs, s.n_objects, s.failures) == (2, 2, [])
    t = pq.read_table(tmp_path / "agn.parquet")
    assert t.schema.field("X").type == pa.int32() and t["X"].to_pylist() == [70000, 3]
    assert t["NAME"].to_pylist() == ["a", None]
    # the same files in the other order: the first file lacks NAME, so all headers are read first
    other = tmp_path / "raw2" / "SIM_01_AGN"
    write_pair(other, "SIM_01_NONIaMODEL0-0001", [3], seed=2, snid_start=5,
               extra_head={"X": np.array([3], np.int16)})
    write_pair(other, "SIM_01_NONIaMODEL0-0002", [2], seed=1, snid_start=1,
               extra_head={"X": np.array([70000], np.int32), "NAME": np.array([b"a"])})
    s2 = convert_model(other, tmp_path / "agn2.parquet")
    assert (s2.n_pairs, s2.n_objects, s2.failures) == (2, 2, [])
    t2 = pq.read_table(tmp_path / "agn2.parquet")
    assert t2.schema.field("X").type == pa.int32() and t2["X"].to_pylist() == [3, 70000]
    assert t2["NAME"].to_pylist() == [None, "a"]
    assert sorted(t2.column_names) == sorted(t.column_names)


def test_read_snana_many_equals_single_reads(tmp_path):
    from elasticc_fast.io.snana import read_snana_many
    pairs = [write_pair(tmp_path, f"X_{i:04d}", n, seed=i, snid_start=100 * i) for i, n in
             enumerate([[2, 3], [], [4]])]
    many = read_snana_many(pairs)
    assert many.equals(pa.concat_tables([read_snana(h, p) for h, p in pairs]))
    assert many.equals(read_snana_many(pairs, engine="python"))
    odd = write_pair(tmp_path, "Y_0001", [1], extra_head={"Z": np.array([1], np.int16)})
    with pytest.raises(SnanaFormatError, match="columns differ"):
        read_snana_many([pairs[0], odd])


def test_resume_warns_when_the_inputs_changed(tmp_path, caplog):
    raw = make_raw(tmp_path / "raw")
    convert(raw, tmp_path / "out")
    write_pair(raw / "SIM_01_SNIa-SALT3", "SIM_01_NONIaMODEL0-0009", [2], seed=9, snid_start=90)
    with caplog.at_level("WARNING", logger="elasticc_fast.convert"):
        s = convert(raw, tmp_path / "out")
    assert {m.status for m in s.models} == {"exists"}
    assert "SNIa-SALT3.parquet was converted from other files" in caplog.text
    assert "KN_K17.parquet was converted" not in caplog.text


def test_failed_pairs_headers_count_in_the_union_either_way(tmp_path):
    """A pair that fails to read still contributes its header columns (with skip), whichever file
    comes first."""
    raw = make_raw(tmp_path / "raw")
    break_second_pair(raw)  # KN pair 2 (with X int32 and NAME) fails on its pointers
    s = convert(raw, tmp_path / "out", on_error="skip")
    assert len(s.failures) == 1
    kn = pq.read_table(tmp_path / "out" / "KN_K17.parquet")
    assert kn.schema.field("X").type == pa.int32() and "NAME" in kn.column_names
    assert kn["SNID"].to_pylist() == [30]
