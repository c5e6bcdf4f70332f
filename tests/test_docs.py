"""Every code reference in the docs still resolves.

The docs point into the code as `path/to/file.py` or `path/to/file.py:name` (a function, a class, or
Class.method defined in that file), and at figures as `docs/figures/name.png`.  If code moves, this test
says which reference broke.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
REFERENCE = re.compile(r"`((?:minigan|examples|benchmarks|tests|scripts|docs)/[\w/.\-]+)(?::([\w.]+))?`")


def references():
    for doc in DOCS:
        for match in REFERENCE.finditer(doc.read_text(encoding="utf-8")):
            yield pytest.param(doc.name, match.group(1), match.group(2), id=f"{doc.name}:{match.group(0)}")


def defined_names(path: Path) -> set:
    """Top-level functions, classes and assignments of a Python file, and Class.method names."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def test_docs_exist_and_point_somewhere():
    assert (ROOT / "docs" / "lecture.md").exists() and (ROOT / "docs" / "engine.md").exists()
    assert len(list(references())) > 20


@pytest.mark.parametrize("doc, path, name", list(references()))
def test_reference_resolves(doc, path, name):
    target = ROOT / path
    assert target.exists(), f"{doc} refers to {path}, which does not exist"
    if name:
        assert target.suffix == ".py", f"{doc}: {path}:{name} names something inside a non-Python file"
        assert name in defined_names(target), f"{doc} refers to {name} in {path}, which does not define it"
