"""Output folders given by the user (--out) are never lost: built under a temporary name and renamed
when complete; a folder holding anything but a complete earlier output of the same command is refused
(exit 2) and left untouched; --overwrite replaces only an earlier output of that command."""
from __future__ import annotations

import json

import pytest

from cli_helpers import one_error_line
from elasticc_fast import cli
from elasticc_fast.atomic import MARKER, output_dir, resumable_output_dir
from elasticc_fast.errors import OutputExistsError
from test_evaluate import CountingClassifier, _batch


def _tree(folder):
    """{relative path: bytes} of every file under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def user_files(tmp_path):
    """A folder of the user's: Parquet files and a sub-folder, which nothing may delete."""
    d = tmp_path / "mine"
    (d / "sub").mkdir(parents=True)
    (d / "KN.parquet").write_bytes(b"PAR1 user data PAR1")
    (d / "sub" / "notes.txt").write_text("keep me")
    return d


@pytest.fixture
def stand_in(monkeypatch):
    """`evaluate` runs on the hand-made set of test_evaluate with its stand-in classifier."""
    from elasticc_fast.classifier import Classifier

    monkeypatch.setattr(Classifier, "load", classmethod(lambda cls, path: CountingClassifier()))
    from elasticc_fast.io import tables

    monkeypatch.setattr(tables, "load_batch", lambda source: _batch())


def _evaluate(out, *extra):
    return cli.main(["evaluate", "MODEL", "DATA", "--out", str(out), "--days", "1,8", "--confusion", "full", *extra])


def test_out_dot_is_refused_and_the_current_folder_untouched(user_files, monkeypatch, capsys, stand_in):
    monkeypatch.chdir(user_files)
    before = _tree(user_files)
    assert _evaluate(".") == 2
    assert "current folder" in one_error_line(capsys, "evaluate")
    assert _tree(user_files) == before


@pytest.mark.parametrize("argv", [
    ["evaluate", "MODEL", "DATA", "--out", "{out}"],
    ["evaluate", "MODEL", "DATA", "--out", "{out}", "--overwrite"],
    ["gw", "classify", "T.parquet", "--out", "{out}", "--overwrite"],
    ["train", "PQ", "--out", "{out}"],
    ["train", "PQ", "--out", "{out}", "--overwrite"],
    ["demo", "--out", "{out}", "--overwrite"],
])
def test_a_folder_with_user_files_is_refused_and_kept(user_files, capsys, argv):
    before = _tree(user_files)
    code = cli.main([a.format(out=user_files) for a in argv])
    assert code == 2
    line = one_error_line(capsys, " ".join(argv[:2]) if argv[0] == "gw" else argv[0])
    assert str(user_files) in line and "not written by" in line
    assert _tree(user_files) == before
    assert sorted(p.name for p in user_files.parent.iterdir()) == ["mine"]   # no temporary left


