"""The benchmark scripts still run against the package: every ``cskpi`` name they import,
in their own code and in the scripts they hand to a child process (string constants), is
there.  (The benchmarks themselves are too long for a test; a renamed core function
broke four of them silently once.)"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _sources(path: Path) -> list[tuple[str, str]]:
    """The script and every string constant of it that is Python code importing cskpi."""
    text = path.read_text(encoding="utf-8")
    found = [(path.name, text)]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                ("import cskpi" in node.value or "from cskpi" in node.value):
            try:
                ast.parse(node.value)
            except SyntaxError:
                continue  # prose that names the package, not a script
            found.append((f"{path.name}:{node.lineno}", node.value))
    return found


def _imports(code: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cskpi"):
            out += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names if a.name.startswith("cskpi")]
    return out


SOURCES = [s for p in sorted(BENCH.glob("*.py")) for s in _sources(p)]


@pytest.mark.parametrize(("where", "code"), SOURCES, ids=[w for w, _ in SOURCES])
def test_every_cskpi_name_a_benchmark_imports_exists(where: str, code: str) -> None:
    for module, name in _imports(code):
        mod = importlib.import_module(module)
        if name is not None and not hasattr(mod, name):
            importlib.import_module(f"{module}.{name}")  # a submodule, else it fails


def test_the_scripts_handed_to_children_are_found() -> None:
    # web_bench's server, metrics_bench's and qa_bench's timed scripts at least
    assert len([w for w, _ in SOURCES if ":" in w]) >= 4
