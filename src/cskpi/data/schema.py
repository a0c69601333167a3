"""The data contract, version 1, as data.

Every table a shop hands to cskpi is declared here once: its columns, their types,
Chinese header aliases, accepted spellings of enum values, and the key that makes a
row unique.  The reader, the validator, the workspace store and the generated docs
all read these declarations; nothing else hard-codes a column name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CONTRACT_VERSION = 1

ColType = Literal[
    "str",  # text; ids stay strings ("001" stays "001")
    "enum",  # one of `values` (accepted spellings map to a canonical value)
    "bool",
    "int",
    "money",  # decimal with at most two places, no symbol
    "number",  # decimal figure; "95.5%" is read as 0.955
    "timestamp",  # ISO 8601, 2026/10/03 14:05:09, Excel serial; local time if no offset
    "date",
    "period",  # YYYY-MM
]

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "真", "在职")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "假", "离职")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False  # the column must be present in the file
    not_null: bool = False  # every row needs a value
    values: dict[str, str] | None = None  # enum: accepted spelling (lower case) -> canonical
    default: str | None = None  # canonical value used when the cell is empty
    unit: str | None = None  # number columns: "rate" (0..1), "s", "h", "money", "count"
    help: str = ""

    def header_names(self) -> tuple[str, ...]:
        """Every header spelling that maps to this column (normalised)."""
        return (normalise_header(self.name), *(normalise_header(a) for a in self.aliases))


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] | None  # None: rows are unique as a whole
    required: bool = False
    help: str = ""
    ts_column: str | None = None  # the column that places a row in time
    agent_refs: tuple[str, ...] = field(default=())  # columns that must name a known agent

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def normalise_header(text: str) -> str:
    """Headers match case-insensitively, ignoring surrounding spaces and a BOM."""
    return text.replace("\ufeff", "").strip().lower()


def _enum(*pairs: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    """Build an enum map: each canonical value accepts itself and its aliases."""
    mapping: dict[str, str] = {}
    for canonical, aliases in pairs:
        mapping[canonical.lower()] = canonical
        for alias in aliases:
            mapping[alias.lower()] = canonical
    return mapping


ROLE = _enum(
    ("presale", ("售前", "pre-sale", "pre_sale")),
    ("aftersale", ("售后", "after-sale", "after_sale")),
    ("lead", ("组长", "主管", "team lead")),
)
KIND = _enum(("presale", ("售前", "pre-sale")), ("aftersale", ("售后", "after-sale")))
SENDER = _enum(
    ("customer", ("顾客", "买家", "客户", "buyer")),
    ("agent", ("客服", "卖家", "seller")),
    ("bot", ("机器人", "智能客服", "robot")),
    ("system", ("系统",)),
)
MESSAGE_EVENT = _enum(("transfer", ("转人工", "转接")), ("close", ("结束", "关闭")))
ORDER_STATUS = _enum(
    ("paid", ("已付款", "已支付", "交易成功", "已发货")),
    ("unpaid", ("未付款", "待付款", "等待买家付款")),
    ("cancelled", ("已取消", "canceled", "取消")),
    ("closed", ("已关闭", "交易关闭", "关闭")),
)
REFUND_KIND = _enum(
    ("refund_only", ("仅退款", "refund")),
    ("return_refund", ("退货退款", "return")),
    ("exchange", ("换货",)),
)
REVIEW_RATING = _enum(
    ("good", ("好评", "5", "4")),
    ("neutral", ("中评", "3")),
    ("bad", ("差评", "2", "1")),
)
ATTENDANCE = _enum(
    ("present", ("出勤", "正常", "在岗")),
    ("late", ("迟到",)),
    ("leave", ("请假", "休假")),
    ("absent", ("旷工", "缺勤")),
)
GRADE = _enum(
    ("A", ("优", "优秀")),
    ("B", ("良", "良好")),
    ("C", ("中", "中等", "合格")),
    ("D", ("差", "较差", "不合格")),
)
RATING_SCORE = _enum(
    ("5", ("非常满意",)),
    ("4", ("满意",)),
    ("3", ("一般",)),
    ("2", ("不满意",)),
    ("1", ("非常不满意",)),
)


def C(name: str, type_: ColType, zh: str, *aliases: str, **kw: object) -> Column:  # noqa: N802
    return Column(name, type_, zh, tuple(aliases), **kw)  # type: ignore[arg-type]


AGENT_ID = "agent_id"

AGENTS = Table(
    "agents",
    "客服",
    (
        C("agent_id", "str", "客服ID", "客服ID", "子账号", "客服账号", required=True, not_null=True),
        C("name", "str", "姓名", "姓名", "客服昵称", "名字"),
        C("role", "enum", "岗位", "岗位", "角色", values=ROLE, default="presale"),
        C("team", "str", "组别", "组别", "小组", "团队"),
        C("level", "str", "级别", "级别", "等级", help="e.g. junior, senior, lead (普通/高级/组长)"),
        C("active", "bool", "在职", "在职", "是否在职", default="true"),
    ),
    key=("agent_id",),
    required=True,
    help="The agents to score. The only table that is always required.",
)

SESSIONS = Table(
    "sessions",
    "会话",
    (
        C("session_id", "str", "会话ID", "会话ID", "会话编号", required=True, not_null=True),
        C("customer_id", "str", "顾客ID", "顾客ID", "买家", "买家昵称", "顾客", required=True, not_null=True),
        C("agent_id", "str", "客服ID", "客服ID", "客服", "接待客服",
          help="the human agent; empty = never reached a human"),
        C("start_ts", "timestamp", "开始时间", "开始时间", "会话开始时间", required=True, not_null=True),
        C("transfer_ts", "timestamp", "转人工时间", "转人工时间", help="empty = human from the start"),
        C("end_ts", "timestamp", "结束时间", "结束时间", "会话结束时间"),
        C("channel", "str", "渠道", "渠道", "平台"),
        C("kind", "enum", "类型", "类型", "会话类型", values=KIND, help="default: the agent's role"),
    ),
    key=("session_id",),
    help="Optional; derived from messages when absent.",
    ts_column="start_ts",
    agent_refs=("agent_id",),
)

MESSAGES = Table(
    "messages",
    "聊天记录",
    (
        C("session_id", "str", "会话ID", "会话ID", "会话编号", required=True, not_null=True),
        C("ts", "timestamp", "时间", "时间", "发送时间", "消息时间", required=True, not_null=True),
        C("sender", "enum", "发送方", "发送方", "发送人类型", "角色", required=True, not_null=True,
          values=SENDER),
        C("agent_id", "str", "客服ID", "客服ID", "客服", help="required when sender = agent"),
        C("customer_id", "str", "顾客ID", "顾客ID", "买家", "买家昵称",
          help="required when there is no sessions table"),
        C("text", "str", "内容", "内容", "消息内容"),
        C("event", "enum", "事件", "事件", values=MESSAGE_EVENT, help="on system rows"),
    ),
    key=None,
    help="Chat logs; needed for every response-time metric.",
    ts_column="ts",
    agent_refs=("agent_id",),
)

RATINGS = Table(
    "ratings",
    "评价",
    (
        C("session_id", "str", "会话ID", "会话ID", required=True, not_null=True),
        C("score", "enum", "满意度", "满意度", "评分", "评价", required=True, not_null=True,
          values=RATING_SCORE, help="1-5: 5 非常满意 … 1 非常不满意"),
        C("ts", "timestamp", "评价时间", "评价时间", "时间"),
    ),
    key=("session_id",),
    ts_column="ts",
)

ORDERS = Table(
    "orders",
    "订单",
    (
        C("order_id", "str", "订单号", "订单号", "订单编号", required=True, not_null=True),
        C("customer_id", "str", "顾客ID", "顾客ID", "买家", "买家昵称", required=True, not_null=True),
        C("created_ts", "timestamp", "下单时间", "下单时间", "创建时间", required=True, not_null=True),
        C("paid_ts", "timestamp", "付款时间", "付款时间", "支付时间", help="empty = not paid"),
        C("amount", "money", "实付金额", "实付金额", "金额", "付款金额"),
        C("units", "int", "件数", "件数", "数量", "商品数量", default="1"),
        C("status", "enum", "状态", "状态", "订单状态", values=ORDER_STATUS, help="default from paid_ts"),
        C("agent_id", "str", "客服ID", "客服ID", "客服", "归属客服",
          help="explicit credit; overrides attribution"),
    ),
    key=("order_id",),
    ts_column="created_ts",
    agent_refs=("agent_id",),
)

REFUNDS = Table(
    "refunds",
    "退款/售后",
    (
        C("refund_id", "str", "退款编号", "退款编号", "退款单号", "售后单号", required=True, not_null=True),
        C("order_id", "str", "订单号", "订单号", "订单编号"),
        C("agent_id", "str", "处理客服", "处理客服", "客服ID", "客服"),
        C("requested_ts", "timestamp", "申请时间", "申请时间", "退款申请时间", required=True,
          not_null=True),
        C("completed_ts", "timestamp", "完结时间", "完结时间", "退款完结时间", help="empty = open"),
        C("amount", "money", "退款金额", "退款金额", "金额"),
        C("kind", "enum", "售后类型", "售后类型", "退款类型", values=REFUND_KIND),
        C("reason", "str", "退款原因", "退款原因", "原因"),
        C("dispute", "bool", "纠纷", "纠纷", "是否纠纷", "平台介入", default="false"),
        C("cost", "money", "售后费用", "售后费用", "费用"),
    ),
    key=("refund_id",),
    ts_column="requested_ts",
    agent_refs=("agent_id",),
)

REVIEWS = Table(
    "reviews",
    "商品评价",
    (
        C("order_id", "str", "订单号", "订单号", "订单编号", required=True, not_null=True),
        C("ts", "timestamp", "评价时间", "评价时间", "时间"),
        C("rating", "enum", "评价", "评价", "评价等级", required=True, not_null=True,
          values=REVIEW_RATING, help="good/neutral/bad (好评/中评/差评) or 1-5"),
        C("agent_id", "str", "责任客服", "责任客服", "客服ID", "客服"),
        C("text", "str", "评价内容", "评价内容", "内容"),
    ),
    key=None,
    ts_column="ts",
    agent_refs=("agent_id",),
)

COMPLAINTS = Table(
    "complaints",
    "投诉",
    (
        C("complaint_id", "str", "投诉编号", "投诉编号", "投诉ID", required=True, not_null=True),
        C("ts", "timestamp", "投诉时间", "投诉时间", "时间", required=True, not_null=True),
        C("agent_id", "str", "客服ID", "客服ID", "客服", "被投诉客服", required=True, not_null=True),
        C("order_id", "str", "订单号", "订单号"),
        C("verified", "bool", "查实", "查实", "是否查实", default="false"),
        C("points", "number", "扣分", "扣分", "分数"),
        C("note", "str", "备注", "备注", "说明"),
    ),
    key=("complaint_id",),
    ts_column="ts",
    agent_refs=("agent_id",),
)

ATTENDANCE_T = Table(
    "attendance",
    "考勤",
    (
        C("agent_id", "str", "客服ID", "客服ID", "客服", required=True, not_null=True),
        C("date", "date", "日期", "日期", required=True, not_null=True),
        C("status", "enum", "状态", "状态", "考勤状态", required=True, not_null=True, values=ATTENDANCE),
    ),
    key=("agent_id", "date"),
    ts_column="date",
    agent_refs=("agent_id",),
)

ONLINE = Table(
    "online",
    "在线时长",
    (
        C("agent_id", "str", "客服ID", "客服ID", "客服", required=True, not_null=True),
        C("start_ts", "timestamp", "上线时间", "上线时间", "开始时间", required=True, not_null=True),
        C("end_ts", "timestamp", "下线时间", "下线时间", "结束时间", required=True, not_null=True),
    ),
    key=None,
    help="Online intervals; overlaps of one agent are merged.",
    ts_column="start_ts",
    agent_refs=("agent_id",),
)

GRADES = Table(
    "grades",
    "主管评分",
    (
        C("agent_id", "str", "客服ID", "客服ID", "客服", required=True, not_null=True),
        C("period", "period", "考核月份", "考核月份", "月份", "周期", required=True, not_null=True),
        C("item", "str", "考核项", "考核项", "项目", required=True, not_null=True,
          help="a scheme item key"),
        C("grade", "enum", "评级", "评级", "等级", "评分", required=True, not_null=True, values=GRADE,
          help="A/B/C/D or 优/良/中/差"),
        C("reviewer", "str", "评分人", "评分人", "主管"),
        C("note", "str", "备注", "备注", "说明"),
    ),
    key=("agent_id", "period", "item"),
    agent_refs=("agent_id",),
)

EVENTS = Table(
    "events",
    "奖惩事件",
    (
        C("agent_id", "str", "客服ID", "客服ID", "客服", required=True, not_null=True),
        C("ts", "timestamp", "时间", "时间", "日期", required=True, not_null=True),
        C("kind", "str", "类型", "类型", "事件类型", required=True, not_null=True,
          help="e.g. praise, outstanding, low_quality_review, complaint"),
        C("points", "number", "分数", "分数", "加减分"),
        C("note", "str", "备注", "备注", "说明"),
    ),
    key=None,
    ts_column="ts",
    agent_refs=("agent_id",),
)

TARGETS = Table(
    "targets",
    "目标",
    (
        C("period", "period", "月份", "月份", "考核月份", "周期", required=True, not_null=True),
        C("scope", "str", "范围", "范围", "对象", required=True, not_null=True,
          help="shop | team:NAME | agent:ID"),
        C("metric", "str", "指标", "指标", required=True, not_null=True, help="a metric key"),
        C("value", "number", "目标值", "目标值", "目标", required=True, not_null=True),
    ),
    key=("period", "scope", "metric"),
)

# Figures a platform exports per agent per day.  Key -> (zh header aliases, unit).
AGENT_METRIC_COLUMNS: dict[str, tuple[tuple[str, ...], str]] = {
    "sessions": (("接待会话数", "会话数"), "count"),
    "customers": (("接待人数", "咨询人数"), "count"),
    "replied_customers": (("回复人数",), "count"),
    "reply_rate": (("回复率",), "rate"),
    "first_response_s": (("首响时长", "首次响应时长", "平均首响时长"), "s"),
    "response_s": (("平响时长", "平均响应时长", "平均响应时间"), "s"),
    "first_reply_2min_rate": (("2分钟首次回复率", "2分钟回复率"), "rate"),
    "reply_3min_rate": (("3分钟回复率", "3分钟人工回复率"), "rate"),
    "unanswered_sessions": (("未回复会话", "未回复人数"), "count"),
    "online_hours": (("在线时长",), "h"),
    "rated_sessions": (("评价数",), "count"),
    "satisfaction": (("满意率", "满意度"), "rate"),
    "dissatisfaction": (("不满意率",), "rate"),
    "inquiring_customers": (("询单人数",), "count"),
    "ordering_customers": (("下单人数",), "count"),
    "paying_customers": (("付款人数", "最终付款人数"), "count"),
    "order_rate": (("询单→下单转化率", "下单转化率"), "rate"),
    "conversion_rate": (("询单转化率", "询单→付款转化率", "转化率"), "rate"),
    "sales": (("客服销售额", "销售额"), "money"),
    "units": (("客服销售件数", "销售件数"), "count"),
    "aov": (("客单价",), "money"),
    "refund_rate": (("退款率",), "rate"),
}

AGENT_METRICS = Table(
    "agent_metrics",
    "平台导出的客服绩效",
    (
        C("agent_id", "str", "客服ID", "客服ID", "子账号", "客服", "客服昵称", required=True,
          not_null=True),
        C("date", "date", "日期", "日期", required=True, not_null=True),
        *(
            Column(key, "number", zh[0], zh, unit=unit)
            for key, (zh, unit) in AGENT_METRIC_COLUMNS.items()
        ),
    ),
    key=("agent_id", "date"),
    help="Pre-aggregated per-agent daily figures exported by the platform.",
    ts_column="date",
    agent_refs=("agent_id",),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        AGENTS,
        SESSIONS,
        MESSAGES,
        RATINGS,
        ORDERS,
        REFUNDS,
        REVIEWS,
        COMPLAINTS,
        ATTENDANCE_T,
        ONLINE,
        GRADES,
        EVENTS,
        TARGETS,
        AGENT_METRICS,
    )
}

# Import order: referenced tables first.
IMPORT_ORDER = tuple(TABLES)
