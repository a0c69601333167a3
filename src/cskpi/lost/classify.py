"""Why each lost inquiry was lost: the rule, relabels, and the counts per reason.

The rule, for the last inquiry of a lost customer (:mod:`cskpi.lost.inquiries`):

1. ``service`` when the chat's facts say the shop failed: the inquiry went unanswered
   (no round answered), or its first response took longer than the profile's
   ``reply_within_s``.  Its evidence is that fact.
2. Otherwise the customer's messages of that session, latest first: the first message
   holding a keyword of the taxonomy (at word level, :mod:`cskpi.lost.matcher`) decides,
   with the keyword that ends last in it.  Its evidence is that message.
3. Otherwise ``other``.

A manager's relabel (a session id and a reason, kept by the web app with its audit
trail) replaces the rule's reason; the rule's stays beside it (``rule_reason``), and the
counts and shares use the relabelled one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from ..errors import Translate, UsageError
from ..metrics import engine
from ..metrics.ibis_adapter import fetch, named_memtable
from ..metrics.inputs import Inputs
from ..metrics.profiles import Profile
from .inquiries import customer_texts, inquiries, lost_of, service_failure, with_duration
from .matcher import KeywordMatcher
from .taxonomy import OTHER, SERVICE, Taxonomy


@dataclass(frozen=True)
class LostQuery:
    start: dt.date
    end: dt.date
    profile: Profile = field(default_factory=Profile)
    agent: str | None = None  # one agent's inquiries only

    @property
    def buckets(self) -> engine.Buckets:
        return engine.Buckets(self.start, self.end, None)


@dataclass
class LostInquiry:
    """One lost customer of an agent (or of a team or the shop), and why."""

    customer_id: str
    agent_id: str | None  # None: a customer no human served (the shop's list only)
    team: str | None
    session_id: str  # the last inquiry
    inquiry_start: dt.datetime  # its human start, local time
    reason: str
    evidence: str | None  # the customer's message that decided (keyword reasons)
    keyword: str | None
    first_response_s: float | None
    rounds: int
    duration_s: float | None
    inquiries: int  # the customer's pre-sale sessions with the agent in the period
    rule_reason: str  # what the rule decided (differs from reason when relabelled)
    relabelled: bool = False
    fact: str | None = None  # service: unanswered | slow_first_response
    fact_params: dict[str, Any] = field(default_factory=dict)
    group: str | None = None  # the group it is lost to (summaries by team or shop)

    def evidence_text(self, t: Translate) -> str | None:
        """The evidence in the language of ``t``: the message, or the service fact."""
        if self.fact is not None and self.evidence is None:
            return t(f"lost.fact.{self.fact}", **self.fact_params)
        return self.evidence

    def to_dict(self, t: Translate, taxonomy: Taxonomy, lang: str) -> dict[str, Any]:
        out = asdict(self)
        out.update(reason_label=taxonomy.label(self.reason, lang),
                   evidence=self.evidence_text(t))
        for k in ("fact", "fact_params", "group"):
            out.pop(k)
        return out


def check_inputs(inp: Inputs) -> None:
    if not inp.has("agents"):
        raise UsageError(code="explain_no_agents")
    for table in ("sessions", "orders"):
        if not inp.has(table):
            raise UsageError(code="lost_needs_input", params={"table": table})


def classified(backend: Any, inp: Inputs, q: LostQuery, facts: Any, taxonomy: Taxonomy,
               relabels: Mapping[str, str] | None = None, by: str = "agent",
               matcher: KeywordMatcher | None = None) -> ir.Table:
    """The lost customers of each group (``by``: every agent, every team, the shop) with
    their reasons, as a query: the rule's (``rule_reason``, with ``keyword`` and the
    ``evidence`` message), and ``reason`` after the relabels.

    Only the distinct messages that hold a keyword as text are looked at in Python (a
    shop's customers write the same few questions again and again); which of them decides
    each inquiry is found by the database.
    """
    check_inputs(inp)
    relabels = relabels or {}
    for session_id, reason in relabels.items():
        if taxonomy.reason(reason) is None:
            raise UsageError(code="lost_unknown_reason", params={
                "reason": reason, "session": session_id, "reasons": ", ".join(taxonomy.keys)})
    p = q.profile
    if matcher is None:
        matcher = KeywordMatcher(taxonomy)
        matcher.warm_up()
    key = (f"lost:{by}:{q.start}:{q.end}:{q.agent}:{p.cache_key()}:{p.attribution}:"
           f"{p.attribution_window_h}")
    # the shop's inquiring customers include those no human served (the catalog's too)
    pairs = inquiries(inp, p, q.buckets, facts, q.agent, duration=False,
                      agentless=by == "shop" and q.agent is None)
    lost = lost_of(pairs, by)
    lost = with_duration(inp, lost.mutate(service=service_failure(lost, p)))
    words = matcher.substrings()
    if inp.has("messages") and words:
        # read twice (its texts' distinct values, and which decides): built once
        lost = inp.shared(key, lambda: lost)
        texts = inp.shared(key + ":texts", lambda: customer_texts(
            inp, lost.filter(~lost.service), words))
        # in text order: the same texts make the same table of matches (_named)
        distinct = fetch(backend, texts.select("text").distinct().order_by("text"),
                         inp.sql_store)
        found = {r["text"]: matcher.match(r["text"]) for r in distinct}
        matched = {t: m for t, m in found.items() if m is not None}
        decided = _deciding(texts, matched)
        lost = lost.left_join(decided, lost.session_id == decided._sid).drop("_sid")
    else:
        lost = lost.mutate(_reason=ibis.null("string"), keyword=ibis.null("string"),
                           evidence=ibis.null("string"))
    rule = ibis.cases((lost.service, SERVICE), else_=lost._reason.fill_null(OTHER))
    lost = lost.mutate(rule_reason=rule).drop("_reason")
    if relabels:
        labels = _named({"_lsid": list(relabels), "_label": list(relabels.values())})
        lost = lost.left_join(labels, lost.session_id == labels._lsid).drop("_lsid")
    else:
        lost = lost.mutate(_label=ibis.null("string"))
    return lost.mutate(reason=lost._label.fill_null(lost.rule_reason),
                       relabelled=lost._label.notnull() & (lost._label != lost.rule_reason)
                       ).drop("_label")


def _named(columns: dict[str, list[str]]) -> ir.Table:
    """A small in-memory table named after its contents: the same texts or relabels give
    the same query, whose compiled SQL the workspace keeps (as ``periods_table`` does)."""
    text = repr(sorted(columns.items()))
    name = "cskpi_lost_" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return named_memtable(columns, name)


def _deciding(texts: ir.Table, matched: Mapping[str, Any]) -> ir.Table:
    """Per session, the latest of its messages whose text matched: (_sid, _reason,
    keyword, evidence)."""
    m = _named({"_text": list(matched) or [""],
                "_m_reason": [x.reason for x in matched.values()] or [""],
                "_m_keyword": [x.keyword for x in matched.values()] or [""]})
    j = texts.inner_join(m, texts.text == m._text)
    # the latest (then the greatest text) as one aggregate, not a window over every row
    found = ibis.struct({"_reason": j._m_reason, "keyword": j._m_keyword, "evidence": j.text})
    g = j.group_by(_sid=j.session_id).agg(
        _d=found.argmax(ibis.struct({"ts": j.ts_utc, "text": j.text})))
    return g.select("_sid", _reason=g._d["_reason"], keyword=g._d["keyword"],
                    evidence=g._d["evidence"])


def lost_inquiries(backend: Any, inp: Inputs, q: LostQuery, facts: Any, taxonomy: Taxonomy,
                   relabels: Mapping[str, str] | None = None, by: str = "agent",
                   matcher: KeywordMatcher | None = None) -> list[LostInquiry]:
    """The lost customers of every agent (``by`` team or shop: of every team, of the
    shop), each with its reason, latest inquiry first within each group."""
    t = classified(backend, inp, q, facts, taxonomy, relabels, by, matcher)
    rows = fetch(backend, t.order_by([engine.GROUP_COL, ibis.desc("human_utc"), "customer_id"]),
                 inp.sql_store)
    return [_item(r, q.profile) for r in rows]


def lost_counts(backend: Any, inp: Inputs, q: LostQuery, facts: Any, taxonomy: Taxonomy,
                relabels: Mapping[str, str] | None = None, by: str = "agent",
                matcher: KeywordMatcher | None = None) -> list[dict[str, Any]]:
    """Lost customers per group and reason (``group_key``, ``reason``, ``n``), counted by
    the database (what ``--summary`` shows, without listing every inquiry)."""
    t = classified(backend, inp, q, facts, taxonomy, relabels, by, matcher)
    t = t.group_by([engine.GROUP_COL, "reason"]).agg(n=t.count(), relabelled=t.relabelled.sum())
    return fetch(backend, t, inp.sql_store)


def _item(r: Mapping[str, Any], p: Profile) -> LostInquiry:
    fact, params = None, {}
    if r["rule_reason"] == SERVICE:
        if r["unanswered"]:
            fact, params = "unanswered", {"rounds": int(r["rounds"])}
        else:
            fact = "slow_first_response"
            params = {"first_response_s": f"{float(r['first_response_s']):g}",
                      "limit_s": f"{p.reply_within_s:g}"}
    return LostInquiry(
        customer_id=r["customer_id"], agent_id=r["agent_id"], team=r["team"],
        session_id=r["session_id"], inquiry_start=r["inquiry_start"], reason=r["reason"],
        evidence=r["evidence"], keyword=r["keyword"],
        first_response_s=None if r["first_response_s"] is None else float(r["first_response_s"]),
        rounds=int(r["rounds"] or 0),
        duration_s=None if r["duration_s"] is None else float(r["duration_s"]),
        inquiries=int(r["inquiries"]), rule_reason=r["rule_reason"],
        relabelled=bool(r["relabelled"]), fact=fact, fact_params=params,
        group=r[engine.GROUP_COL])


GROUP_FIELD = {"agent": "agent_id", "team": "team", "shop": "shop"}


def summary(items: list[LostInquiry], taxonomy: Taxonomy, by: str, lang: str = "en"
            ) -> list[dict[str, Any]]:
    """Per group and reason (in taxonomy order): the lost customers and their share of the
    group's; reasons nobody was lost to are left out.  Relabels count as relabelled."""
    return summary_of([{engine.GROUP_COL: i.group, "reason": i.reason, "n": 1} for i in items],
                      taxonomy, by, lang)


def summary_of(counts_rows: list[dict[str, Any]], taxonomy: Taxonomy, by: str,
               lang: str = "en") -> list[dict[str, Any]]:
    """:func:`summary` from counts per group and reason (:func:`lost_counts`)."""
    counts: dict[Any, dict[str, int]] = {}
    for r in counts_rows:
        per = counts.setdefault(r[engine.GROUP_COL], {})
        per[r["reason"]] = per.get(r["reason"], 0) + int(r["n"])
    field_name = GROUP_FIELD[by]
    out = []
    for group in sorted(counts, key=lambda g: (g is None, g or "")):
        per = counts[group]
        total = sum(per.values())
        for key in taxonomy.keys:
            if per.get(key):
                out.append({field_name: group, "reason": key,
                            "reason_label": taxonomy.label(key, lang),
                            "lost_customers": per[key], "share": per[key] / total,
                            "group_lost_customers": total})
    return out
