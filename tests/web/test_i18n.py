"""Languages and locale formatting, and the web catalogs' completeness."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from importlib import resources

import pytest

from cskpi.web.i18n import Formatter, accept_language, resolve_lang
from cskpi.web.settings import WebSettings, setting_docs


def _catalog(lang: str) -> dict[str, str]:
    """Every web catalog of a language: ``web.LANG.json`` and the areas' ``web-*.LANG.json``."""
    folder = resources.files("cskpi.locale")
    merged: dict[str, str] = {}
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        if f.name.startswith("web") and f.name.endswith(f".{lang}.json"):
            part = json.loads(f.read_text("utf-8"))
            assert not (part.keys() & merged.keys()), f"{f.name} repeats keys of another file"
            merged.update(part)
    return merged


@pytest.mark.parametrize(("header", "lang"), [
    (None, "en"), ("", "en"), ("zh-CN,zh;q=0.9", "zh_CN"), ("en-US,en;q=0.9,zh;q=0.8", "en"),
    ("fr-FR,zh-TW;q=0.5", "zh_CN"), ("de", "en"), ("en;q=0.1,zh-Hans;q=0.9", "zh_CN"),
    ("zh;q=0", "en"), ("zh;q=abc,en", "en"),
])
def test_accept_language(header: str | None, lang: str) -> None:
    assert accept_language(header) == lang


def test_the_user_setting_wins_over_the_browser() -> None:
    assert resolve_lang("zh_CN", "en-US") == "zh_CN"
    assert resolve_lang("en", "zh-CN") == "en"
    assert resolve_lang(None, "zh-CN") == "zh_CN"


def test_formatting_per_locale() -> None:
    en, zh = Formatter("en"), Formatter("zh_CN")
    assert en.date(dt.date(2026, 10, 5)) == "Oct 5, 2026"
    assert zh.date(dt.date(2026, 10, 5)) == "2026年10月5日"
    assert en.period("2026-10") == "October 2026" and zh.period("2026-10") == "2026年10月"
    assert en.money(Decimal("12345.6")) == "¥12,345.60" == zh.money(12345.6)
    # the one formatter of every face (cskpi.units, #17): rates to two decimals, so 84.99 %
    # is never shown as the 85.0 % it falls short of; durations as minutes:seconds
    assert en.metric("reply_3min_rate", 0.8996) == "89.96%"
    assert en.metric("satisfaction", 0.849949) == "84.99%" != en.percent(0.85)
    assert en.metric("first_response_s", 62.03) == "1:02"  # 62.03 s -> 62 s = 1 min 2 s
    assert zh.metric("first_response_s", 62.03) == "1分2秒"
    assert en.metric("first_response_s", 275) == "4:35"  # as the CLI and the reports
    assert en.metric("sessions", 1234) == "1,234"
    assert en.metric("sessions", None) == "—"
    assert en.metric_label("conversion_rate") == "Inquiry conversion rate"
    assert zh.metric_label("conversion_rate") == "询单转化率"
    assert en.points(Decimal("4.2334923")) == "4.23" and en.points(Decimal(20)) == "20"


def test_web_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, zh = _catalog("en"), _catalog("zh_CN")
    assert en.keys() == zh.keys()
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", zh[key])), key
    assert all(k.startswith("web.") for k in en)


def test_every_key_used_by_the_web_app_is_in_the_catalog() -> None:
    root = resources.files("cskpi.web")
    used: set[str] = set()
    for folder in ("templates", "routers/pages", "routers/api", "."):
        for f in root.joinpath(folder).iterdir():
            if f.name.endswith((".html", ".py")):
                used |= set(re.findall(r"['\"](web\.[a-z_0-9.]+[a-z0-9])['\"]", f.read_text()))
    en = _catalog("en")
    assert used - set(en) == set()
    for prefix, names in (("web.role.", ("admin", "manager", "agent")),
                          ("web.grade.", "ABCD"), ("web.grades.saved_", ("grade", "event"))):
        assert {prefix + n for n in names} <= set(en)


