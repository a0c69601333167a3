"""Coded phrases of scheme issues: what a problem is about, what was expected.

Issues of a scheme are codes with parameters (:class:`cskpi.errors.Issue`, rendered from
the ``scheme.*`` entries of the catalogs in the reader's language).  A parameter that
names a part of the scheme ("item 'refund_rate'", "a tier of item 'conv'") is itself a
coded phrase built here; YAML keys are quoted as written, in every language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import message
from .suggest import closest

Msg = dict[str, Any]


def what(name: str, /, **params: Any) -> Msg:
    """A part of a scheme: ``what("item", key="q")`` is "item 'q'"."""
    return message(f"scheme.what.{name}", **params)


def key_of(key: str, of: Msg) -> Msg:
    """A key of a part: "'max' of item 'q'"."""
    return message("scheme.what.key_of", key=key, what=of)


def phrase(name: str, /, **params: Any) -> Msg:
    """Any other phrase of scheme messages (``scheme.<name>``)."""
    return message(f"scheme.{name}", **params)


def valid_hint(valid: Iterable[str], given: str | None = None) -> Msg:
    """``did you mean 'x'? valid: a, b, c`` for an unknown ``given`` key or name."""
    ordered = list(valid)
    close = closest(given, ordered) if given else None
    listed: Any = ", ".join(ordered) if ordered else phrase("none_listed")
    if close:
        return message("scheme.hint.valid_close", close=close, valid=listed)
    return message("scheme.hint.valid", valid=listed)
