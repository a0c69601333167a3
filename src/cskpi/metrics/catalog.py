"""The metric catalog, version 1, as data.

Every metric has a key (the name used in schemes, JSON and CSV), labels in English and
Chinese, a unit, a direction and a definition.  Rates name their numerator and
denominator so every figure can be checked.  The docs page of metrics is generated
from these definitions; the engine computes exactly these keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "rate", "s", "h", "money"]
Direction = Literal["higher", "lower", "neutral"]


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str
    en: str
    unit: Unit
    direction: Direction
    group: str  # service | sales | aftersale | attendance
    inputs: tuple[str, ...]  # tables it needs
    definition: str
    num: str | None = None  # rates: what is counted above the line
    den: str | None = None  # rates: what is counted below the line

    @property
    def is_rate(self) -> bool:
        return self.num is not None


def M(key: str, zh: str, en: str, unit: Unit, direction: Direction, group: str,  # noqa: N802
      inputs: tuple[str, ...], definition: str, num: str | None = None,
      den: str | None = None) -> Metric:
    return Metric(key, zh, en, unit, direction, group, inputs, definition, num, den)


S, MSG = ("sessions",), ("sessions", "messages")
METRICS: tuple[Metric, ...] = (
    # --- service ---------------------------------------------------------------------
    M("sessions", "接待会话数", "Sessions", "count", "neutral", "service", S,
      "sessions of the group whose human start is in the period"),
    M("customers", "接待人数", "Customers served", "count", "neutral", "service", S,
      "distinct customers over those sessions"),
    M("replied_customers", "回复人数", "Customers replied to", "count", "higher", "service", MSG,
      "customers with at least one answered round"),
    M("reply_rate", "回复率", "Reply rate", "rate", "higher", "service", MSG,
      "replied_customers / customers", "replied customers", "customers"),
    M("first_response_s", "首次响应时长 (首响)", "First response time", "s", "lower", "service",
      MSG, "mean over sessions with an answered first round of that round's response time; "
      "the first round starts at the human start when the session opens with a transfer",
      "sum of first-round response times (s)", "sessions with an answered first round"),
    M("first_response_median_s", "首响中位数", "First response, median", "s", "lower",
      "service", MSG, "median over the same sessions (exact)"),
    M("first_response_p90_s", "首响P90", "First response, 90th percentile", "s", "lower",
      "service", MSG, "90th percentile over the same sessions (linear interpolation)"),
    M("response_s", "平均响应时长 (平响)", "Average response time", "s", "lower", "service", MSG,
      "mean over all answered rounds of their response time, each capped at the profile's "
      "response_cap_s", "sum of round response times (s, capped)", "answered rounds"),
    M("first_reply_2min_rate", "2分钟首次回复率", "First reply within 2 min", "rate", "higher",
      "service", MSG, "sessions whose first round was answered within first_reply_within_s "
      "(120 s) / sessions with a first round in the service window (unanswered = failure)",
      "sessions answered in time", "sessions in the service window"),
    M("reply_3min_rate", "3分钟回复率", "Replies within 3 min", "rate", "higher", "service", MSG,
      "rounds answered within reply_within_s (180 s) / all rounds in the service window "
      "(unanswered rounds are failures)", "rounds answered in time", "rounds in the window"),
    M("unanswered_sessions", "未回复会话", "Unanswered sessions", "count", "lower", "service",
      MSG, "sessions with no human message at all"),
    M("online_hours", "在线时长", "Online hours", "h", "higher", "service", ("online",),
      "merged online intervals clipped to the period, in hours"),
    M("rated_sessions", "评价数", "Rated sessions", "count", "neutral", "service",
      ("sessions", "ratings"), "sessions with a rating"),
    M("satisfaction", "满意率", "Satisfaction", "rate", "higher", "service",
      ("sessions", "ratings"), "(ratings 5 + ratings 4) / rated_sessions",
      "ratings 4-5", "rated sessions"),
    M("dissatisfaction", "不满意率", "Dissatisfaction", "rate", "lower", "service",
      ("sessions", "ratings"), "(ratings 1 + ratings 2) / rated_sessions",
      "ratings 1-2", "rated sessions"),
    # --- sales -----------------------------------------------------------------------
    M("inquiring_customers", "询单人数", "Inquiring customers", "count", "neutral", "sales", S,
      "distinct customers of pre-sale sessions in the period"),
    M("ordering_customers", "下单人数", "Ordering customers", "count", "higher", "sales",
      ("sessions", "orders"), "of those, customers with at least one credited order created "
      "in the period"),
    M("paying_customers", "付款人数", "Paying customers", "count", "higher", "sales",
      ("sessions", "orders"), "of those, customers with at least one credited paid order "
      "paid in the period"),
    M("order_rate", "询单→下单转化率", "Inquiry to order rate", "rate", "higher", "sales",
      ("sessions", "orders"), "ordering_customers / inquiring_customers",
      "ordering customers", "inquiring customers"),
    M("conversion_rate", "询单转化率", "Inquiry conversion rate", "rate", "higher", "sales",
      ("sessions", "orders"), "paying_customers / inquiring_customers",
      "paying customers", "inquiring customers"),
    M("sales", "客服销售额", "Sales", "money", "higher", "sales", ("orders",),
      "sum of amount of credited paid orders paid in the period"),
    M("units", "客服销售件数", "Units sold", "count", "higher", "sales", ("orders",),
      "sum of units of credited paid orders paid in the period"),
    M("aov", "客单价", "Average order value", "money", "higher", "sales", ("orders",),
      "sales / paying customers (customers with a credited paid order)", "sales",
      "paying customers"),
    M("silent_order_share", "静默下单占比", "Silent order share", "rate", "neutral", "sales",
      ("orders",), "silent paid orders (credited to no agent) / all paid orders (shop)",
      "silent paid orders", "paid orders"),
    M("target_completion", "业绩目标完成度", "Sales target completion", "rate", "higher", "sales",
      ("orders", "targets"), "sales / the sales target of the group and period",
      "sales", "sales target"),
    # --- after-sale ------------------------------------------------------------------
    M("aftersale_customers", "售后服务人数", "After-sale customers", "count", "neutral",
      "aftersale", S, "distinct customers of after-sale sessions"),
    M("refunds_handled", "处理退款数", "Refunds handled", "count", "neutral", "aftersale",
      ("refunds",), "refunds whose handler is the agent, requested in the period"),
    M("refund_completion_h", "退款完结时长", "Refund completion time", "h", "lower", "aftersale",
      ("refunds",), "mean hours from requested_ts to completed_ts over completed refunds "
      "handled", "sum of completion hours", "completed refunds"),
    M("refund_rate", "退款率", "Refund rate", "rate", "lower", "aftersale",
      ("orders", "refunds"), "orders with a refund requested in the period / paid orders "
      "paid in the period (agent: orders credited to the agent; after-sale agents: the "
      "shop's)", "orders with a refund", "paid orders"),
    M("dispute_refunds", "纠纷退款数", "Dispute refunds", "count", "lower", "aftersale",
      ("refunds",), "refunds with dispute = true requested in the 30 days ending with the "
      "period"),
    M("dispute_refund_rate", "纠纷退款率", "Dispute refund rate", "rate", "lower", "aftersale",
      ("orders", "refunds"), "dispute_refunds / paid orders in the same trailing 30 days",
      "dispute refunds", "paid orders (30 days)"),
    M("aftersale_cost", "售后费用", "After-sale cost", "money", "lower", "aftersale",
      ("refunds",), "sum of cost of refunds handled"),
    M("complaints", "投诉数", "Complaints", "count", "lower", "aftersale", ("complaints",),
      "verified complaints against the agent"),
    M("complaint_rate", "投诉率", "Complaint rate", "rate", "lower", "aftersale",
      ("complaints", "orders"), "verified complaints / paid orders of the group (after-sale "
      "agents: the shop's)", "verified complaints", "paid orders"),
    M("neutral_reviews", "中评数", "Neutral reviews", "count", "lower", "aftersale",
      ("reviews",), "neutral reviews attributed to the agent"),
    M("bad_reviews", "差评数", "Bad reviews", "count", "lower", "aftersale", ("reviews",),
      "bad reviews attributed to the agent"),
    # --- attendance ------------------------------------------------------------------
    M("late", "迟到", "Late days", "count", "lower", "attendance", ("attendance",),
      "attendance rows with status late"),
    M("leave", "请假", "Leave days", "count", "lower", "attendance", ("attendance",),
      "attendance rows with status leave"),
    M("absent", "旷工", "Absent days", "count", "lower", "attendance", ("attendance",),
      "attendance rows with status absent"),
    M("attendance_days", "考勤天数", "Attendance days", "count", "neutral", "attendance",
      ("attendance",), "attendance rows with any status"),
)

CATALOG: dict[str, Metric] = {m.key: m for m in METRICS}
METRIC_KEYS: tuple[str, ...] = tuple(CATALOG)
