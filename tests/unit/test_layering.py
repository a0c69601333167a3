"""No private imports across packages: a ``_``-prefixed name belongs to its top-level
package of cskpi (``cskpi.metrics``, ``cskpi.scoring``, ``cskpi.web``, ``cskpi.shop`` …).

Every module of src/cskpi is parsed with ``ast``.  An offender is an import of a
``_``-prefixed name (or of a module whose dotted path has a ``_``-prefixed part) from a
different top-level package, relative imports resolved, or a ``module._name`` use of a
module imported from a different top-level package (``shop._require_folder(path)``).
Dunder names (``__version__``) are public.  What another package needs gets a public
name in its home module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "cskpi"


def module_of(path: Path) -> str:
    """The dotted module of a file under src/ (cskpi/web/__init__.py -> cskpi.web)."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def top_package(dotted: str) -> str:
    """cskpi.metrics.compute -> cskpi.metrics; cskpi.shop -> cskpi.shop; cskpi -> cskpi."""
    return ".".join(dotted.split(".")[:2])


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def offenders(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted name) of every private name ``module`` takes from another top-level
    package of cskpi."""
    package = module if is_package else module.rpartition(".")[0]
    home = top_package(module)
    found: list[tuple[int, str]] = []
    modules: dict[str, str] = {}  # local name -> the cskpi module it is bound to

    def foreign(target: str) -> bool:
        return (target == ROOT or target.startswith(ROOT + ".")) and top_package(target) != home

    def check(line: int, target: str) -> None:
        if foreign(target) and any(private(p) for p in target.split(".")[1:]):
            found.append((line, target))

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(node.lineno, alias.name)
                if alias.asname:
                    modules[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[:len(parts) - (node.level - 1)],
                                 *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                target = f"{base}.{alias.name}"
                # `from cskpi import shop`: the package that matters is cskpi.shop
                check(node.lineno, target)
                modules[alias.asname or alias.name] = target
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and private(node.attr)):
            check(node.lineno, f"{modules[node.value.id]}.{node.attr}")
    return sorted(set(found))


@pytest.mark.parametrize(("source", "module", "bad"), [
    ("from .compute import _target", "cskpi.metrics.populations", []),
    ("from ..metrics.compute import _target, MetricQuery", "cskpi.scoring.run",
     [(1, "cskpi.metrics.compute._target")]),
    ("from cskpi.metrics.engine import _roll", "cskpi.web.services.gateway",
     [(1, "cskpi.metrics.engine._roll")]),
    ("from ... import shop\nshop._require_folder(path)", "cskpi.web.services.gateway",
     [(2, "cskpi.shop._require_folder")]),
    ("from ..metrics import _helpers", "cskpi.scoring.run", [(1, "cskpi.metrics._helpers")]),
    ("import cskpi.metrics._helpers", "cskpi.web.x", [(1, "cskpi.metrics._helpers")]),
    ("from .. import __version__", "cskpi.web.app", []),
    ("from typer import _click", "cskpi.cli.i18n", []),
    ("from ..schemes import _key_line", "cskpi.web.routers.pages.x", []),
    ("from .common import _fail", "cskpi.cli.main", []),
])
def test_offenders_are_found(source: str, module: str, bad: list[tuple[int, str]]) -> None:
    """The checker itself: foreign private names are found, home ones and dunders not."""
    assert offenders(source, module) == bad


def test_package_relative_import_resolves_from_the_package() -> None:
    """In a package's __init__, ``.x`` is a module of that package, not of its parent."""
    assert offenders("from ._impl import _x", "cskpi.metrics", is_package=True) == []
    assert offenders("from ..shop import _require_folder", "cskpi.web", is_package=True) == [
        (1, "cskpi.shop._require_folder")]


def test_no_private_imports_across_packages() -> None:
    bad = []
    for path in sorted((SRC / ROOT).rglob("*.py")):
        module = module_of(path)
        for line, name in offenders(path.read_text(encoding="utf-8"), module,
                                    path.name == "__init__.py"):
            bad.append(f"{path.relative_to(SRC.parent)}:{line}: {name}")
    assert not bad, "private names imported from another package:\n" + "\n".join(bad)
