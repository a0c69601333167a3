"""The lost-inquiry taxonomy: the shipped default loads, a bad file reports every problem
at once with its line, and keywords match whole words in Chinese (jieba) and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from cskpi.locale import Translator
from cskpi.lost import KeywordMatcher, TaxonomyInvalid, load_taxonomy, read_taxonomy
from cskpi.lost.taxonomy import BUILT_IN


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher(read_taxonomy())


def test_the_default_taxonomy_has_every_reason_in_both_languages() -> None:
    tax = read_taxonomy()
    assert tax.keys == ("shipping", "price", "stock_size", "delivery", "trust", "service",
                        "other")
    for r in tax.reasons:
        assert r.zh and r.en, r.key
        if r.key not in BUILT_IN:
            assert r.keywords["zh"] and r.keywords["en"], r.key
    assert tax.label("shipping", "zh_CN") == "运费" and tax.label("price", "en") == "Price"
    _, issues = load_taxonomy(_default_text())
    assert issues == []


def _default_text() -> str:
    from importlib import resources

    return resources.files("cskpi.lost").joinpath("default_taxonomy.yaml").read_text("utf-8")


BAD = """\
taxonomy: mine
colour: red
reasons:
  shipping:
    zh: 运费
    keywords:
      zh: [运费, 包邮]
      fr: [livraison]
  Price:
    zh: 价格
    en: Price
    keywords:
      zh: [包邮, 太贵]
      en: cheap
  service:
    zh: 服务
    en: Service
    keywords: {zh: [慢]}
  trust:
    zh: 信任
    en: Trust
    zh: 质量
"""


def test_a_bad_taxonomy_reports_every_problem_with_its_line() -> None:
    tax, issues = load_taxonomy(BAD, "mine.yaml")
    assert tax is None
    got = {(i.code, i.line) for i in issues}
    assert got == {
        ("unknown_key", 2),  # colour
        ("unknown_lang", 8),  # fr
        ("no_label", 4),  # shipping has no en
        ("bad_reason_key", 9),  # Price
        ("keyword_twice", 13),  # 包邮 of Price is shipping's
        ("not_list", 14),  # en: cheap
        ("built_in_keywords", 18),  # service takes no keywords
        ("duplicate_key", 22),  # trust's zh twice
        ("no_keywords", 19),  # trust has none (a warning)
    }
    assert [i.level for i in issues if i.code == "no_keywords"] == ["warning"]
    t, zh = Translator("en"), Translator("zh")
    twice = next(i for i in issues if i.code == "keyword_twice")
    assert twice.where() == "mine.yaml:13"
    assert twice.text(t) == "keyword '包邮' of Price is already a keyword of shipping"
    assert twice.text(zh) == "Price 的关键词 “包邮” 已属于 shipping"
    assert "one reason" in (twice.hint_text(t) or "")


def test_broken_yaml_and_files(tmp_path: Path) -> None:
    _, issues = load_taxonomy("reasons:\n  shipping: [\n", "x.yaml")
    assert [(i.code, i.level) for i in issues] == [("yaml", "error")] and issues[0].line
    _, issues = load_taxonomy("", "x.yaml")
    assert [i.code for i in issues] == ["empty"]
    path = tmp_path / "t.yaml"
    path.write_bytes("taxonomy: x\n".encode("gbk") + b"\xff\xfe")
    with pytest.raises(TaxonomyInvalid) as err:
        read_taxonomy(path)
    assert [i.code for i in err.value.issues] == ["encoding"]
    path.write_text("taxonomy: x\n", encoding="utf-8")
    with pytest.raises(TaxonomyInvalid) as err:
        read_taxonomy(path)
    assert [i.code for i in err.value.issues] == ["no_reasons"]
    assert err.value.message == f"{path}: 1 error(s) in the taxonomy"


def test_a_taxonomy_without_the_built_in_reasons_gets_them() -> None:
    tax, issues = load_taxonomy("reasons:\n  gift:\n    zh: 赠品\n    en: Gift\n"
                                "    keywords: {zh: [赠品], en: [gift]}\n")
    assert tax is not None and issues == []
    assert tax.keys == ("gift", "service", "other")
    assert tax.label("service", "zh_CN") == "服务"


@pytest.mark.parametrize(("text", "reason", "keyword"), [
    ("这个包邮吗", "shipping", "包邮"),
    ("太贵了", "price", "太贵"),
    ("有没有M码", "stock_size", "M码"),  # jieba cuts M码 in two: matched as written
    ("几天能到", "delivery", "几天能到"),
    ("是正品吗", "trust", "正品"),
    ("包邮吗？太贵了", "price", "太贵"),  # the keyword that ends last decides
    ("太贵了，包邮吗", "shipping", "包邮"),
    ("寄到贵州要几天", None, None),  # 贵 is not a word of 贵州; 几天 alone is no keyword
    ("很有特色", None, None),
    ("Is shipping free?", "shipping", "shipping"),
    ("It's too expensive", "price", "expensive"),
    ("Do you have size M?", "stock_size", "size"),
    ("The oversized one", None, None),  # size inside a longer word
    ("How long does delivery take", "delivery", "delivery"),
    ("is there a delivery fee", "shipping", "delivery fee"),  # the longer at one end
    ("Is it GENUINE?", "trust", "genuine"),
    ("", None, None),
])
def test_keywords_match_whole_words(matcher: KeywordMatcher, text: str, reason, keyword) -> None:
    found = matcher.match(text)
    assert (found.reason if found else None, found.keyword if found else None) == (
        reason, keyword)


def test_jieba_cuts_each_message_once() -> None:
    cuts: list[str] = []

    def cut(text: str) -> list[str]:
        cuts.append(text)
        from cskpi.lost.matcher import jieba_cut

        return jieba_cut(text)

    m = KeywordMatcher(read_taxonomy(), cut=cut)
    for _ in range(3):
        assert m.match("这个包邮吗").reason == "shipping"
    assert cuts.count("这个包邮吗") == 1
    assert m.match("how much is shipping") is not None
    assert "how much is shipping" not in cuts  # English needs no cut
