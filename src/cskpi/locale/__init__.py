"""Message catalogs (en, zh_CN) for everything the user reads.

Catalogs are JSON files beside this module, keyed by message id: ``en.json`` and
``zh_CN.json`` for the CLI, plus one pair per area (``web.en.json``/``web.zh_CN.json``,
``reports.en.json`` …), merged into one catalog per language.  A missing zh_CN entry
falls back to English; a test checks every pair has the same keys.

The language is the one asked for, else the invocation's (:func:`speaking`: the command
line's ``--lang``, wherever it stands), else the environment's (``CSKPI_LANG``, then the
locale variables).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("en", "zh_CN")


def normalise_lang(value: str | None) -> str:
    """Map ``zh``, ``zh_CN.UTF-8``, ``zh-Hans`` … to ``zh_CN``; anything else to ``en``."""
    if value and value.lower().replace("-", "_").startswith("zh"):
        return "zh_CN"
    return "en"


_INVOCATION: ContextVar[str | None] = ContextVar("cskpi_lang", default=None)


@contextmanager
def speaking(lang: str | None) -> Iterator[None]:
    """Within the block, a translator given no language speaks ``lang`` (when given)."""
    token = _INVOCATION.set(normalise_lang(lang) if lang else None)
    try:
        yield
    finally:
        _INVOCATION.reset(token)


def default_lang() -> str:
    chosen = _INVOCATION.get()
    if chosen:
        return chosen
    for var in ("CSKPI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(var):
            return normalise_lang(os.environ[var])
    return "en"


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every catalog file of a language, merged (``LANG.json`` and ``AREA.LANG.json``)."""
    folder = resources.files(__package__)
    data: dict[str, str] = {}
    names = sorted(f.name for f in folder.iterdir()
                   if f.name == f"{lang}.json" or f.name.endswith(f".{lang}.json"))
    for name in names:
        data.update(json.loads(folder.joinpath(name).read_text("utf-8")))
    return data


class Translator:
    def __init__(self, lang: str | None = None) -> None:
        self.lang = normalise_lang(lang) if lang else default_lang()

    def has(self, key: str) -> bool:
        return key in catalog(self.lang) or key in catalog("en")

    def __call__(self, key: str, /, **kwargs: Any) -> str:
        text = catalog(self.lang).get(key) or catalog("en").get(key) or key
        return text.format(**kwargs) if kwargs else text
