"""What-if for sales: sales = inquiries × conversion × AOV, with changes in percent.

The baseline comes from the user's numbers or from a period's metrics; each driver can
be changed by a percentage (``conversion=+20%``) or set to a value (``aov=120``).  All
arithmetic is in Decimal; money is rounded to cents only when shown.  A driver must be a
finite number below 10^15 (:data:`~cskpi.scheme.limits.NUMBER_LIMIT`), given or changed;
products of such drivers are still rounded to cents without fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from ..errors import UsageError, message
from ..scheme.limits import NUMBER_LIMIT
from .score import rounded

# what each is: catalog entries whatif.about.<name>
DRIVERS = ("agents", "inquiries", "conversion", "aov", "days")


@dataclass(frozen=True)
class Drivers:
    agents: Decimal
    inquiries: Decimal  # per agent per day
    conversion: Decimal  # fraction
    aov: Decimal
    days: Decimal = Decimal(30)

    @property
    def sales_per_day(self) -> Decimal:
        return self.agents * self.inquiries * self.conversion * self.aov

    @property
    def sales(self) -> Decimal:
        return self.sales_per_day * self.days

    @property
    def buyers_per_day(self) -> Decimal:
        return self.agents * self.inquiries * self.conversion


@dataclass(frozen=True)
class WhatIf:
    base: Drivers
    new: Drivers
    changes: dict[str, str]

    @property
    def delta(self) -> Decimal:
        return self.new.sales - self.base.sales

    @property
    def delta_ratio(self) -> Decimal | None:
        return None if not self.base.sales else self.delta / self.base.sales

    def to_dict(self) -> dict[str, object]:
        def side(d: Drivers) -> dict[str, object]:
            return {"agents": d.agents, "inquiries_per_agent_day": d.inquiries,
                    "conversion": d.conversion, "aov": d.aov, "days": d.days,
                    "sales_per_day": cents(d.sales_per_day), "sales": cents(d.sales)}

        ratio = self.delta_ratio
        return {"base": side(self.base), "new": side(self.new), "changes": self.changes,
                "delta": cents(self.delta), "delta_ratio": ratio}


def cents(v: Decimal) -> Decimal:
    return rounded(v, Decimal("0.01"))


def parse_number(text: str, name: str) -> Decimal:
    t = text.strip().replace(",", "")
    try:
        value = Decimal(t[:-1]) / 100 if t.endswith("%") else Decimal(t)
        if not value.is_finite():
            raise InvalidOperation
    except Exception:  # noqa: BLE001 - decimal raises several kinds
        raise UsageError(code="driver_not_number", params=_driver(name, text)) from None
    if value.copy_abs() >= NUMBER_LIMIT:
        raise UsageError(code="driver_too_large", params=_driver(name, text))
    return value


def _driver(name: str, text: str) -> dict[str, object]:
    what = message(f"whatif.about.{name}") if name in DRIVERS else name
    return {"name": name, "value": text, "help": what}


class ChangeOutOfRange(UsageError):
    """A well-formed change whose result is impossible: ``bound`` is "negative", "above_1"
    or "too_large" (10^15 or more); its message is ``error.change_<bound>``."""

    def __init__(self, *, bound: str, params: dict[str, object]) -> None:
        super().__init__(code=f"change_{bound}", params=params)
        self.bound = bound


_CHANGE = re.compile(r"^\s*(\w+)\s*=\s*([+-]?)\s*([\d.,]+)\s*(%?)\s*$")


def apply_changes(base: Drivers, changes: list[str]) -> tuple[Drivers, dict[str, str]]:
    """``conversion=+20%`` multiplies by 1.20, ``aov=-5%`` by 0.95, ``aov=120`` sets 120."""
    new = base
    said: dict[str, str] = {}
    for change in changes:
        m = _CHANGE.match(change)
        if not m:
            raise UsageError(code="bad_change", params={"change": change})
        name, sign, number, pct = m.groups()
        if name not in DRIVERS:
            raise UsageError(code="unknown_driver", params={"name": name,
                                                            "drivers": list(DRIVERS)})
        try:
            amount = Decimal(number.replace(",", ""))
        except ArithmeticError:  # '1.2.3' passes the pattern but is no number
            raise UsageError(code="change_not_number", params={"change": change,
                                                               "number": number}) from None
        current: Decimal = getattr(new, name)
        if sign and pct:
            factor = 1 + (amount / 100 if sign == "+" else -amount / 100)
            value = current * factor
        elif pct:
            value = amount / 100 if name == "conversion" else current * amount / 100
        elif sign:
            value = current + amount if sign == "+" else current - amount
        else:
            value = amount
        if value < 0:
            raise ChangeOutOfRange(bound="negative", params={"change": change, "name": name})
        if value >= NUMBER_LIMIT:
            raise ChangeOutOfRange(bound="too_large", params={"change": change, "name": name})
        if name == "conversion" and value > 1:
            raise ChangeOutOfRange(bound="above_1", params={"change": change,
                                                            "value": f"{value:.0%}"})
        new = replace(new, **{name: value})
        said[name] = change.split("=", 1)[1].strip()
    return new, said


def whatif(base: Drivers, changes: list[str]) -> WhatIf:
    new, said = apply_changes(base, changes)
    return WhatIf(base, new, said)
