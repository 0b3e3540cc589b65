import subprocess
import sys

from elasticc_fast import __version__
from elasticc_fast.cli import build_parser, main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as e:
        assert e.code == 0
    assert __version__ in capsys.readouterr().out


def test_every_verb_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.format_help().strip(), name
        assert p.description or p.format_usage(), name


def test_no_verb_prints_help_and_fails():
    r = subprocess.run([sys.executable, "-m", "elasticc_fast"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "usage: elasticc-fast" in r.stderr


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    from elasticc_fast.atomic import atomic_path

    target = tmp_path / "out.parquet"
    try:
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("done")
    assert target.read_text() == "done" and len(list(tmp_path.iterdir())) == 1
