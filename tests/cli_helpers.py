"""Helpers for command-line tests: the one error line on stderr."""
from __future__ import annotations


def one_error_line(capsys, verb: str) -> str:
    """The one ``elasticc-fast VERB: error: ...`` line of stderr (warnings may precede it; no traceback)."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert len(lines) == 1 and lines[0].startswith(f"elasticc-fast {verb}: error: "), err
    assert "Traceback" not in err
    return lines[0]
