"""The metric catalog, as data: every figure from exactly what it needs.

Each :class:`Metric` declares, once:

- who it is: key (the name in schemes, JSON and CSV), labels in English and Chinese,
  unit, direction, definition;
- what it needs (:attr:`Metric.needs`): tables and columns of the data contract.  A
  figure whose needs are not all present is ``null`` with a reason naming what is
  missing; ``group_needs`` apply only to agent and team rows (a shop row counts every
  refund, whoever handled it);
- where its numbers come from: its **family** (the query that computes it, in
  :mod:`cskpi.metrics.families`) and the fields of that family's rows: ``value`` for
  counts and sums, ``num``/``den`` for rates and means;
- how it combines over days and groups (:attr:`Metric.combine`): an additive count or
  sum, a ratio of sums, a distinct count, an exact quantile;
- its scope: most figures are the group's own; ``shop`` figures exist only on shop
  rows; ``aftersale_shop`` rates use the shop's paid orders for after-sale agents and
  teams (profile setting ``aftersale_order_scope``);
- how an imported platform figure of the same key combines (:attr:`Metric.platform`).

Row assembly (:mod:`cskpi.metrics.rows`), the drill-down (:mod:`cskpi.metrics.explain`),
the partial-data tests and the docs all read these declarations; adding a metric means
adding its entry here and its fields to its family's query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "rate", "s", "h", "money", "points"]
Direction = Literal["higher", "lower", "neutral"]
Combine = Literal["sum", "ratio", "mean", "distinct", "quantile"]
Scope = Literal["group", "shop", "aftersale_shop"]


# --- what a metric needs -----------------------------------------------------------------


@dataclass(frozen=True)
class Tbl:
    """A table of the data contract, with at least one row."""

    name: str

    def text(self) -> str:
        return f"{self.name} table"


@dataclass(frozen=True)
class Col:
    """An optional column of a table, with at least one value."""

    table: str
    column: str

    def text(self) -> str:
        return f"{self.column} column in {self.table}"


@dataclass(frozen=True)
class AnyOf:
    """One of several inputs (e.g. sessions to attribute orders, or an agent column)."""

    options: tuple[Tbl | Col, ...]

    def text(self) -> str:
        return " nor ".join(o.text() for o in self.options)


Need = Tbl | Col | AnyOf

# orders are credited to an agent by attribution to the inquiries (sessions) or by an
# explicit agent column; with neither, every order is silent and no agent has sales
CREDIT = AnyOf((Tbl("sessions"), Col("orders", "agent_id")))


# --- where the numbers come from ---------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A field of a family's rows and what it counts (a rate's numerator, a sum …)."""

    field: str
    text: str
    # the same figure over the shop's orders (``aftersale_shop`` scope)
    shop_field: str | None = None


@dataclass(frozen=True)
class Platform:
    """How an imported daily platform figure (``agent_metrics``) combines over days.

    ``sum``: counts, money and hours add up.  ``basis``: a rate or mean is recombined
    weighted by the count the export gives beside it (its ``_den``), never summed.
    ``ratio``: recomputed from two imported sums (AOV = sales / paying customers).
    A rate whose basis is absent on some day is the mean of its days (said in the row's
    reasons).
    """

    how: Literal["sum", "basis", "ratio"]
    basis: str | None = None  # the imported count that weighs a rate
    num: str | None = None  # ratio: the imported sums
    den: str | None = None


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str
    en: str
    unit: Unit
    direction: Direction
    group: str  # service | sales | lost | aftersale | attendance (the docs' sections)
    definition: str
    family: str  # the query whose rows hold its fields (cskpi.metrics.families)
    needs: tuple[Need, ...]
    combine: Combine = "sum"
    value: str | None = None  # sum/distinct/quantile: the family field
    num: Part | None = None  # ratio/mean: numerator and denominator
    den: Part | None = None
    scope: Scope = "group"
    group_needs: tuple[Need, ...] = ()  # needed by agent and team rows only
    scale: float = 1.0  # the field divided by this (seconds -> hours)
    platform: Platform | None = None
    zero_den: str = "no value"  # quantiles: why there is none

    @property
    def is_rate(self) -> bool:
        """Whether rows carry ``KEY_num`` and ``KEY_den`` (rates and means)."""
        return self.num is not None

    @property
    def inputs(self) -> tuple[str, ...]:
        """The tables it can use (for the docs and the partial-data tests)."""
        names: list[str] = []
        for need in (*self.needs, *self.group_needs):
            options = need.options if isinstance(need, AnyOf) else (need,)
            for o in options:
                name = o.name if isinstance(o, Tbl) else o.table
                if name not in names:
                    names.append(name)
        return tuple(names)

    def needs_for(self, by: str, shop_scope: bool) -> tuple[Need, ...]:
        """What a row of ``by`` needs (``shop_scope``: it rests on the shop's orders, which
        need no credit)."""
        if by == "shop":
            return self.needs
        return (*self.needs, *(n for n in self.group_needs if not (shop_scope and n == CREDIT)))


