"""No test module imports from another test module or from a conftest: what tests share
lives in the ``tests.helpers`` package (data, helper functions), fixtures in conftest.py
files.  Every Python file under tests/ is parsed with ``ast``; an import of a module of the
``tests`` package, absolute or relative, must name ``tests.helpers`` or a module in it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ALLOWED = "tests.helpers"


def package_of(path: Path) -> str:
    """The dotted package a file under tests/ belongs to (tests/web/x.py -> tests.web)."""
    return ".".join(("tests", *path.relative_to(TESTS).parent.parts))


def imported(source: str, package: str) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in ``source`` that names a module of the
    ``tests`` package, relative imports resolved from ``package``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base_parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # `from tests.x import y` may import module y or a name of module tests.x
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                node.func, "id", None)) == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found
            if name == "tests" or name.startswith("tests.")]


def forbidden(source: str, package: str) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imported(source, package)
            if not (name == ALLOWED or name.startswith(ALLOWED + "."))]


@pytest.mark.parametrize(("source", "package", "bad"), [
    ("from tests.golden.test_service_metrics import AGENTS", "tests.unit",
     ["tests.golden.test_service_metrics.AGENTS"]),
    ("from tests.conftest import write_folder", "tests.golden", ["tests.conftest.write_folder"]),
    ("from .fixtures import PERIOD", "tests.web", ["tests.web.fixtures.PERIOD"]),
    ("from .conftest import need_tool", "tests.reports", ["tests.reports.conftest.need_tool"]),
    ("from ..unit import test_cli", "tests.web", ["tests.unit.test_cli"]),
    ("from tests.qa import transcripts as T", "tests.qa", ["tests.qa.transcripts"]),
    ("import tests.unit.test_cli", "tests.web", ["tests.unit.test_cli"]),
    ("def f():\n    from tests.conftest import query\n", "tests.web", ["tests.conftest.query"]),
    ("importlib.import_module('tests.web.access_data')", "tests.web", ["tests.web.access_data"]),
    ("from tests import helpers", "tests.unit", []),
    ("from tests.helpers.common import write_folder", "tests.unit", []),
    ("from tests.helpers import transcripts as T", "tests.qa", []),
    ("from ..helpers.web import login", "tests.web", []),
    ("from cskpi.tests import x\nimport testsuite", "tests.unit", []),
])
def test_the_check_finds_imports_of_test_modules(source: str, package: str,
                                                  bad: list[str]) -> None:
    assert [name for _, name in forbidden(source, package)] == bad


def test_no_test_module_imports_another() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50 and TESTS / "helpers" / "common.py" in files
    offences = [f"{path.relative_to(TESTS.parent)}:{line}: imports {name}"
                for path in files
                for line, name in forbidden(path.read_text(encoding="utf-8"),
                                            package_of(path))]
    assert offences == [], ("move what is shared into tests/helpers/ (fixtures into a "
                            "conftest.py):\n" + "\n".join(offences))
