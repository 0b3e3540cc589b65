"""Code shape rules of the team brief, checked on the source: every function in
python/elasticc_fast is at most 60 lines, every command-line verb module (commands/*.py) at most
80 lines."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "elasticc_fast"
MAX_FUNCTION_LINES = 60
MAX_VERB_LINES = 80


def function_lengths(path: Path) -> list[tuple[str, int]]:
    """(qualified name, lines from ``def`` to the last line, decorators excluded) of every
    function and method in ``path``."""
    out = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((f"{prefix}{child.name}", child.end_lineno - child.lineno + 1))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(path.read_text(), str(path)), "")
    return out


def test_the_counter_counts_what_it_should(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("class A:\n    def f(self):\n        def g():\n            return 1\n        return g\n\n"
                   "@staticmethod\ndef h():\n    pass\n")
    assert function_lengths(src) == [("A.f", 4), ("A.f.g", 2), ("h", 2)]


def test_no_function_is_longer_than_60_lines():
    long = [f"{p.relative_to(PACKAGE)}:{name} ({n} lines)" for p in sorted(PACKAGE.rglob("*.py"))
            for name, n in function_lengths(p) if n > MAX_FUNCTION_LINES]
    assert not long, "functions over 60 lines: " + ", ".join(long)


def test_verb_modules_are_thin():
    verbs = sorted((PACKAGE / "commands").glob("*.py"))
    assert len(verbs) > 5
    long = [f"{p.name} ({n} lines)" for p in verbs if (n := len(p.read_text().splitlines())) > MAX_VERB_LINES]
    assert not long, "command modules over 80 lines: " + ", ".join(long)