def _check(m: Metric) -> Metric:
    """A definition that cannot be computed fails when the catalog is built."""
    if m.combine in ("ratio", "mean"):
        assert m.num is not None and m.den is not None and m.value is None, m.key
    else:
        assert m.value is not None and m.num is None, m.key
    if m.scope == "aftersale_shop":
        assert m.num and m.den and m.den.shop_field, m.key
    return m


SESSIONS, MESSAGES, RATINGS = Tbl("sessions"), Tbl("messages"), Tbl("ratings")
ORDERS, REFUNDS = Tbl("orders"), Tbl("refunds")
CHAT = (SESSIONS, MESSAGES)
HANDLER = Col("refunds", "agent_id")  # refunds per agent need their handler
SUM = Platform("sum")


def _basis(count: str) -> Platform:
    return Platform("basis", basis=count)


def P(field: str, text: str, shop_field: str | None = None) -> Part:  # noqa: N802
    return Part(field, text, shop_field)


METRICS: tuple[Metric, ...] = tuple(_check(m) for m in (
    # --- service ---------------------------------------------------------------------
    Metric("sessions", "接待会话数", "Sessions", "count", "neutral", "service",
           "sessions of the group whose human start is in the period",
           "service", (SESSIONS,), value="sessions", platform=SUM),
    Metric("customers", "接待人数", "Customers served", "count", "neutral", "service",
           "distinct customers over those sessions",
           "customers", (SESSIONS,), "distinct", value="customers", platform=SUM),
    Metric("replied_customers", "回复人数", "Customers replied to", "count", "higher",
           "service", "customers with at least one answered round",
           "customers", CHAT, "distinct", value="replied_customers", platform=SUM),
    Metric("reply_rate", "回复率", "Reply rate", "rate", "higher", "service",
           "replied_customers / customers",
           "customers", CHAT, "ratio", num=P("replied_customers", "replied customers"),
           den=P("customers", "customers"), platform=_basis("customers")),
    Metric("first_response_s", "首次响应时长 (首响)", "First response time", "s", "lower",
           "service", "mean over sessions with an answered first round of that round's "
           "response time; the first round starts at the human start when the session "
           "opens with a transfer",
           "service", CHAT, "mean",
           num=P("first_response_s_sum", "sum of first-round response times (s)"),
           den=P("first_responses", "sessions with an answered first round"),
           platform=_basis("replied_customers")),
    Metric("first_response_median_s", "首响中位数", "First response, median", "s", "lower",
           "service", "median over the same sessions (exact)",
           "first_responses", CHAT, "quantile", value="first_response_median_s",
           zero_den="no answered first round in the service window"),
    Metric("first_response_p90_s", "首响P90", "First response, 90th percentile", "s",
           "lower", "service", "90th percentile over the same sessions (linear "
           "interpolation)",
           "first_responses", CHAT, "quantile", value="first_response_p90_s",
           zero_den="no answered first round in the service window"),
    Metric("response_s", "平均响应时长 (平响)", "Average response time", "s", "lower",
           "service", "mean over all answered rounds of their response time, each capped at "
           "the profile's response_cap_s",
           "service", CHAT, "mean",
           num=P("window_response_s_sum", "sum of round response times (s, capped)"),
           den=P("window_answered_rounds", "answered rounds"),
           platform=_basis("replied_customers")),
    Metric("first_reply_2min_rate", "2分钟首次回复率", "First reply within 2 min", "rate",
           "higher", "service", "sessions whose first round was answered within "
           "first_reply_within_s (120 s) / sessions with a first round in the service window "
           "(unanswered = failure)",
           "service", CHAT, "ratio",
           num=P("window_first_rounds_in_time", "sessions answered in time"),
           den=P("window_first_rounds", "sessions in the service window"),
           platform=_basis("sessions")),
    Metric("reply_3min_rate", "3分钟回复率", "Replies within 3 min", "rate", "higher",
           "service", "rounds answered within reply_within_s (180 s) / all rounds in the "
           "service window (unanswered rounds are failures)",
           "service", CHAT, "ratio", num=P("window_rounds_in_time", "rounds answered in time"),
           den=P("window_rounds", "rounds in the window"), platform=_basis("customers")),
    Metric("unanswered_sessions", "未回复会话", "Unanswered sessions", "count", "lower",
           "service", "sessions with no human message at all",
           "service", CHAT, value="unanswered_sessions", platform=SUM),
    Metric("online_hours", "在线时长", "Online hours", "h", "higher", "service",
           "merged online intervals clipped to the period, in hours",
           "online", (Tbl("online"),), value="online_s", scale=3600.0, platform=SUM),
    Metric("rated_sessions", "评价数", "Rated sessions", "count", "neutral", "service",
           "sessions with a rating",
           "service", (SESSIONS, RATINGS), value="rated_sessions", platform=SUM),
    Metric("satisfaction", "满意率", "Satisfaction", "rate", "higher", "service",
           "(ratings 5 + ratings 4) / rated_sessions",
           "service", (SESSIONS, RATINGS), "ratio", num=P("rated_good", "ratings 4-5"),
           den=P("rated_sessions", "rated sessions"), platform=_basis("rated_sessions")),
    Metric("dissatisfaction", "不满意率", "Dissatisfaction", "rate", "lower", "service",
           "(ratings 1 + ratings 2) / rated_sessions",
           "service", (SESSIONS, RATINGS), "ratio", num=P("rated_bad", "ratings 1-2"),
           den=P("rated_sessions", "rated sessions"), platform=_basis("rated_sessions")),
    # --- sales -----------------------------------------------------------------------
    Metric("inquiring_customers", "询单人数", "Inquiring customers", "count", "neutral",
           "sales", "distinct customers of pre-sale sessions in the period",
           "customers", (SESSIONS,), "distinct", value="inquiring_customers", platform=SUM),
    Metric("ordering_customers", "下单人数", "Ordering customers", "count", "higher", "sales",
           "of those, customers with at least one credited order created in the period",
           "customers", (SESSIONS, ORDERS), "distinct", value="ordering_customers",
           platform=SUM),
    Metric("paying_customers", "付款人数", "Paying customers", "count", "higher", "sales",
           "of those, customers with at least one credited paid order paid in the period",
           "customers", (SESSIONS, ORDERS), "distinct", value="paying_customers",
           platform=SUM),
    Metric("order_rate", "询单→下单转化率", "Inquiry to order rate", "rate", "higher", "sales",
           "ordering_customers / inquiring_customers",
           "customers", (SESSIONS, ORDERS), "ratio",
           num=P("ordering_customers", "ordering customers"),
           den=P("inquiring_customers", "inquiring customers"),
           platform=_basis("inquiring_customers")),
    Metric("conversion_rate", "询单转化率", "Inquiry conversion rate", "rate", "higher",
           "sales", "paying_customers / inquiring_customers",
           "customers", (SESSIONS, ORDERS), "ratio",
           num=P("paying_customers", "paying customers"),
           den=P("inquiring_customers", "inquiring customers"),
           platform=_basis("inquiring_customers")),
    Metric("sales", "客服销售额", "Sales", "money", "higher", "sales",
           "sum of amount of credited paid orders paid in the period",
           "sales", (ORDERS, Col("orders", "amount"), CREDIT), value="sales", platform=SUM),
    Metric("units", "客服销售件数", "Units sold", "count", "higher", "sales",
           "sum of units of credited paid orders paid in the period",
           "sales", (ORDERS, CREDIT), value="units", platform=SUM),
    Metric("aov", "客单价", "Average order value", "money", "higher", "sales",
           "sales / paying customers (customers with a credited paid order)",
           "sales", (ORDERS, Col("orders", "amount"), CREDIT), "ratio",
           num=P("sales", "sales"), den=P("buyers", "paying customers"),
           platform=Platform("ratio", num="sales", den="paying_customers")),
    Metric("shop_sales", "店铺销售额", "Shop sales", "money", "higher", "sales",
           "sum of amount of all the shop's orders paid in the period, credited or not "
           "(shop rows)",
           "shop_orders", (ORDERS, Col("orders", "amount")), value="shop_sales",
           scope="shop"),
    Metric("silent_sales", "静默销售额", "Silent sales", "money", "neutral", "sales",
           "sum of amount of paid orders credited to no agent (silent orders), paid in the "
           "period (shop rows)",
           "shop_orders", (ORDERS, Col("orders", "amount"), CREDIT), value="silent_sales",
           scope="shop"),
    Metric("silent_order_share", "静默下单占比", "Silent order share", "rate", "neutral",
           "sales", "silent paid orders (credited to no agent) / all paid orders (shop)",
           "shop_orders", (ORDERS, CREDIT), "ratio",
           num=P("silent_paid_orders", "silent paid orders"),
           den=P("shop_paid_orders", "paid orders"), scope="shop"),
    Metric("target_completion", "业绩目标完成度", "Sales target completion", "rate", "higher",
           "sales", "sales / the sales target of the group and period",
           "sales", (ORDERS, Col("orders", "amount"), CREDIT, Tbl("targets")), "ratio",
           num=P("sales", "sales"), den=P("target", "sales target")),
    # --- lost inquiries and payment reminders (询单流失, 催付) -------------------------
    Metric("lost_customers", "询单流失人数", "Lost inquiries", "count", "lower", "lost",
           "inquiring customers with no order credited to the group created in the period "
           "(inquiring_customers - ordering_customers)",
           "customers", (SESSIONS, ORDERS), "distinct", value="lost_customers"),
    Metric("lost_rate", "询单流失率", "Lost inquiry rate", "rate", "lower", "lost",
           "lost_customers / inquiring_customers",
           "customers", (SESSIONS, ORDERS), "ratio",
           num=P("lost_customers", "lost inquiring customers"),
           den=P("inquiring_customers", "inquiring customers")),
    Metric("unpaid_customers", "下单未付款人数", "Ordered, not paid", "count", "lower", "lost",
           "ordering customers with no credited order paid in the period (ordering_customers "
           "- paying_customers when every paying customer also ordered in the period)",
           "customers", (SESSIONS, ORDERS), "distinct", value="unpaid_customers"),
    Metric("reminded_orders", "催付订单数", "Payment reminders", "count", "higher", "lost",
           "orders still unpaid when an agent messaged their customer, within remind_window_h "
           "(24 h) of their creation; credited to that agent, in the period of the reminder",
           "reminders", (SESSIONS, MESSAGES, ORDERS), value="reminded_orders"),
    Metric("reminded_paid_orders", "催付成功订单数", "Paid after a reminder", "count",
           "higher", "lost", "reminded orders paid after the reminder",
           "reminders", (SESSIONS, MESSAGES, ORDERS), value="reminded_paid_orders"),
    Metric("remind_success_rate", "催付成功率", "Reminder success rate", "rate", "higher",
           "lost", "reminded_paid_orders / reminded_orders",
           "reminders", (SESSIONS, MESSAGES, ORDERS), "ratio",
           num=P("reminded_paid_orders", "orders paid after the reminder"),
           den=P("reminded_orders", "reminded orders")),
    # --- after-sale ------------------------------------------------------------------
    Metric("aftersale_customers", "售后服务人数", "After-sale customers", "count", "neutral",
           "aftersale", "distinct customers of after-sale sessions",
           "customers", (SESSIONS,), "distinct", value="aftersale_customers"),
    Metric("refunds_handled", "处理退款数", "Refunds handled", "count", "neutral",
           "aftersale", "refunds whose handler is the agent, requested in the period",
           "refunds", (REFUNDS,), value="refunds_handled", group_needs=(HANDLER,)),
    Metric("refund_completion_h", "退款完结时长", "Refund completion time", "h", "lower",
           "aftersale", "mean hours from requested_ts to completed_ts over completed "
           "refunds handled",
           "refunds", (REFUNDS, Col("refunds", "completed_ts")), "mean",
           num=P("completion_h_sum", "sum of completion hours"),
           den=P("completion_n", "completed refunds"), group_needs=(HANDLER,)),
    Metric("refund_rate", "退款率", "Refund rate", "rate", "lower", "aftersale",
           "orders with a refund requested in the period / paid orders paid in the period "
           "(agent: orders credited to the agent; after-sale agents: the shop's)",
           "orders_refunded", (ORDERS, REFUNDS), "ratio",
           num=P("refund_orders", "orders with a refund", "shop_refund_orders"),
           den=P("paid_orders", "paid orders", "shop_paid_orders"),
           scope="aftersale_shop", group_needs=(CREDIT,),
           platform=Platform("basis")),
    Metric("dispute_refunds", "纠纷退款数", "Dispute refunds", "count", "lower", "aftersale",
           "refunds with dispute = true requested in the 30 days ending with the period",
           "disputes", (REFUNDS,), value="dispute_refunds", group_needs=(HANDLER,)),
    Metric("dispute_refund_rate", "纠纷退款率", "Dispute refund rate", "rate", "lower",
           "aftersale", "dispute_refunds / paid orders in the same trailing 30 days",
           "disputes", (ORDERS, REFUNDS), "ratio",
           num=P("dispute_refunds", "dispute refunds"),
           den=P("paid_30d", "paid orders (30 days)", "shop_paid_30d"),
           scope="aftersale_shop", group_needs=(HANDLER, CREDIT)),
    Metric("aftersale_cost", "售后费用", "After-sale cost", "money", "lower", "aftersale",
           "sum of cost of refunds handled",
           "refunds", (REFUNDS, Col("refunds", "cost")), value="aftersale_cost",
           group_needs=(HANDLER,)),
    Metric("complaints", "投诉数", "Complaints", "count", "lower", "aftersale",
           "verified complaints against the agent",
           "complaints", (Tbl("complaints"),), value="complaints"),
    Metric("complaint_rate", "投诉率", "Complaint rate", "rate", "lower", "aftersale",
           "verified complaints / paid orders of the group (after-sale agents: the shop's)",
           "complaints", (Tbl("complaints"), ORDERS), "ratio",
           num=P("complaints", "verified complaints"),
           den=P("paid_orders", "paid orders", "shop_paid_orders"),
           scope="aftersale_shop", group_needs=(CREDIT,)),
    Metric("neutral_reviews", "中评数", "Neutral reviews", "count", "lower", "aftersale",
           "neutral reviews attributed to the agent (its agent column, else the order's "
           "credited agent)",
           "reviews", (Tbl("reviews"),), value="neutral_reviews",
           group_needs=(AnyOf((Col("reviews", "agent_id"), Tbl("orders"))),)),
    Metric("bad_reviews", "差评数", "Bad reviews", "count", "lower", "aftersale",
           "bad reviews attributed to the agent (its agent column, else the order's "
           "credited agent)",
           "reviews", (Tbl("reviews"),), value="bad_reviews",
           group_needs=(AnyOf((Col("reviews", "agent_id"), Tbl("orders"))),)),
    # --- attendance ------------------------------------------------------------------
    Metric("late", "迟到", "Late days", "count", "lower", "attendance",
           "attendance rows with status late",
           "attendance", (Tbl("attendance"),), value="late"),
    Metric("leave", "请假", "Leave days", "count", "lower", "attendance",
           "attendance rows with status leave",
           "attendance", (Tbl("attendance"),), value="leave"),
    Metric("absent", "旷工", "Absent days", "count", "lower", "attendance",
           "attendance rows with status absent",
           "attendance", (Tbl("attendance"),), value="absent"),
    Metric("attendance_days", "考勤天数", "Attendance days", "count", "neutral", "attendance",
           "attendance rows with any status",
           "attendance", (Tbl("attendance"),), value="attendance_days"),
))

