"""Schemes shipped with cskpi, and resolving ``--scheme`` (a file or a preset name)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


def preset_names() -> list[str]:
    """The shipped presets (read once: they are files of the installed package)."""
    return list(_preset_names())


@cache
def _preset_names() -> tuple[str, ...]:
    folder = resources.files("cskpi.presets")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


def preset_text(name: str) -> str:
    return resources.files("cskpi.presets").joinpath(f"{name}.yaml").read_text("utf-8")


def resolve(ref: str) -> tuple[str, str]:
    """(source name, YAML text) of a scheme file path or preset name."""
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.exists():
            from ..errors import UsageError

            raise UsageError(code="scheme_file_missing",
                             params={"ref": ref, "presets": preset_names()})
        from ..scheme import decode_scheme

        text, issues = decode_scheme(path.read_bytes(), str(path))
        if text is None:  # not UTF-8: an issue with its line, as scheme check lists them
            from ..errors import SchemeInvalid

            raise SchemeInvalid(str(path), issues)
        return str(path), text
    if ref in preset_names():
        return f"{ref} (preset)", preset_text(ref)
    from ..errors import UsageError

    raise UsageError(code="no_such_scheme", params={"ref": ref, "presets": preset_names()})
