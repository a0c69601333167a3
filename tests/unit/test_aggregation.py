"""How a team's or the shop's figure is formed, said for every metric of the catalog
(issue #20 item 4: a team's conversion above all but one of its agents', the shop's AOV
above every agent's and team's, unexplained)."""

from __future__ import annotations

import re

import pytest

from cskpi.locale import Translator, catalog
from cskpi.metrics.aggregation import how_formed
from cskpi.metrics.catalog import CATALOG, METRICS, QA_METRICS

ALL = (*METRICS, *QA_METRICS)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_metric_says_how_its_group_rows_are_formed(lang: str) -> None:
    """Generated from the catalog: a code and words for every metric and every part it
    names, in both languages, with no placeholder or key left in the sentence."""
    t = Translator(lang)
    words = catalog(lang)
    for m in ALL:
        formed = how_formed(m)
        assert formed.code in words, (m.key, formed.code)
        for part in formed.parts.values():
            assert f"metric.part.{part}" in words, (m.key, part)
        text = formed.text(t)
        assert "{" not in text and "_" not in text, (m.key, text)  # no key: words
        assert text.startswith(m.zh if lang == "zh_CN" else m.en), text


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_metric_has_a_definition_for_readers(lang: str) -> None:
    """What the drill-down shows as the definition: in words (the catalog's own definition
    names keys and settings, ``paying_customers / inquiring_customers``, for the docs)."""
    words = catalog(lang)
    for m in ALL:
        text = words.get(f"metric.definition.{m.key}")
        assert text, m.key
        assert "_" not in text, (m.key, text)
        if lang == "zh_CN":
            assert not re.search(r"[A-Za-z]{2,}", text), (m.key, text)


def test_the_english_part_names_are_the_catalogs() -> None:
    """``metric.part.FIELD`` in English is the catalog's own text of that part (one
    definition, its translation beside it)."""
    en = catalog("en")
    for m in ALL:
        for part in (m.num, m.den):
            if part is None:
                continue
            for name in (part.field, part.shop_field):
                if name:
                    assert en[f"metric.part.{name}"] == part.text, name


@pytest.mark.parametrize(("key", "code"), [
    # paying customers ÷ inquiring customers, both distinct over the team
    ("conversion_rate", "formed.ratio_customers"),
    # sales ÷ paying customers: a customer who paid two agents is one buyer of the team
    ("aov", "formed.ratio_customers"),
    ("customers", "formed.distinct"),
    ("sessions", "formed.sum"),
    ("sales", "formed.sum"),
    # rounds answered in time ÷ rounds: pooled, weighted by each agent's rounds
    ("reply_3min_rate", "formed.ratio"),
    ("satisfaction", "formed.ratio"),
    # sum of response times ÷ answered rounds over the team: a weighted mean
    ("response_s", "formed.mean"),
    ("first_response_median_s", "formed.quantile"),
    # the team's own target of the targets table, not its agents' added up
    ("target_completion", "formed.own_target"),
    ("silent_order_share", "formed.shop_only"),
])
def test_each_kind_of_figure_is_formed_as_its_declaration_says(key: str, code: str) -> None:
    assert how_formed(CATALOG[key]).code == code


def test_the_rates_on_the_shops_orders_say_so() -> None:
    for key in ("refund_rate", "complaint_rate", "dispute_refund_rate"):
        formed = how_formed(CATALOG[key])
        assert formed.shop_orders, key
        assert formed.text(Translator("en")).endswith(
            "whole shop's orders (unless the profile's after-sale order scope is the agent).")
    assert not how_formed(CATALOG["conversion_rate"]).shop_orders


def test_the_conversion_note_reads_in_both_languages() -> None:
    formed = how_formed(CATALOG["conversion_rate"])
    en, zh = formed.text(Translator("en")), formed.text(Translator("zh_CN"))
    assert en.startswith("Inquiry conversion rate = paying customers ÷ inquiring customers "
                         "over the team's or the shop's customers, each counted once")
    assert "not the mean of the agents' figures" in en
    assert zh.startswith("询单转化率 = 付款人数 ÷ 询单人数")
    assert "每位顾客只计一次" in zh and "不是各客服数值的平均" in zh
    assert not re.search(r"[A-Za-z]{3,}", zh)  # no English word in the Chinese sentence
