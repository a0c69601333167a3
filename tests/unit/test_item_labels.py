"""A scheme item's name in the reader's language (issue #20 item 8: item names only in
Chinese in the English app).

The label is the shop's own name of the item and is always shown; an English reader gets
the scheme's ``label_en`` instead, else the label with what the item measures in English
(its metric's label, else its key); a Chinese reader the label as written.
"""

from __future__ import annotations

import textwrap

from cskpi.scheme import MetricSpec, load_scheme
from cskpi.scoring.texts import item_label

METRICS = {"conversion_rate": MetricSpec("rate", "higher")}
SCHEME = """\
scheme: s
applies_to: {role: presale}
items:
  - {key: conversion, label: 询单转化率, label_en: Inquiry conversion, max: 60,
     metric: conversion_rate, tiers: [{min: 0.3, points: 60}, {points: 0}]}
  - {key: cooperation, label: 配合度, max: 40, grade: {A: 40, B: 30, C: 20, D: 0}}
"""


def test_a_scheme_may_name_its_items_in_english() -> None:
    scheme, issues = load_scheme(SCHEME, "s.yaml", metrics=METRICS)
    assert issues == []
    assert [(i.key, i.label, i.label_en) for i in scheme.items] == [
        ("conversion", "询单转化率", "Inquiry conversion"), ("cooperation", "配合度", None)]


def test_label_en_must_be_text() -> None:
    text = SCHEME.replace("label_en: Inquiry conversion", "label_en: [a, b]")
    _, issues = load_scheme(textwrap.dedent(text), "s.yaml", metrics=METRICS)
    assert [(i.code, i.row) for i in issues] == [("wrong_type", 4)]


def test_english_readers_get_english_names_chinese_readers_the_shops() -> None:
    # the scheme's English label first
    assert item_label("询单转化率", "conversion", "en", "Inquiry conversion",
                      "conversion_rate") == "Inquiry conversion"
    # else the label and its metric's English label from the catalog
    assert item_label("询单转化率", "conversion", "en", None, "conversion_rate") == \
        "询单转化率 (Inquiry conversion rate)"
    # else the label and its key, as words
    assert item_label("配合度", "cooperation", "en") == "配合度 (cooperation)"
    assert item_label("业绩目标", "sales_target", "en") == "业绩目标 (sales target)"
    # a key in Chinese adds nothing an English reader could read
    assert item_label("配合度", "配合", "en") == "配合度"
    # a label already in English stays as it is
    assert item_label("Quality", "quality", "en", "ignored") == "Quality"
    # Chinese pages show the shop's own label
    assert item_label("配合度", "cooperation", "zh_CN", "Cooperation") == "配合度"
