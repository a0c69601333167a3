"""Docs are generated from the definitions and must not drift; catalogs must agree."""

from __future__ import annotations

from pathlib import Path

from cskpi.data.schema import TABLES
from cskpi.docs import render_cli, render_data_contract, render_metrics, render_schemes
from cskpi.locale import catalog
from cskpi.metrics.catalog import METRICS
from cskpi.metrics.profiles import SETTING_HELP

ROOT = Path(__file__).resolve().parents[2]


def test_data_contract_page_is_up_to_date():
    committed = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert committed == render_data_contract(), "run: python -m cskpi.docs"


def test_every_table_column_and_alias_is_documented():
    page = render_data_contract()
    for table in TABLES.values():
        assert f"## {table.name} ({table.zh})" in page
        for col in table.columns:
            assert f"`{col.name}`" in page
            for alias in col.aliases:
                assert alias in page


def test_catalogs_have_the_same_keys_and_placeholders():
    en, zh = catalog("en"), catalog("zh_CN")
    assert set(en) == set(zh)
    import string

    for key in en:
        # a parameter named *_zh is given for the Chinese text only (a table's Chinese
        # name, say): every other placeholder must be the same in both languages
        fields_en = {f for _, f, _, _ in string.Formatter().parse(en[key]) if f}
        fields_zh = {f for _, f, _, _ in string.Formatter().parse(zh[key]) if f}
        plain = {f for f in fields_en if not f.endswith("_zh")}
        assert plain == {f for f in fields_zh if not f.endswith("_zh")}, key
        assert fields_en <= fields_zh, key  # English may name the Chinese too, not more


def test_metrics_page_is_up_to_date_and_complete():
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == render_metrics(), "run: python -m cskpi.docs"
    for m in METRICS:
        assert f"| `{m.key}` | {m.zh} |" in committed
    for key in SETTING_HELP:
        assert f"| `{key}` |" in committed


def test_schemes_page_is_up_to_date_and_shows_every_preset():
    from cskpi.scoring import presets

    committed = (ROOT / "docs" / "schemes.md").read_text(encoding="utf-8")
    assert committed == render_schemes(), "run: python -m cskpi.docs"
    for name in presets.preset_names():
        assert f"### {name}" in committed and presets.preset_text(name) in committed


def test_cli_reference_is_up_to_date_and_covers_every_command():
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == render_cli(), "run: python -m cskpi.docs"
    for command in ("validate", "import", "demo-data", "demo", "metrics", "explain", "score",
                    "scheme check", "scheme list", "scheme show", "whatif", "compliance"):
        assert f"## `cskpi {command}`" in committed


def test_web_page_is_up_to_date_and_documents_every_setting():
    from cskpi.docs import render_web
    from cskpi.web.settings import setting_docs

    committed = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    assert committed == render_web(), "run: python -m cskpi.docs"
    for d in setting_docs():
        assert f"| `{d['name']}` |" in committed
        if d["env"]:
            assert f"`{d['env']}`" in committed
