"""What-if for sales, on a stated model: the shop's demand is fixed.

The model (:data:`MODEL`)::

    sales = (inquiring customers × conversion + other buyers) × AOV

* **inquiring customers**: the period's demand, the shop's distinct customers of
  pre-sale sessions (the conversion's denominator).  They come to the shop whatever its
  headcount: a change of **agents** leaves them and sales as they are and changes only
  the workload, inquiring customers per agent per day (``inquiries``).  What better
  service would win is the user's to say, as a change of conversion; the model does not
  guess it.  A change of ``inquiries`` (per agent per day, at the new headcount) is a
  change of demand; a change of ``days`` keeps the demand per day.
* **conversion**: paying inquirers / inquiring customers (the metric ``conversion_rate``).
* **other buyers**: the period's buyers who are not among its paying inquirers (they
  asked before the period began, or their order names its agent); kept as they are.
* **AOV**: sales / buyers (the metric ``aov``).

So a month's baseline (:func:`baseline_from_metrics`) is its credited sales to the cent,
the figure the overview shows: (paying inquirers + other buyers) × sales / buyers.

Changes are ``NAME=VALUE``: ``+20%`` / ``-5%`` relative (for the conversion: of the rate,
40 % → 48 %), ``+5pp`` / ``-5pp`` percentage points (rates only: 40 % → 45 %), ``+2`` /
``-10`` an amount, ``120`` or ``45%`` a new value (``90%`` of the current one for a driver
that is no rate).  Changes of agents and days are applied first, so a value given for
inquiries is the new inquiries per agent per day.  All arithmetic is in Decimal; money
is rounded to cents only when shown.  Every driver is bounded (:data:`BOUNDS`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import UsageError, figure, message
from ..scheme.limits import NUMBER_LIMIT
from .score import rounded

# what each is: catalog entries whatif.about.<name>
DRIVERS = ("agents", "inquiries", "conversion", "aov", "days")
RATES = ("conversion",)  # the drivers that are shares: they take pp changes
MAX_AGENTS = 10_000
MAX_DAYS = 366
# whole-number drivers: (lowest, highest); every other driver is 0 <= value < 10^15,
# and a rate at most 1
BOUNDS: dict[str, tuple[int, int]] = {"agents": (1, MAX_AGENTS), "days": (1, MAX_DAYS)}
FIRST = ("agents", "days")  # applied before the other changes

MODEL: dict[str, Any] = {
    "code": "fixed_demand",
    "formula": "sales = (inquiring_customers × conversion + other_buyers) × aov",
    # what a change of each driver moves besides itself: agents only the workload
    "moves": {"agents": ["inquiries_per_agent_day"], "inquiries": ["inquiring_customers"],
              "days": ["inquiring_customers", "other_buyers"], "conversion": [], "aov": []},
    "conversion_change": {"+N%": "relative", "+Npp": "percentage_points"},
}


# the rows every face shows: (key, Drivers attribute, a format spec or "count", money)
ROWS = (("agents", "agents", ",.0f", False),
        ("inquiries", "inquiries", ",.2f", False),
        ("customers", "customers", "count", False),
        ("conversion", "conversion", ".2%", False),
        ("other_buyers", "other_buyers", "count", False),
        ("aov", "aov", ",.2f", True),
        ("sales_per_day", "sales_per_day", ",.2f", True),
        ("sales", "sales", ",.2f", True))


def shown(value: Decimal, spec: str) -> str:
    """A row's figure as ``cskpi whatif`` prints it (a count with decimals once a change
    made it fractional)."""
    if spec == "count":
        spec = ",.0f" if value == value.to_integral_value() else ",.2f"
    return format(value, spec)


@dataclass(frozen=True)
class Drivers:
    agents: Decimal
    customers: Decimal  # inquiring customers of the period (the shop's demand)
    conversion: Decimal  # fraction: paying inquirers / inquiring customers
    aov: Decimal  # sales / buyers
    days: Decimal = Decimal(30)
    other_buyers: Decimal = Decimal(0)  # buyers of the period who did not inquire in it

    @classmethod
    def per_agent_day(cls, agents: Decimal, inquiries: Decimal, conversion: Decimal,
                      aov: Decimal, days: Decimal = Decimal(30)) -> Drivers:
        """Drivers given as ``cskpi whatif --agents --inquiries`` takes them: inquiring
        customers per agent per day."""
        return cls(agents, agents * inquiries * days, conversion, aov, days)

    @property
    def inquiries(self) -> Decimal:
        """Inquiring customers per agent per day: the workload."""
        return self.customers / self.agents / self.days

    @property
    def paying(self) -> Decimal:
        """Paying inquirers: inquiring customers × conversion."""
        return self.customers * self.conversion

    @property
    def buyers(self) -> Decimal:
        return self.paying + self.other_buyers

    @property
    def sales(self) -> Decimal:
        return self.buyers * self.aov

    @property
    def sales_per_day(self) -> Decimal:
        return self.sales / self.days


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

    @property
    def conversion_points(self) -> Decimal:
        """The change of the conversion in percentage points (40 % → 45 %: 5)."""
        return (self.new.conversion - self.base.conversion) * 100

    @property
    def conversion_relative(self) -> Decimal | None:
        """The change of the conversion relative to the rate (40 % → 45 %: 0.125)."""
        b = self.base.conversion
        return None if not b else (self.new.conversion - b) / b

    def explained(self) -> list[dict[str, Any]]:
        """What the model is and what the changes did, as coded phrases (for every face)."""
        b, n = self.base, self.new
        lines = [message("whatif.model.formula"),
                 message("whatif.model.demand", customers=figure(b.customers, "count"),
                         days=figure(b.days, "count"), other=figure(b.other_buyers, "count")),
                 message("whatif.model.agents")]
        if n.agents != b.agents:
            lines.append(message("whatif.model.agents_changed",
                                 base=figure(b.agents, "count"), new=figure(n.agents, "count"),
                                 base_load=figure(b.inquiries, "decimal"),
                                 new_load=figure(n.inquiries, "decimal")))
        if n.conversion != b.conversion:
            relative = self.conversion_relative
            sign = "+" if n.conversion > b.conversion else ""
            lines.append(message(
                "whatif.model.conversion_changed", base=figure(b.conversion, "rate"),
                new=figure(n.conversion, "rate"), sign=sign,
                points=figure(self.conversion_points, "decimal"),
                relative=figure(relative, "rate") if relative is not None else "—"))
        lines.append(message("whatif.model.units"))
        return lines

    def to_dict(self) -> dict[str, object]:
        def side(d: Drivers) -> dict[str, object]:
            return {"agents": d.agents, "inquiries_per_agent_day": d.inquiries,
                    "inquiring_customers": d.customers, "conversion": d.conversion,
                    "paying_customers": d.paying, "other_buyers": d.other_buyers,
                    "buyers": d.buyers, "aov": d.aov, "days": d.days,
                    "sales_per_day": cents(d.sales_per_day), "sales": cents(d.sales)}

        return {"model": {**MODEL, "explained": self.explained()},
                "base": side(self.base), "new": side(self.new), "changes": self.changes,
                "conversion_change": {"points": self.conversion_points,
                                      "relative": self.conversion_relative},
                "delta": cents(self.delta), "delta_ratio": self.delta_ratio}


def cents(v: Decimal) -> Decimal:
    return rounded(v, Decimal("0.01"))


def baseline_from_metrics(shop: Mapping[str, Any], agents: Sequence[Mapping[str, Any]],
                          days: int) -> Drivers:
    """A period's drivers from its metric rows (the shop's and the agents', as the
    overview shows them): the agents who served inquiring customers, the shop's inquiring
    customers and conversion, its credited sales over its buyers.  The baseline's sales
    are the shop row's ``sales`` (to the cent: the quotients are exact to 28 digits)."""
    active = [a for a in agents if (a.get("inquiring_customers") or 0) > 0]
    customers = shop.get("conversion_rate_den")
    paying = shop.get("conversion_rate_num")
    sales = shop.get("sales")
    buyers = shop.get("aov_den", paying)  # AOV's own denominator: every paying customer
    if not active or not customers or paying is None or not buyers or sales is None:
        raise UsageError(code="whatif_no_baseline")
    return Drivers(agents=Decimal(len(active)), customers=Decimal(customers),
                   conversion=Decimal(paying) / Decimal(customers),
                   aov=Decimal(str(sales)) / Decimal(buyers), days=Decimal(days),
                   other_buyers=Decimal(buyers) - Decimal(paying))


