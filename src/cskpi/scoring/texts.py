"""What scoring says, in the reader's language: rules, notes, vetoes, pay lines, problems.

Scoring records every text as a code and parameters (``rule_code``/``rule_params`` on an
item, an adjustment, an award or a pay line; coded notes, veto reasons and problems), so
the command line, the reports and the web app each render it for their reader with
:func:`rule_text` and friends, from the ``rule.*`` entries of the catalogs.  Numbers are
figures with a unit, shown through :mod:`cskpi.units` (``35.83%``, ``¥1,234.50``,
``4:35``); JSON keeps the exact values in the parameters and the English text in
``rule``, as before.

Parameters may also name a metric (``{"metric": "refund_rate"}``), an event kind or an
attendance status (``{"event": "praise", "label": "…"}``, ``{"status": "late"}``): they
are shown by their label in the reader's language (the scheme's own label first).  A
parameter named ``grade`` is a grade letter, shown as 优/良/中/差 (``B (good)``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from ..errors import figure, message, render
from ..locale import Translator

Msg = dict[str, Any]
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # a Chinese character


def rule(code: str, /, **params: Any) -> Msg:
    """A coded rule text (``rule.<code>``) with its parameters."""
    return message(f"rule.{code}", **params)


def metric_ref(key: str) -> dict[str, str]:
    """A metric named by its label when shown."""
    return {"metric": key}


def event_ref(kind: str, label: str | None = None) -> dict[str, str]:
    """An event kind (or attendance status) named by its label when shown."""
    return {"event": kind, "label": label} if label else {"event": kind}


def points(value: Any) -> dict[str, Any]:
    return figure(value, "points")


def number(value: Any) -> dict[str, Any]:
    return figure(value, "decimal")


def _localise(value: Any, t: Any) -> Any:
    """Metric and event references replaced by their labels, recursively."""
    if isinstance(value, Mapping):
        if "code" in value:
            return {"code": value["code"],
                    "params": {k: _grade(v, t) if k == "grade" else _localise(v, t)
                               for k, v in (value.get("params") or {}).items()}}
        if "metric" in value and len(value) == 1:
            return metric_label(str(value["metric"]), _lang(t))
        if "event" in value:
            if value.get("label"):
                return str(value["label"])
            key = f"label.event.{value['event']}"
            return t(key) if t.has(key) else str(value["event"])
        return value
    if isinstance(value, list | tuple):
        return [_localise(v, t) for v in value]
    return value


def _grade(value: Any, t: Any) -> Any:
    """A grade letter as the reader names it: 良 in Chinese, ``B (good)`` in English."""
    key = f"label.grade.{value}"
    return t(key) if isinstance(value, str) and t.has(key) else value


def grade_label(grade: str, t: Any) -> str:
    """A grade (A-D) in the language of ``t`` (优/良/中/差; A (excellent) …)."""
    return str(_grade(grade, t))


def event_label(kind: str, t: Any, label: str | None = None) -> str:
    """An event kind (or attendance status) as shown: the scheme's label, else the
    catalog's name of a known kind, else the kind as written."""
    return str(_localise(event_ref(kind, label), t))


def _lang(t: Any) -> str:
    return str(getattr(t, "lang", "en") or "en")


def metric_label(key: str, lang: str) -> str:
    """A metric's label in a language (the key when the catalog does not know it)."""
    from ..metrics.catalog import CATALOG

    m = CATALOG.get(key)
    if m is None:
        return key
    return m.zh if lang.startswith("zh") else m.en


def item_label(label: str, key: str, lang: str, label_en: str | None = None,
               metric: str | None = None) -> str:
    """A scheme item's name as a reader of ``lang`` expects it.

    The label is the shop's own name of the item (what its reports, payslips and people
    call it), so it is always shown; an English reader also gets it in English: the
    scheme's ``label_en`` instead, else the label followed by what the item measures, its
    metric's English label, else its key (``配合度 (cooperation)``) when that is a word.
    """
    if lang.startswith("zh") or not _CJK.search(label):
        return label
    if label_en:
        return label_en
    gloss = metric_label(metric, "en") if metric else key.replace("_", " ")
    if not gloss or _CJK.search(gloss) or gloss == label:
        return label
    return f"{label} ({gloss})"


