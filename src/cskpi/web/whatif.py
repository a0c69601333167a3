"""The what-if page's glue: form fields to ``cskpi whatif --change`` changes, with an error
per field instead of an exception.

The figures are the CLI's: the baseline is :func:`cskpi.core.whatif_baseline` of the
month and the changes go through :func:`cskpi.scoring.whatif.whatif` as the same
``NAME=VALUE`` strings; numbers are shown with the CLI's formats (from the exact
decimals, not floats), so the page and ``cskpi whatif`` agree to the cent.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import core
from ..errors import UsageError
from ..months import month_range
from ..scoring.whatif import ChangeOutOfRange, Drivers, WhatIf, apply_changes, whatif
from .data import DataGateway, valid_period

FIELDS = ("conversion", "aov", "inquiries", "agents")  # what the form lets change
MAX_INPUT = 32
# +20%, -5 %, 45%, 0.45, 120, +2, 1,200: what --change accepts after "NAME="
_VALUE = re.compile(r"^[+-]?\s*\d[\d,]*(\.\d+)?\s*%?$")
# (row key, Drivers attribute, the CLI's format, shown as money)
ROWS = (("agents", "agents", ",.0f", False),
        ("inquiries", "inquiries", ",.2f", False),
        ("conversion", "conversion", ".2%", False),
        ("aov", "aov", ",.2f", True),
        ("sales_per_day", "sales_per_day", ",.2f", True),
        ("sales", "sales", ",.2f", True))


@dataclass(frozen=True)
class DriverRow:
    """One line of the result: a driver (or sales) before and after, as the CLI prints it."""

    key: str
    base: str
    new: str
    money: bool
    changed: bool


@dataclass
class Simulation:
    """What the page shows: the inputs, an error per field, and the result when valid."""

    period: str | None
    inputs: dict[str, str]
    errors: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    result: WhatIf | None = None

    @property
    def rows(self) -> list[DriverRow]:
        if self.result is None:
            return []
        base, new = self.result.base, self.result.new
        return [DriverRow(key, format(getattr(base, attr), spec), format(getattr(new, attr), spec),
                          money, getattr(base, attr) != getattr(new, attr))
                for key, attr, spec, money in ROWS]

    @property
    def delta(self) -> str | None:
        """The change in sales, signed, as the CLI prints it."""
        return None if self.result is None else format(self.result.delta, "+,.2f")

    @property
    def delta_ratio(self) -> str | None:
        ratio = None if self.result is None else self.result.delta_ratio
        return None if ratio is None else format(ratio, "+.1%")


def _field_error(base: Drivers, name: str, text: str) -> tuple[str, dict[str, str]] | None:
    """Why ``text`` is not a change of driver ``name`` (None when it is one)."""
    if len(text) > MAX_INPUT or not _VALUE.match(text):
        return "web.whatif.error.format", {"value": text[:MAX_INPUT]}
    try:
        apply_changes(base, [f"{name}={text}"])
    except ChangeOutOfRange as exc:  # the format is checked above
        if exc.bound == "too_large":  # 10^15 or more (scheme-limits catalog)
            return "limits.too_large", {"value": text}
        key = "conversion" if exc.bound == "above_1" else "negative"
        return f"web.whatif.error.{key}", {"value": text}
    return None


def baseline(data: DataGateway, period: str) -> Drivers:
    """The month's drivers, as ``cskpi whatif -w WORKSPACE --period`` reads them."""
    first, last = month_range(period)
    return data.cached(("whatif", "baseline", period),
                       lambda: core.whatif_baseline(data.workspace, first, last))


def simulate(data: DataGateway, period: str | None, inputs: Mapping[str, str]) -> Simulation:
    """The month's baseline with the changes asked for, or what is wrong with the inputs.

    ``period`` None means the latest month with data.
    """
    given = {name: (inputs.get(name) or "").strip() for name in FIELDS}
    sim = Simulation(period, given)
    try:
        sim.period = valid_period(period[:MAX_INPUT]) if period else data.latest_period()
    except UsageError:
        key = "web.whatif.error.period" if period else "web.whatif.error.no_data"
        sim.errors["period"] = (key, {"value": (period or "")[:MAX_INPUT]})
        return sim
    try:
        base = baseline(data, sim.period)
    except UsageError:
        sim.errors["period"] = ("web.whatif.error.no_baseline", {"value": sim.period})
        return sim
    for name, text in given.items():
        if text and (error := _field_error(base, name, text)) is not None:
            sim.errors[name] = error
    if not sim.errors:
        sim.result = whatif(base, [f"{name}={text}" for name, text in given.items() if text])
    return sim


def cli_command(sim: Simulation) -> str:
    """The ``cskpi whatif`` command that prints the same figures."""
    words = ["cskpi", "whatif", "-w", "WORKSPACE", "--period", sim.period or ""]
    for name, text in sim.inputs.items():
        if text:
            words += ["--change", shlex.quote(f"{name}={text}")]
    return " ".join(words)

