"""Schemes that score on QA figures: a scheme's top-level ``qa: FILE|PRESET`` makes
``qa_sessions``, ``qa_score``, ``qa_hit_sessions`` and ``qa_fatal_sessions`` available to
its items (the after-sale 素质 item as ``metric: qa_score`` tiers instead of a grade).

The scheme package knows nothing of QA (it imports nothing above it): it is handed the
catalog and the QA metrics, and :func:`load_scheme_checked` adds the rules a scheme must
follow on top — a scheme that uses a QA figure names its rules, and those rules load.
Every caller that loads a scheme for scoring or checking goes through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Issue
from ..metrics.catalog import CATALOG, QA_CATALOG, Metric
from ..scheme import Scheme, load_scheme

SCHEME_METRICS: Mapping[str, Metric] = {**CATALOG, **QA_CATALOG}


def qa_metrics_used(scheme: Scheme) -> list[tuple[str, int]]:
    """(QA metric, line) of every place the scheme uses one."""
    used: list[tuple[str, int]] = []

    def add(name: str | None, line: int) -> None:
        if name in QA_CATALOG:
            used.append((name, line))

    for item in scheme.items:
        add(getattr(item, "metric", None), item.line)
        if item.min_sample is not None:
            add(item.min_sample.metric, item.min_sample.line)
        formula = getattr(item, "formula", None)
        for name in sorted(formula.names) if formula is not None else ():
            add(name, item.line)
    for veto in scheme.veto:
        for name in sorted(veto.condition.names):
            add(name, veto.line)
    for award in scheme.awards:
        add(award.metric, award.line)
    for metric, rule in scheme.targets.items():
        add(metric, rule.line)
    return used


def _key_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"{key}\s*:", line):
            return number
    return None


def load_scheme_checked(text: str, source: str, *,
                        roster: Sequence[Mapping[str, Any]] | None = None
                        ) -> tuple[Scheme | None, list[Issue]]:
    """:func:`cskpi.scheme.load_scheme` with the QA figures known, and their rules checked:
    an item using one needs ``qa:``; the rules ``qa:`` names must exist and load (their
    own issues are listed with their file and line)."""
    from ..errors import CskpiError
    from .loader import load_rules, resolve

    scheme, issues = load_scheme(text, source, metrics=SCHEME_METRICS, roster=roster)
    if scheme is None:
        return None, issues
    extra: list[Issue] = []

    def problem(code: str, line: int | None, message: str | None = None,
                **params: Any) -> Issue:
        return Issue("error", code, file=source, row=line, origin="scheme",
                     key=f"qa.issue.{message or code}", params=params)

    if scheme.qa is None:
        for metric, line in qa_metrics_used(scheme):
            extra.append(problem("qa_needs_rules", line, metric=metric))
    else:
        line = _key_line(text, "qa")
        try:
            qa_source, qa_text = resolve(scheme.qa)
        except CskpiError as exc:
            extra.append(problem("qa_rules", line, "qa_rules_missing", ref=scheme.qa,
                                 error=exc.message))
        else:
            rules, qa_issues = load_rules(qa_text, qa_source)
            extra.extend(qa_issues)
            if rules is None:
                extra.append(problem("qa_rules", line, "qa_rules_invalid", ref=scheme.qa))
    if any(i.is_error for i in extra):
        scheme = None
    return scheme, [*issues, *extra]


def load_scheme_rules(scheme: Scheme) -> Any:
    """The QA rules a scheme names (None when it names none)."""
    if scheme.qa is None:
        return None
    from .loader import load

    return load(scheme.qa)
