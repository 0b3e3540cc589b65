"""README.md documents every option of every verb, in that verb's section."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from elasticc_fast.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _sections() -> dict[str, str]:
    """'### elasticc-fast VERB' heading -> its text, up to the next heading."""
    parts = re.split(r"^#{2,3} ", README, flags=re.M)
    return {p.split("\n", 1)[0].strip(): p for p in parts}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found = {s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
    for sub in _subparsers(parser).values():
        found |= _options(sub)
    return found


def test_every_option_of_every_verb_is_in_its_readme_section():
    sections = _sections()
    missing = []
    for verb, parser in _subparsers(build_parser()).items():
        text = sections.get(f"elasticc-fast {verb}")
        if text is None:
            missing.append(f"no README section '### elasticc-fast {verb}'")
            continue
        missing += [f"{verb} {opt}" for opt in sorted(_options(parser)) if not re.search(re.escape(opt) + r"\b", text)]
    assert not missing, missing