def say(msg: Mapping[str, Any] | None, t: Any) -> str:
    """A coded message (``{"code", "params"}``) in the language of ``t``."""
    if not msg:
        return ""
    localised = _localise(msg, t)
    return render(t, str(localised["code"]), localised.get("params") or {})


@cache
def _english() -> Translator:
    return Translator("en")


def english(msg: Mapping[str, Any] | None) -> str:
    """A coded message in English (the ``rule`` field of JSON, logs)."""
    return say(msg, _english())


def _get(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)


def rule_text(entry: Any, t: Any) -> str:
    """The rule of an item, adjustment, award or pay line (or of its JSON dict) in the
    language of ``t``; a dict without ``rule_code`` (an older locked snapshot) keeps
    its ``rule`` text."""
    code = _get(entry, "rule_code")
    if not code:
        return str(_get(entry, "rule") or "")
    return say({"code": f"rule.{code}", "params": _get(entry, "rule_params") or {}}, t)


def note_text(entry: Any, t: Any) -> str:
    """An item's note: a coded one (a fallback, missing data) or the grade's own note."""
    code = _get(entry, "note_code")
    if code:
        return t(f"rule.note.{code}")
    return str(_get(entry, "note") or "")


def veto_text(veto: Any, t: Any) -> str:
    """A veto that applied: its condition, reason and what it cancelled."""
    msg = _get(veto, "message")
    return say(msg, t) if msg else str(_get(veto, "reason") or "")


def card_warnings(card: Any, t: Any) -> list[str]:
    """The scoring warnings of a card (fallbacks, missing figures): ``label: rule``."""
    out = []
    for item in _get(card, "items") or []:
        if _get(item, "note_code") in WARNED:
            out.append(f"{_get(item, 'label')}: {rule_text(item, t)}")
    for adj in _get(card, "adjustments") or []:
        if _get(adj, "note_code") in WARNED:
            name = _get(adj, "label") or _localise(event_ref(str(_get(adj, "event"))), t)
            out.append(f"{name}: {rule_text(adj, t)}")
    return out


def pay_notes(card: Any, t: Any) -> list[str]:
    """Why parts of the pay are 0 (below the pass line, vetoed, out of range)."""
    pay = _get(card, "pay")
    return [say(n, t) for n in (_get(pay, "notes") or ())] if pay is not None else []


def pay_explained(card: Any, t: Any) -> list[str]:
    """How the KPI bonus and the commission were computed (and the level that set the
    bonus), in the language of ``t``."""
    pay = _get(card, "pay")
    if pay is None:
        return []
    if isinstance(pay, Mapping):
        found = [pay.get(f"{part}_rule") for part in ("kpi_bonus", "commission")]
    else:
        found = [pay.explain.get(part) for part in ("kpi_bonus", "commission")]
    out = []
    level = _get(card, "level")
    if level:
        out.append(t("rule.level", level=level, factor=_factor(card, t)))
    for part, msg in zip(("kpi_bonus", "commission"), found, strict=True):
        if msg:
            out.append(t("rule.explained", part=t(f"rule.part.{part}"), rule=say(msg, t)))
    return out


def _factor(card: Any, t: Any) -> str:
    from ..units import format_number

    return format_number(_get(card, "level_factor"), _lang(t), 4)


def has_pay_lines(scheme: Any) -> bool:
    """Whether a scheme pays pools or money per event (a column of their own)."""
    pools = scheme.pay.pools if scheme.pay is not None else ()
    return bool(pools) or any(e.money is not None for e in scheme.events)


def problem_text(problem: Any, t: Any) -> str:
    msg = {"code": f"problem.{_get(problem, 'code')}", "params": _get(problem, "params") or {}}
    if not _get(problem, "params") and not t.has(msg["code"]):
        return str(_get(problem, "message") or "")
    return say(msg, t)


def problem_hint(problem: Any, t: Any) -> str | None:
    key = f"problem.{_get(problem, 'code')}.hint"
    if t.has(key):
        return say({"code": key, "params": _get(problem, "params") or {}}, t)
    return _get(problem, "hint")


WARNED = ("missing_metric", "min_sample", "own_points")
"""Notes of items and adjustments that are scoring warnings."""