def period_baseline(shop_rows: Sequence[Mapping[str, Any]],
                    agents: Sequence[Mapping[str, Any]], first: dt.date, last: dt.date
                    ) -> Drivers:
    """The drivers of the period ``first``..``last`` (both days counted) from its metric
    rows: the shop's row (none: no baseline) and the agents'.  The CLI and the web's
    what-if page both start here."""
    return baseline_from_metrics(shop_rows[0] if shop_rows else {}, agents,
                                 (last - first).days + 1)


def out_of_bounds(name: str, value: Decimal) -> tuple[str, dict[str, object]] | None:
    """Why ``value`` cannot be driver ``name`` (a bound and its figures), or None."""
    if name in BOUNDS:
        low, high = BOUNDS[name]
        if value != value.to_integral_value() or not low <= value <= high:
            return "range", {"low": low, "high": high}
    if value < 0:
        return "negative", {}
    if value >= NUMBER_LIMIT:
        return "too_large", {}
    if name in RATES and value > 1:
        return "above_1", {"pct": f"{value:.0%}"}
    return None


def parse_number(text: str, name: str) -> Decimal:
    """A driver given as a value (``--agents 10``, ``--conversion 40%``), bounded."""
    t = text.strip().replace(",", "")
    try:
        value = Decimal(t[:-1]) / 100 if t.endswith("%") else Decimal(t)
        if not value.is_finite():
            raise InvalidOperation
    except Exception:  # noqa: BLE001 - decimal raises several kinds
        raise UsageError(code="driver_not_number", params=_driver(name, text)) from None
    if value.copy_abs() >= NUMBER_LIMIT:
        raise UsageError(code="driver_too_large", params=_driver(name, text))
    bound = out_of_bounds(name, value)
    if bound is not None:
        kind, params = bound
        raise UsageError(code=f"driver_{kind}", params={**_driver(name, text), **params,
                                                       "value_pct": params.get("pct")})
    return value