CATALOG: dict[str, Metric] = {m.key: m for m in METRICS}
METRIC_KEYS: tuple[str, ...] = tuple(CATALOG)

# --- chat quality inspection (质检) ------------------------------------------------------
# A second, small catalog: these figures exist only when QA rules are given (``cskpi
# metrics --qa``, a scheme's ``qa:``), because what a session scores depends on the rules.
# Rows computed with rules carry them after the catalog's own (:func:`metrics_for`); the
# drill-down of a QA figure is ``cskpi qa hits`` (the sessions and hits behind it).
TEXT = Col("messages", "text")
QA_NEEDS = (SESSIONS, MESSAGES, TEXT)
QA_METRICS: tuple[Metric, ...] = tuple(_check(m) for m in (
    Metric("qa_sessions", "质检会话数", "Sessions checked", "count", "neutral", "qa",
           "human-served sessions of the period with at least one agent message, of the "
           "agents the QA rules apply to", "qa", QA_NEEDS, value="qa_sessions"),
    Metric("qa_score", "质检得分", "QA score", "points", "higher", "qa",
           "mean session QA score: start plus the points of the rules hit (each once per "
           "session unless per: hit), clamped to 0..start, 0 with a fatal hit, plus rubric "
           "points; hits a reviewer dismissed do not count",
           "qa", QA_NEEDS, "mean", num=P("qa_score_sum", "sum of session QA scores"),
           den=P("qa_sessions", "sessions checked")),
    Metric("qa_hit_sessions", "违规会话数", "Sessions with a hit", "count", "lower", "qa",
           "checked sessions with at least one counted hit", "qa", QA_NEEDS,
           value="qa_hit_sessions"),
    Metric("qa_fatal_sessions", "致命违规会话数", "Sessions with a fatal hit", "count",
           "lower", "qa", "checked sessions with a fatal hit (their score is 0)", "qa",
           QA_NEEDS, value="qa_fatal_sessions"),
))
QA_CATALOG: dict[str, Metric] = {m.key: m for m in QA_METRICS}


def metrics_for(qa: bool) -> tuple[Metric, ...]:
    """The metrics of a row: the catalog, and the QA figures when rules are given."""
    return (*METRICS, *QA_METRICS) if qa else METRICS


def needed_columns(metrics: tuple[Metric, ...] = METRICS) -> dict[str, tuple[str, ...]]:
    """The optional columns some metric needs, by table (checked for values at run time)."""
    out: dict[str, list[str]] = {}
    for m in metrics:
        for need in (*m.needs, *m.group_needs):
            for o in need.options if isinstance(need, AnyOf) else (need,):
                if isinstance(o, Col) and o.column not in out.setdefault(o.table, []):
                    out[o.table].append(o.column)
    return {t: tuple(cols) for t, cols in out.items()}
