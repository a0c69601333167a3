"""A refused form is shown again with the reason beside it and what was typed kept.

Routes that store what a form sent catch the refusal (:class:`~.errors.AppError` or a
core :class:`~cskpi.errors.CskpiError`, such as an entry that would not count) and render
their page again with a :class:`FormError` and the values; API clients (JSON) get the
error as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from fastapi import Request

from ..errors import CskpiError
from ..locale import Translator
from ..scoring.entries import EntryRefused
from ..scoring.texts import say
from .errors import AppError, BadRequest, Link, wants_json
from .templating import request_lang

REFUSED = 422
"""The status of a form shown again with its reason (409 when it conflicts with a lock)."""


@dataclass(frozen=True)
class FormError:
    """Why a form was refused, in the reader's language: the message, a hint, the field
    it is about (None: the form as a whole) and ways on (links)."""

    message: str
    hint: str | None = None
    field: str | None = None
    links: list[Link] = _field(default_factory=list)
    status: int = REFUSED


def form_error(request: Request, exc: Exception) -> FormError:
    """The reason of a refusal, or the exception again for an API client (or an error
    that is no refusal of the form)."""
    if wants_json(request) or not isinstance(exc, AppError | CskpiError):
        raise exc
    t = Translator(request_lang(request))
    if isinstance(exc, EntryRefused):
        hint = say(exc.hint_msg, t) if exc.hint_msg else None
        return FormError(_sentence(say(exc.msg, t)), _sentence(hint), exc.field)
    if isinstance(exc, CskpiError):  # the core's messages are phrases: shown as sentences
        return FormError(_sentence(exc.text(t)), _sentence(exc.hint_text(t)))
    status = 409 if exc.status == 409 else REFUSED
    return FormError(t(exc.message_key, **exc.params), field=exc.params.get("field"),
                     links=exc.links, status=status)


def _sentence(text: str | None) -> str | None:
    """A core message (a phrase, as the command line prints it) as a sentence."""
    return text[:1].upper() + text[1:] if text else text


def kept(values: dict[str, Any]) -> dict[str, str]:
    """The typed values of a form, as text (what the form shows again)."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


def written(text: str, field_name: str, messages: str, max_chars: int) -> str:
    """What a person wrote in a text field (an appeal's reason, a manager's answer),
    stripped; a 400 naming the field when it is empty (``<messages>.text_missing``) or
    longer than ``max_chars`` (``<messages>.text_long``)."""
    text = text.strip()
    if not text:
        raise BadRequest(f"{messages}.text_missing", field=field_name)
    if len(text) > max_chars:
        raise BadRequest(f"{messages}.text_long", field=field_name, max=max_chars)
    return text