def _driver(name: str, text: str) -> dict[str, object]:
    what = message(f"whatif.about.{name}") if name in DRIVERS else name
    return {"name": name, "value": text, "help": what}


class ChangeOutOfRange(UsageError):
    """A well-formed change whose result is impossible: ``bound`` is "negative",
    "above_1" (a rate above 100 %), "too_large" (10^15 or more) or "range" (agents or
    days not a whole number within :data:`BOUNDS`); its message is
    ``error.change_<bound>``."""

    def __init__(self, *, bound: str, params: dict[str, object]) -> None:
        super().__init__(code=f"change_{bound}", params=params)
        self.bound = bound


_CHANGE = re.compile(r"^\s*(\w+)\s*=\s*([+-]?)\s*([\d.,]+)\s*(%|[pP][pP])?\s*$")


def _value(current: Decimal, name: str, sign: str, amount: Decimal, unit: str,
           change: str) -> Decimal:
    """The driver's new value by the change's form."""
    signed = amount if sign != "-" else -amount
    if unit == "pp":
        if name not in RATES:
            raise UsageError(code="change_pp_not_rate", params={"change": change,
                                                                "name": name})
        if not sign:
            raise UsageError(code="change_pp_needs_sign", params={"change": change})
        return current + signed / 100
    if unit == "%":
        if sign:
            return current * (1 + signed / 100)
        return amount / 100 if name in RATES else current * amount / 100
    return current + signed if sign else amount


def _set(d: Drivers, name: str, value: Decimal, sign: str, amount: Decimal,
         unit: str) -> Drivers:
    """``d`` with driver ``name`` at ``value``: headcount spreads the same demand, days
    keep the demand per day, inquiries per agent-day set the demand."""
    if name == "days":
        return replace(d, days=value, customers=d.customers * value / d.days,
                       other_buyers=d.other_buyers * value / d.days)
    if name == "inquiries":
        if sign and unit == "%":  # relative: the demand by the same factor, exactly
            signed = amount if sign == "+" else -amount
            return replace(d, customers=d.customers * (1 + signed / 100))
        if unit == "%":
            return replace(d, customers=d.customers * amount / 100)
        if sign:  # an amount per agent per day: as many more a day from each agent
            signed = amount if sign == "+" else -amount
            return replace(d, customers=d.customers + signed * d.agents * d.days)
        return replace(d, customers=value * d.agents * d.days)
    return replace(d, **{name: value})


def apply_changes(base: Drivers, changes: list[str]) -> tuple[Drivers, dict[str, str]]:
    """``conversion=+20%`` multiplies by 1.20, ``conversion=+5pp`` adds 0.05, ``aov=-5%``
    multiplies by 0.95, ``aov=120`` sets 120; agents and days first (see the module)."""
    parsed = []
    for change in changes:
        m = _CHANGE.match(change)
        if not m:
            raise UsageError(code="bad_change", params={"change": change})
        name, sign, number, unit = m.groups()
        if name not in DRIVERS:
            raise UsageError(code="unknown_driver", params={"name": name,
                                                            "drivers": list(DRIVERS)})
        try:
            amount = Decimal(number.replace(",", ""))
        except ArithmeticError:  # '1.2.3' passes the pattern but is no number
            raise UsageError(code="change_not_number", params={"change": change,
                                                               "number": number}) from None
        parsed.append((name not in FIRST, change, name, sign, amount, (unit or "").lower()))
    new = base
    said: dict[str, str] = {}
    for _, change, name, sign, amount, unit in sorted(parsed, key=lambda p: p[0]):
        value = _value(getattr(new, name), name, sign, amount, unit, change)
        bound = out_of_bounds(name, value)
        if bound is not None:
            kind, params = bound
            shown_value = params.pop("pct", f"{value:,f}")  # a rate: in percent
            raise ChangeOutOfRange(bound=kind, params={"change": change, "name": name,
                                                       "value": shown_value, **params})
        new = _set(new, name, value, sign, amount, unit)
        said[name] = change.split("=", 1)[1].strip()
    return new, said


def override(base: Drivers, values: Mapping[str, Decimal]) -> Drivers:
    """``base`` with some drivers given as values (``cskpi whatif -w … --agents 12``): as
    changes that set them, so a given headcount spreads the period's demand."""
    new = base
    for name in sorted(values, key=lambda n: n not in FIRST):
        new = _set(new, name, values[name], "", values[name], "")
    return new


def whatif(base: Drivers, changes: list[str]) -> WhatIf:
    new, said = apply_changes(base, changes)
    return WhatIf(base, new, said)
