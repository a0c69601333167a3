"""The what-if page's glue: form fields to ``cskpi whatif --change`` changes, with an error
per field instead of an exception.

The figures are the CLI's: the baseline is :func:`cskpi.scoring.whatif.period_baseline`
of the month's shop and agent rows (the very rows, cached, that the overview shows, so
the baseline's sales are the overview's sales of the month), and the changes go through
:func:`cskpi.scoring.whatif.whatif` as the same ``NAME=VALUE`` strings; numbers are shown
with the CLI's formats (from the exact decimals, not floats), so the page and
``cskpi whatif`` agree to the cent.

The conversion is a rate: the form asks how its number reads (``conversion_unit``):
percentage points (+5: 40 % → 45 %), percent of the rate (+20: 40 % → 48 %) or a new rate
(45: 45 %).  A link without the unit reads the number as the command line does
(``+20%`` relative, ``+5pp`` points, ``45%`` a new rate).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...errors import Translate, UsageError, render
from ...months import month_range
from ...scoring.whatif import (
    MAX_AGENTS,
    ROWS,
    ChangeOutOfRange,
    Drivers,
    WhatIf,
    apply_changes,
    period_baseline,
    shown,
    whatif,
)
from .gateway import DataGateway, valid_period

FIELDS = ("conversion", "aov", "inquiries", "agents")  # what the form lets change
__all__ = ["FIELDS", "MAX_AGENTS", "UNITS", "Simulation", "cli_command", "simulate"]
UNITS = ("pp", "rel", "set")  # how the conversion's number reads; the form's default first
MAX_INPUT = 32
# +20%, -5 %, 45%, 0.45, 120, +2, 1,200, +5pp: a number, its sign and its unit
_VALUE = re.compile(r"^([+-]?)\s*(\d[\d,]*(?:\.\d+)?)\s*(%|[pP][pP])?$")
_SUFFIX = {"pp": "pp", "rel": "%", "set": "%"}  # the unit a typed suffix may repeat


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
    unit: str = UNITS[0]  # how the conversion field reads (as shown in the form)
    errors: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    result: WhatIf | None = None
    changes: list[str] = field(default_factory=list)  # the CLI's --change values
    refused: bool = False  # an input of the user's was refused (422), not only no data

    @property
    def rows(self) -> list[DriverRow]:
        if self.result is None:
            return []
        base, new = self.result.base, self.result.new
        return [DriverRow(key, shown(getattr(base, attr), spec), shown(getattr(new, attr), spec),
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

    def explained(self, t: Translate) -> list[str]:
        """The model and what the changes did, in the reader's language."""
        if self.result is None:
            return []
        return [render(t, line["code"], line["params"]) for line in self.result.explained()]


class _Refused(Exception):
    """A field's input is no change: its message key and parameters."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.error = (key, params)


def _conversion_change(text: str, unit: str) -> tuple[str, str]:
    """The ``--change conversion=`` value of ``text`` and the unit it reads in."""
    m = _VALUE.match(text)
    if m is None:
        raise _Refused("web.whatif.error.format", value=text)
    sign, number, suffix = m.groups()
    suffix = (suffix or "").lower()
    if not unit:  # a link without the unit: as the command line reads it
        if not suffix:
            raise _Refused("web.whatif.error.unit", value=text)
        unit = "pp" if suffix == "pp" else "rel" if sign else "set"
    elif suffix and suffix != _SUFFIX[unit]:
        raise _Refused(f"web.whatif.error.unit_conflict_{unit}", value=text)
    if unit == "set":
        if sign == "-":
            raise _Refused("web.whatif.error.negative", value=text)
        return f"{number}%", unit
    return f"{sign or '+'}{number}{_SUFFIX[unit]}", unit


def _check(base: Drivers, name: str, change: str, text: str) -> None:
    """Refuse ``change`` (typed as ``text``) when its result is out of bounds."""
    try:
        apply_changes(base, [f"{name}={change}"])
    except ChangeOutOfRange as exc:  # the format is checked before
        if exc.bound == "too_large":  # 10^15 or more (scheme-limits catalog)
            raise _Refused("limits.too_large", value=text) from None
        if exc.bound == "range":
            raise _Refused("web.whatif.error.range", value=text, low=f"{exc.params['low']:,}",
                           high=f"{exc.params['high']:,}") from None
        key = "conversion" if exc.bound == "above_1" else "negative"
        raise _Refused(f"web.whatif.error.{key}", value=text) from None
    except UsageError:  # pp given for a driver that is no rate
        raise _Refused("web.whatif.error.pp", value=text) from None


def _change(base: Drivers, name: str, text: str, unit: str) -> tuple[str, str]:
    """A field's ``--change`` value and the unit it reads in (the conversion's)."""
    if len(text) > MAX_INPUT:
        raise _Refused("web.whatif.error.format", value=text[:MAX_INPUT])
    if name == "conversion":
        change, unit = _conversion_change(text, unit)
    elif _VALUE.match(text) is None:
        raise _Refused("web.whatif.error.format", value=text)
    else:
        change = text
    _check(base, name, change, text)
    return change, unit


def baseline(data: DataGateway, period: str) -> Drivers:
    """The month's drivers from the rows the overview shows (the gateway's profile)."""
    return period_baseline(data.metrics(period, "shop"), data.metrics(period, "agent"),
                           *month_range(period))


def simulate(data: DataGateway, period: str | None, inputs: Mapping[str, str],
             unit: str = "") -> Simulation:
    """The month's baseline with the changes asked for, or what is wrong with the inputs.

    ``period`` None means the latest month with data; ``unit`` is how the conversion's
    number reads (one of :data:`UNITS`; empty: by its own suffix, as on the command line).
    """
    given = {name: (inputs.get(name) or "").strip() for name in FIELDS}
    unit = unit.strip()
    sim = Simulation(period, given, unit if unit in UNITS else UNITS[0])
    try:
        sim.period = valid_period(period[:MAX_INPUT]) if period else data.latest_period()
    except UsageError:
        key = "web.whatif.error.period" if period else "web.whatif.error.no_data"
        sim.errors["period"] = (key, {"value": (period or "")[:MAX_INPUT]})
        sim.refused = bool(period)
        return sim
    try:
        base = baseline(data, sim.period)
    except UsageError:
        sim.errors["period"] = ("web.whatif.error.no_baseline", {"value": sim.period})
        sim.refused = bool(period)
        return sim
    for name, text in given.items():
        if not text:
            continue
        try:
            if name == "conversion" and unit not in ("", *UNITS):  # not from the form
                raise _Refused("web.whatif.error.unit", value=text)
            change, used = _change(base, name, text, unit)
        except _Refused as refused:
            sim.errors[name] = refused.error
            continue
        if name == "conversion":
            sim.unit = used
        sim.changes.append(f"{name}={change}")
    if sim.errors:
        sim.refused = True
    else:
        sim.result = whatif(base, sim.changes)
    return sim


def cli_command(sim: Simulation, profile: str = "generic") -> str:
    """The ``cskpi whatif`` command that prints the same figures."""
    words = ["cskpi", "whatif", "-w", "WORKSPACE", "--period", sim.period or ""]
    if profile != "generic":
        words += ["--profile", shlex.quote(profile)]
    for change in sim.changes:
        words += ["--change", shlex.quote(change)]
    return " ".join(words)
