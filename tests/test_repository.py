"""The repository stands on its own and keeps one style.

A learner's clone has only this repository: no file may send them to documents it does
not contain. Every lesson file stays short enough to read in one sitting.
"""

import re
import subprocess

import pytest

from journey import REPO_ROOT, list_stages

FOREIGN_REFERENCES = re.compile(
    r"\.\./shared|DESIGN\.md|\bthe issue\b|\bissue #?\d+|\b(this|in this|to this) session\b", re.I
)
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".txt", ".yaml", ".yml", ".cfg"}


def tracked_files():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO_ROOT / name for name in listed if (REPO_ROOT / name).is_file()]


def text_files():
    return [p for p in tracked_files() if p.suffix in TEXT_SUFFIXES or p.name == "Makefile"]


def test_no_file_refers_to_documents_outside_the_repository():
    offenders = []
    for path in text_files():
        if path.name == "test_repository.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FOREIGN_REFERENCES.search(line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "\n".join(offenders)


def test_the_pattern_catches_what_it_should():
    for line in ("see ../shared/DESIGN.md", "bars from the issue:", "as in issue 7"):
        assert FOREIGN_REFERENCES.search(line)
    assert not FOREIGN_REFERENCES.search("a shared toolkit; tissue; the design of a stage")


def _lines(path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(
    "folder, limit", [("from_scratch", 350), ("library_impl", 450)], ids=["lesson", "library"]
)
def test_stage_files_stay_readable_in_one_sitting(folder, limit):
    too_long = [
        f"{path.relative_to(REPO_ROOT)}: {_lines(path)} lines (limit {limit})"
        for stage in list_stages()
        for path in sorted((stage.path / folder).glob("*.py"))
        if _lines(path) > limit
    ]
    assert not too_long, "\n".join(too_long)


def test_functions_stay_short():
    """No function over 60 lines, except a ``main()`` that only wires the steps together."""
    import ast

    too_long = []
    for stage in list_stages():
        for path in sorted(stage.path.glob("*/*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name != "main":
                    length = node.end_lineno - node.lineno + 1
                    if length > 60:
                        where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
                        too_long.append(f"{where} {node.name}: {length} lines")
    assert not too_long, "\n".join(too_long)
