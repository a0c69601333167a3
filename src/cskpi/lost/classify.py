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
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis

from ..errors import Translate, UsageError
from ..metrics import engine as E
from ..metrics.ibis_adapter import fetch
from ..metrics.inputs import Inputs
from ..metrics.profiles import Profile
from .inquiries import customer_texts, inquiries, lost_of, service_failure
from .matcher import KeywordMatcher
from .taxonomy import OTHER, SERVICE, Taxonomy


@dataclass(frozen=True)
class LostQuery:
    start: dt.date
    end: dt.date
    profile: Profile = field(default_factory=Profile)
    agent: str | None = None  # one agent's inquiries only

    @property
    def buckets(self) -> E.Buckets:
        return E.Buckets(self.start, self.end, None)


@dataclass
class LostInquiry:
    """One lost customer of an agent (or of a team or the shop), and why."""

    customer_id: str
    agent_id: str
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


def lost_inquiries(backend: Any, inp: Inputs, q: LostQuery, facts: Any, taxonomy: Taxonomy,
                   relabels: Mapping[str, str] | None = None, by: str = "agent",
                   matcher: KeywordMatcher | None = None) -> list[LostInquiry]:
    """The lost customers of every agent (``by`` team or shop: of every team, of the
    shop), each with its reason, latest inquiry first within each group."""
    check_inputs(inp)
    relabels = relabels or {}
    for session_id, reason in relabels.items():
        if taxonomy.reason(reason) is None:
            raise UsageError(code="lost_unknown_reason", params={
                "reason": reason, "session": session_id, "reasons": ", ".join(taxonomy.keys)})
    p = q.profile
    matcher = matcher or KeywordMatcher(taxonomy)
    if inp.has("messages"):
        matcher.warm_up()
    pairs = inquiries(inp, p, q.buckets, facts, q.agent)
    lost = lost_of(pairs, by)
    lost = lost.mutate(service=service_failure(lost, p))
    # read twice (its rows, and the sessions whose texts are searched): built once
    lost = inp.shared(f"lost:{by}:{q.start}:{q.end}:{q.agent}:{p.cache_key()}:"
                      f"{p.attribution}:{p.attribution_window_h}", lambda: lost)
    rows = fetch(backend, lost.order_by([E.GROUP_COL, ibis.desc("human_utc"), "customer_id"]),
                 inp.sql_store)
    texts: dict[str, list[str]] = {}
    words = matcher.substrings()
    if inp.has("messages") and words and any(not r["service"] for r in rows):
        searched = lost.filter(~lost.service)
        for r in fetch(backend, customer_texts(inp, searched, words), inp.sql_store):
            texts.setdefault(r["session_id"], []).append(r["text"])
    out = []
    for r in rows:
        item = _classify(r, texts.get(r["session_id"], ()), matcher, p)
        label = relabels.get(item.session_id)
        if label is not None and label != item.reason:
            item.reason, item.relabelled = label, True
        out.append(item)
    return out


def _classify(r: Mapping[str, Any], texts: Any, matcher: KeywordMatcher,
              p: Profile) -> LostInquiry:
    reason, evidence, keyword, fact, params = OTHER, None, None, None, {}
    if r["service"]:
        reason = SERVICE
        if r["unanswered"]:
            fact, params = "unanswered", {"rounds": int(r["rounds"])}
        else:
            fact = "slow_first_response"
            params = {"first_response_s": f"{float(r['first_response_s']):g}",
                      "limit_s": f"{p.reply_within_s:g}"}
    else:
        for text in texts:  # latest first
            found = matcher.match(text)
            if found is not None:
                reason, evidence, keyword = found.reason, text, found.keyword
                break
    return LostInquiry(
        customer_id=r["customer_id"], agent_id=r["agent_id"], team=r["team"],
        session_id=r["session_id"], inquiry_start=r["inquiry_start"], reason=reason,
        evidence=evidence, keyword=keyword,
        first_response_s=None if r["first_response_s"] is None else float(r["first_response_s"]),
        rounds=int(r["rounds"] or 0),
        duration_s=None if r["duration_s"] is None else float(r["duration_s"]),
        inquiries=int(r["inquiries"]), rule_reason=reason, fact=fact, fact_params=params,
        group=r[E.GROUP_COL])


GROUP_FIELD = {"agent": "agent_id", "team": "team", "shop": "shop"}


def summary(items: list[LostInquiry], taxonomy: Taxonomy, by: str, lang: str = "en"
            ) -> list[dict[str, Any]]:
    """Per group and reason (in taxonomy order): the lost customers and their share of the
    group's; reasons nobody was lost to are left out.  Relabels count as relabelled."""
    counts: dict[Any, dict[str, int]] = {}
    relabelled: dict[Any, int] = {}
    for item in items:
        per = counts.setdefault(item.group, {})
        per[item.reason] = per.get(item.reason, 0) + 1
        relabelled[item.group] = relabelled.get(item.group, 0) + item.relabelled
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
