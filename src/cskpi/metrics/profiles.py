"""Platform profiles: named sets of metric settings, every value overridable.

Values are the platforms' published rules as far as they are known (metric catalog,
"Platform profiles"); they change, so ``--set key=value`` overrides any of them.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

from ..errors import UsageError, message
from ..locale import Translator


@dataclass(frozen=True)
class Window:
    """A daily service window [start, end) in local time; end 24:00 = midnight."""

    start_s: int
    end_s: int

    @classmethod
    def parse(cls, text: str) -> Window | None:
        if text.strip().lower() in ("", "none", "off"):
            return None
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not m:
            raise UsageError(code="bad_service_window", params={"value": text})
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if not (0 <= start < end <= 86400) or m1 > 59 or m2 > 59:
            raise UsageError(code="service_window_range", params={"value": text})
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start_s // 3600:02d}:{self.start_s % 3600 // 60:02d}-" \
               f"{self.end_s // 3600:02d}:{self.end_s % 3600 // 60:02d}"


@dataclass(frozen=True)
class Profile:
    name: str = "generic"
    service_window: Window | None = None
    bot_replies_count: bool = False
    response_cap_s: float | None = None
    first_reply_within_s: float = 120.0
    reply_within_s: float = 180.0
    attribution_window_h: float = 72.0
    attribution: str = "last_touch"  # or first_touch
    aftersale_order_scope: str = "shop"  # refund/complaint rates of after-sale agents
    remind_window_h: float = 24.0  # 催付: an agent's message this soon after an order
    compliance: dict[str, float] = field(default_factory=dict)
    # how an import cuts sessions from chat logs (cskpi.data.sessions)
    session_gap_min: float = 30.0
    split_resumed_after_h: float | None = None

    def cache_key(self) -> str:
        """The settings that change per-session facts (not the thresholds of compliance)."""
        return "|".join(str(x) for x in (self.service_window, self.bot_replies_count,
                                         self.response_cap_s, self.first_reply_within_s,
                                         self.reply_within_s))

    def describe(self) -> dict[str, object]:
        out = dataclasses.asdict(self)
        out["service_window"] = str(self.service_window) if self.service_window else None
        return out


def _w(text: str) -> Window | None:
    return Window.parse(text)


PROFILES: dict[str, Profile] = {
    "generic": Profile("generic"),
    "taobao": Profile("taobao", service_window=_w("08:00-24:00"), response_cap_s=600.0),
    "douyin": Profile("douyin", service_window=_w("08:00-23:00"), bot_replies_count=True,
                      compliance={"first_reply_2min_rate": 0.85, "reply_3min_rate": 0.80,
                                  "satisfaction": 0.80}),
    "jd": Profile("jd", service_window=_w("09:00-23:00"), first_reply_within_s=30.0),
    "pdd": Profile("pdd", service_window=_w("08:00-23:00"), bot_replies_count=True),
}

SETTINGS = ("service_window", "bot_replies_count", "response_cap_s", "first_reply_within_s",
            "reply_within_s", "attribution_window_h", "attribution", "aftersale_order_scope",
            "remind_window_h", "session_gap_min", "split_resumed_after_h")
# what each setting means, in English (docs); the text of catalog entry setting.<key>
SETTING_HELP = {key: Translator("en")(f"setting.{key}") for key in SETTINGS}
# settings given in hours that also accept a unit (72h, 3d), and their short names
HOURS = {"attribution_window_h": "attribution_window", "remind_window_h": "remind_window"}


def _number(key: str, value: str, allow_none: bool = False) -> float | None:
    if allow_none and value.strip().lower() in ("none", "off", ""):
        return None
    text = value.strip().lower()
    scale = 1.0
    if key in HOURS:
        if text.endswith("h"):
            text = text[:-1]
        elif text.endswith("d"):
            text, scale = text[:-1], 24.0
    try:
        number = float(text) * scale
    except ValueError:
        raise UsageError(code="setting_not_number", params={
            "key": key, "value": value, "help": message(f"setting.{key}")}) from None
    if number < 0 or not math.isfinite(number) or number > 1e6:
        raise UsageError(code="setting_out_of_range", params={
            "key": key, "value": value, "help": message(f"setting.{key}")})
    return number


def resolve(name: str = "generic", overrides: dict[str, str] | None = None) -> Profile:
    """A profile by name, with ``key=value`` overrides applied."""
    if name not in PROFILES:
        raise UsageError(code="unknown_profile", params={"name": name,
                                                         "profiles": list(PROFILES)})
    profile = PROFILES[name]
    changes: dict[str, object] = {}
    for key, value in (overrides or {}).items():
        key = next((k for k, short in HOURS.items() if short == key), key)
        if key not in SETTING_HELP:
            raise UsageError(code="unknown_setting", params={"key": key,
                                                             "settings": list(SETTINGS)})
        if key == "service_window":
            changes[key] = Window.parse(value)
        elif key == "bot_replies_count":
            if value.strip().lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise UsageError(code="setting_not_bool", params={"key": key, "value": value})
            changes[key] = value.strip().lower() in ("true", "1", "yes")
        elif key == "attribution":
            if value not in ("last_touch", "first_touch"):
                raise UsageError(code="setting_choice", params={
                    "key": key, "value": value, "a": "last_touch", "b": "first_touch"})
            changes[key] = value
        elif key == "aftersale_order_scope":
            if value not in ("shop", "agent"):
                raise UsageError(code="setting_choice", params={
                    "key": key, "value": value, "a": "shop", "b": "agent"})
            changes[key] = value
        else:
            changes[key] = _number(key, value, allow_none=key in ("response_cap_s",
                                                                   "split_resumed_after_h"))
    return dataclasses.replace(profile, **changes) if changes else profile


def parse_sets(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(code="set_not_key_value", params={
                "item": item, "example": "reply_within_s=300"})
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out