def test_earlier_report_needs_overwrite(tmp_path, capsys, stand_in):
    out = tmp_path / "report"
    assert _evaluate(out) == 0
    first = _tree(out)
    assert {"report.md", "metrics.json", MARKER} <= set(first)
    marker = json.loads((out / MARKER).read_text())
    assert marker["command"] == "evaluate" and "report.md" in marker["files"]
    capsys.readouterr()
    assert _evaluate(out) == 2
    assert "--overwrite" in one_error_line(capsys, "evaluate")
    assert _tree(out) == first
    assert _evaluate(out, "--overwrite") == 0
    assert set(_tree(out)) == set(first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_overwrite_refuses_an_earlier_report_the_user_added_files_to(tmp_path, capsys, stand_in):
    out = tmp_path / "report"
    assert _evaluate(out) == 0
    (out / "my_notes.md").write_text("mine")
    capsys.readouterr()
    assert _evaluate(out, "--overwrite") == 2
    assert "my_notes.md" in one_error_line(capsys, "evaluate")
    assert (out / "my_notes.md").read_text() == "mine" and (out / "report.md").is_file()


def test_interrupted_run_keeps_the_earlier_report_and_leaves_no_temporary(tmp_path, monkeypatch, capsys, stand_in):
    from elasticc_fast import plots

    out = tmp_path / "report"
    assert _evaluate(out) == 0
    first = _tree(out)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "save", interrupt)
    capsys.readouterr()
    assert _evaluate(out, "--overwrite") == 130
    assert one_error_line(capsys, "evaluate").endswith("interrupted")
    assert _tree(out) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_interrupted_first_run_leaves_nothing(tmp_path, monkeypatch, stand_in):
    from elasticc_fast import plots

    monkeypatch.setattr(plots, "save", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert _evaluate(tmp_path / "report") == 130
    assert list(tmp_path.iterdir()) == []


def test_empty_folder_is_filled(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    with output_dir(out, command="x") as tmp:
        (tmp / "a.txt").write_text("a")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.txt"]


def test_output_of_another_command_is_not_replaced(tmp_path):
    out = tmp_path / "o"
    with output_dir(out, command="gw classify") as tmp:
        (tmp / "p.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="not written by `elasticc-fast evaluate`"):
        with output_dir(out, command="evaluate", overwrite=True):
            pass
    assert (out / "p.json").is_file()


def test_resumable_folder_new_interrupted_resumed_overwritten(tmp_path, user_files):
    out = tmp_path / "model"
    with pytest.raises(RuntimeError):
        with resumable_output_dir(out, command="train", work_dir="training") as work:
            assert work == out                           # checkpoints in place, to survive the failure
            (work / "training").mkdir()
            (work / "training" / "ckpt").write_text("epoch 3")
            raise RuntimeError("killed")
    assert json.loads((out / MARKER).read_text())["complete"] is False
    with pytest.raises(OutputExistsError, match="--resume continues it"):
        with resumable_output_dir(out, command="train", work_dir="training"):
            pass
    with resumable_output_dir(out, command="train", work_dir="training", resume=True) as work:
        assert (work / "training" / "ckpt").read_text() == "epoch 3"
        (work / "model.json").write_text("{}")
    assert json.loads((out / MARKER).read_text())["complete"] is True
    with resumable_output_dir(out, command="train", work_dir="training", overwrite=True) as work:
        assert work != out and (out / "model.json").is_file()   # the old model stays until the new one is done
        (work / "model.json").write_text('{"new": 1}')
    assert (out / "model.json").read_text() == '{"new": 1}' and not (out / "training").exists()
    with pytest.raises(OutputExistsError, match="no earlier"):
        with resumable_output_dir(user_files, command="train", work_dir="training", resume=True):
            pass


def test_augment_dataset_overwrite_keeps_a_shards_folder_it_did_not_write(tmp_path):
    from elasticc_fast.scale.dask_augment import augment_dataset

    out = tmp_path / "ds"
    (out / "shards").mkdir(parents=True)
    (out / "shards" / "mine.npz").write_bytes(b"user data")
    with pytest.raises(OutputExistsError, match="not deleting what it did not write"):
        augment_dataset(tmp_path / "nowhere", out, overwrite=True)
    assert (out / "shards" / "mine.npz").read_bytes() == b"user data"


def test_simulate_does_not_replace_a_model_folder_it_did_not_write(tmp_path, capsys):
    real = tmp_path / "ELASTICC2_TRAIN_02_KN_K17"          # e.g. the user's real ELAsTiCC2 files
    real.mkdir()
    (real / "ELASTICC2_TRAIN_02_NONIaMODEL0-0001_HEAD.FITS.gz").write_bytes(b"real data")
    assert cli.main(["simulate", str(tmp_path), "--classes", "KN", "--objects-per-class", "2"]) == 2
    assert "not written by elasticc-fast simulate" in one_error_line(capsys, "simulate")
    assert (real / "ELASTICC2_TRAIN_02_NONIaMODEL0-0001_HEAD.FITS.gz").read_bytes() == b"real data"
    # an earlier simulation's folder is replaced (a rerun gives the same files)
    assert cli.main(["simulate", str(tmp_path / "sim"), "--classes", "KN", "--objects-per-class", "2"]) == 0
    assert cli.main(["simulate", str(tmp_path / "sim"), "--classes", "KN", "--objects-per-class", "2"]) == 0