def test_every_setting_is_documented() -> None:
    docs = setting_docs()
    assert {d["name"] for d in docs} == set(WebSettings.model_fields)
    assert all(d["help"] for d in docs)
    # every setting from the environment (#17: only some were, and only integers)
    assert {d["name"]: d["env"] for d in docs} == {
        n: "CSKPI_" + n.upper() for n in WebSettings.model_fields}


def test_database_url_defaults_to_sqlite_beside_the_workspace(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cskpi.web.settings import make_settings

    s = make_settings(tmp_path / "shop.duckdb", environ={})
    assert s.app_database_url == f"sqlite:///{tmp_path / 'shop.duckdb'}.app.sqlite"
    env = make_settings(tmp_path / "shop.duckdb",
                        environ={"CSKPI_DATABASE_URL": "postgresql+psycopg://x@h/db",
                                 "CSKPI_ADMIN_PASSWORD": "secret-pw"})
    assert env.app_database_url == "postgresql+psycopg://x@h/db"
    assert env.admin_password == "secret-pw"


def test_profile_and_upload_limit_come_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cskpi.errors import UsageError
    from cskpi.web.settings import make_settings

    assert make_settings(tmp_path / "s.duckdb", environ={}).profile == "generic"
    env = make_settings(tmp_path / "s.duckdb",
                        environ={"CSKPI_PROFILE": "douyin", "CSKPI_UPLOAD_MAX_MB": "5"})
    assert (env.profile, env.upload_max_mb) == ("douyin", 5)
    # an argument wins over the environment
    assert make_settings(tmp_path / "s.duckdb", environ={"CSKPI_PROFILE": "douyin"},
                         profile="jd").profile == "jd"
    with pytest.raises(UsageError, match="CSKPI_UPLOAD_MAX_MB"):
        make_settings(tmp_path / "s.duckdb", environ={"CSKPI_UPLOAD_MAX_MB": "lots"})


def test_serve_refuses_an_unknown_profile_before_starting(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("serve", "--workspace", tmp_path / "w.duckdb", "--profile", "amazon",
                 "--lang", "en")
    assert result.exit_code != 0
    assert "amazon" in result.output and "douyin" in result.output  # the known ones listed
    assert not (tmp_path / "w.duckdb.app.sqlite").exists()  # nothing was created


def test_changes_from_the_previous_period() -> None:
    en, zh = Formatter("en"), Formatter("zh_CN")
    assert en.change("inquiring_customers", 980, 968) == "▲ 12"
    assert en.change("sales", Decimal("1000.00"), Decimal("1300.00")) == "▼ ¥300.00"
    # rates in percentage points: 0.4100 - 0.3975 = 0.0125 -> 1.25 points
    assert en.change("conversion_rate", 0.41, 0.3975) == "▲ 1.25 pt"
    assert zh.change("conversion_rate", 0.3975, 0.41) == "▼ 1.25 个百分点"
    assert en.change("first_response_s", 62, 75) == "▼ 0:13"
    assert (en.change("sessions", 5, 5), zh.change("sessions", 5, 5)) == ("= 0", "持平")
    assert en.change("sessions", 5, None) == "" == en.change("sessions", None, 5)


def test_times_are_shown_in_the_shop_s_time_zone() -> None:
    """The app database keeps UTC; a manager in Shanghai reads 14:03, not 06:03 UTC (#20)."""
    at = dt.datetime(2026, 10, 5, 6, 3, tzinfo=dt.UTC)
    assert Formatter("en", "Asia/Shanghai").datetime(at) == "Oct 5, 2026 14:03"  # UTC+8
    assert Formatter("zh_CN", "Asia/Shanghai").datetime(at) == "2026年10月5日 14:03"
    # a naive value from SQLite is UTC; 23:30 UTC is the next day in Shanghai
    naive = dt.datetime(2026, 10, 5, 23, 30)
    assert Formatter("en", "Asia/Shanghai").datetime(naive) == "Oct 6, 2026 07:30"
    assert Formatter("en", "Europe/Berlin").datetime(naive) == "Oct 6, 2026 01:30"  # CEST +2
    assert Formatter("en").datetime(naive) == "Oct 5, 2026 23:30 UTC"  # no zone known
