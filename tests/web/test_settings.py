"""Every web setting from the environment, typed and bounded (pydantic-settings, #17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cskpi.errors import UsageError
from cskpi.locale import Translator
from cskpi.web.settings import DEFAULT_ALERTS, DEFAULT_SCHEMES, WebSettings, make_settings


def test_every_kind_of_setting_comes_from_the_environment(tmp_path: Path) -> None:
    env = {"CSKPI_SESSION_HOURS": "8", "CSKPI_ADMIN_USERNAME": "boss",
           "CSKPI_SCHEMES_BY_ROLE": '{"presale": "ladder-commission", "leads": "x.yaml"}',
           "CSKPI_ALERTS": '[["satisfaction", "<", 0.9], ["first_response_s", ">", 45]]',
           "CSKPI_MIN_SAMPLE": "10", "CSKPI_LOGIN_WINDOW_S": "60"}
    s = make_settings(tmp_path / "w.duckdb", environ=env)
    assert (s.session_hours, s.admin_username, s.min_sample, s.login_window_s) == (
        8, "boss", 10, 60)
    assert s.schemes_by_role == {"presale": "ladder-commission", "leads": "x.yaml"}
    assert s.alerts == (("satisfaction", "<", 0.9), ("first_response_s", ">", 45.0))
    # nothing set: the declared defaults
    d = make_settings(tmp_path / "w.duckdb", environ={})
    assert (d.session_hours, d.schemes_by_role, d.alerts) == (12, dict(DEFAULT_SCHEMES),
                                                              DEFAULT_ALERTS)
    assert isinstance(d, WebSettings) and d.workspace == tmp_path / "w.duckdb"


def test_an_empty_variable_is_unset(tmp_path: Path) -> None:
    assert make_settings(tmp_path / "w.duckdb",
                         environ={"CSKPI_SESSION_HOURS": ""}).session_hours == 12


@pytest.mark.parametrize(("var", "value", "en", "zh"), [
    ("CSKPI_SESSION_HOURS", "lots", "a whole number is expected", "应为整数"),
    ("CSKPI_SESSION_HOURS", "0", "it must be at least 1", "不能小于 1"),
    ("CSKPI_UPLOAD_MAX_MB", "1000000", "it must be at most 100000", "不能大于 100000"),
    ("CSKPI_SCHEMES_BY_ROLE", "presale=x", "it is not valid JSON", "不是有效的 JSON"),
    ("CSKPI_ALERTS", '[["satisfaction", "=", 0.9]]', "an alert compares with < or >",
     "提醒只能用 < 或 > 比较"),
])
def test_a_bad_value_names_the_variable_and_why_in_both_languages(
        tmp_path: Path, var: str, value: str, en: str, zh: str) -> None:
    with pytest.raises(UsageError) as exc:
        make_settings(tmp_path / "w.duckdb", environ={var: value})
    err = exc.value
    assert err.code == "setting_invalid"
    assert err.text(Translator("en")) == f"the setting {var} = '{value}' is not valid: {en}"
    assert err.text(Translator("zh_CN")) == f"设置 {var} = “{value}” 无效：{zh}"
    assert err.hint_text(Translator("en")).startswith(f"e.g. {var}=")


def test_an_argument_wins_and_is_checked_too(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "w.duckdb", environ={"CSKPI_SESSION_HOURS": "8"},
                      session_hours=2)
    assert s.session_hours == 2
    with pytest.raises(UsageError) as exc:
        make_settings(tmp_path / "w.duckdb", environ={}, session_hours=-1)
    assert exc.value.params["setting"] == "session_hours"


def test_settings_cannot_be_changed_after_they_are_made(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "w.duckdb", environ={})
    with pytest.raises(Exception):  # noqa: B017,PT011  (pydantic's ValidationError: frozen)
        s.session_hours = 99  # type: ignore[misc]
