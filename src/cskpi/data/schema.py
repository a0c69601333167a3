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

# columns of free text: kept as written (not trimmed), never part of a quick comparison
FREE_TEXT = frozenset({"text", "note", "reason"})

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
    # names a file or sheet of this table may carry (beside name and zh), in English or
    # Chinese, with any prefix, suffix or date stamp: 订单明细_2026-11.xlsx
    names: tuple[str, ...] = ()
    # a table without a key: identical rows of one file are repeats of an overlapping
    # export ("drop") or may be separate records, such as four reviews alike ("keep")
    identical_rows: Literal["drop", "keep"] = "drop"
    # two headers meaning one column: the earlier alias is read, the other ignored with a
    # warning (instead of an error)
    prefer_first_alias: bool = False
    # text columns stored dictionary-compressed whatever their values, beside those of a
    # set of values and the agents' ids (convert.is_dictionary): few distinct values,
    # each on many rows (a session's id on each of its messages).  Left to choose, DuckDB
    # also tries FSST on them: a tenth of the time of typing a chat log, for a file 6 %
    # smaller.  Free text (a message) and unique ids are left to choose.
    dictionary: tuple[str, ...] = ()

    @property
    def file_names(self) -> tuple[str, ...]:
        """Every name that recognises a file or a sheet as this table."""
        return (self.name, self.zh, *self.names)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# Traditional characters of the contract's names, as their Simplified forms, so that a
# Big5 file's headers (訂單編號) match the aliases (订单编号).
TRADITIONAL = ("東買賣關內減創別務單發髮臺檯號後員響團圍處備復複獎寶實對導屬崗應開歸錄態懲戶"
                "報換據數時曠暱機標註滿狀貓稱類係繫糾級紛線綫組細終結統績編職範計訂記論評訴話"
                "詢說請責賬帳貨費資轉較遲鐘鍾銷長閉間隊項顧額飛鴿麥優會價僅兩與個")
SIMPLIFIED = ("东买卖关内减创别务单发发台台号后员响团围处备复复奖宝实对导属岗应开归录态惩户"
               "报换据数时旷昵机标注满状猫称类系系纠级纷线线组细终结统绩编职范计订记论评诉话"
               "询说请责账账货费资转较迟钟钟销长闭间队项顾额飞鸽麦优会价仅两与个")
TO_SIMPLIFIED = str.maketrans(TRADITIONAL, SIMPLIFIED)


def normalise_header(text: str) -> str:
    """Headers match case-insensitively, ignoring surrounding spaces, a BOM, and
    Traditional against Simplified characters (訂單編號 is 订单编号)."""
    return text.replace("\ufeff", "").strip().lower().translate(TO_SIMPLIFIED)


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
LEVEL = _enum(
    ("junior", ("普通", "初级", "普通客服", "初级客服")),
    ("senior", ("高级", "资深", "高级客服", "资深客服")),
    ("lead", ("组长", "主管", "客服组长")),
)
CHANNEL = _enum(
    ("taobao", ("淘宝", "天猫", "千牛", "tmall")),
    ("douyin", ("抖音", "抖店", "飞鸽")),
    ("jd", ("京东", "咚咚", "京麦")),
    ("pdd", ("拼多多", "拼多多商家", "pinduoduo")),
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
        C("level", "str", "级别", "级别", "等级", values=LEVEL,
          help="e.g. junior, senior, lead (普通/高级/组长, stored as junior/senior/lead); "
          "other levels are kept as written"),
        C("active", "bool", "在职", "在职", "是否在职", default="true"),
    ),
    key=("agent_id",),
    names=('客服名单', '客服列表', '客服信息', '员工名单', 'agent', 'staff', 'roster'),
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
        C("channel", "str", "渠道", "渠道", "平台", values=CHANNEL,
          help="淘宝/天猫, 抖音, 京东, 拼多多 are stored as taobao, douyin, jd, pdd"),
        C("kind", "enum", "类型", "类型", "会话类型", values=KIND, help="default: the agent's role"),
    ),
    key=("session_id",),
    names=('会话记录', '会话列表', '接待记录', 'session'),
    help="Optional; derived from messages when absent.",
    ts_column="start_ts",
    agent_refs=("agent_id",),
)

MESSAGES = Table(
    "messages",
    "聊天记录",
    (
        C("session_id", "str", "会话ID", "会话ID", "会话编号", not_null=True,
          help="without it, sessions are cut per customer and agent by session_gap_min"),
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
    names=('聊天', '消息', '消息记录', '对话记录', 'message', 'chats', 'chat'),
    dictionary=("session_id", "customer_id"),
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
    names=('服务评价', '满意度', '满意度评价', 'rating', 'satisfaction'),
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
    names=('订单明细', '订单列表', '订单报表', 'order'),
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
    names=('退款', '售后', '退款售后', '退款明细', '售后单', 'refund', 'aftersale'),
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
    names=('商品评论', '评论', 'review'),
    ts_column="ts",
    agent_refs=("agent_id",),
    identical_rows="keep",
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
    names=('投诉记录', 'complaint'),
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
    names=('考勤记录', '出勤'),
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
    names=('在线记录', '上下线记录'),
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
    names=('主管打分', '评分', 'grade'),
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
    names=('奖惩', '奖惩记录', 'event'),
    ts_column="ts",
    agent_refs=("agent_id",),
    identical_rows="keep",
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
    names=('考核目标', '销售目标', 'target'),
)

# Figures a platform exports per agent per day.  Key -> (zh header aliases, unit).  The
# headers are those of the platforms' per-agent exports (docs/data-contract.md, "Platform
# exports", names the public material they come from): 千牛/生意参谋 (旺旺, 接待人数,
# 询单->最终付款成功率, 销售量), 抖店飞鸽 (人工已接待量, 3分钟平均回复率), 京东咚咚 (接待量,
# 咚咚首次30秒应答率 - the jd profile's first-reply threshold is 30 s -, 促成出库金额) and
# 拼多多 (平均人工响应时长, 最终成团人数).  Where an export has two headers for one figure,
# the earlier alias wins (接待人数 before 咨询人数) and the other is ignored with a warning.
AGENT_METRIC_COLUMNS: dict[str, tuple[tuple[str, ...], str]] = {
    "sessions": (("接待会话数", "会话数", "人工已接待量", "人工接待量", "接待量", "接待会话量"),
                 "count"),
    "customers": (("接待人数", "人工接待人数", "咨询人数"), "count"),
    "replied_customers": (("回复人数",), "count"),
    "reply_rate": (("回复率",), "rate"),
    "first_response_s": (("首响时长", "首次响应时长", "平均首响时长", "首次响应时间",
                          "平均首次响应时长"), "s"),
    "response_s": (("平响时长", "平均响应时长", "平均响应时间", "平均人工响应时长",
                    "咚咚平均响应时长", "人工平均响应时长"), "s"),
    "first_reply_2min_rate": (("2分钟首次回复率", "2分钟回复率", "咚咚首次30秒应答率",
                               "首次30秒应答率"), "rate"),
    "reply_3min_rate": (("3分钟回复率", "3分钟人工回复率", "3分钟平均回复率", "三分钟平均回复率",
                         "人工3分钟回复率"), "rate"),
    "unanswered_sessions": (("未回复会话", "未回复人数"), "count"),
    "online_hours": (("在线时长",), "h"),
    "rated_sessions": (("评价数", "参评量", "评价量"), "count"),
    "satisfaction": (("满意率", "满意度", "客服满意率"), "rate"),
    "dissatisfaction": (("不满意率",), "rate"),
    "inquiring_customers": (("询单人数",), "count"),
    "ordering_customers": (("下单人数",), "count"),
    "paying_customers": (("付款人数", "最终付款人数", "最终成团人数", "成团人数", "促成出库人数"),
                         "count"),
    "order_rate": (("询单→下单转化率", "下单转化率"), "rate"),
    "conversion_rate": (("询单转化率", "询单→付款转化率", "询单->最终付款成功率",
                         "询单→最终付款成功率", "询单-最终付款成功率", "转化率"), "rate"),
    "sales": (("客服销售额", "销售额", "促成出库金额", "客服销售金额"), "money"),
    "units": (("客服销售件数", "销售件数", "销售量"), "count"),
    "aov": (("客单价",), "money"),
    "refund_rate": (("退款率",), "rate"),
}

AGENT_METRICS = Table(
    "agent_metrics",
    "平台导出的客服绩效",
    (
        C("agent_id", "str", "客服ID", "客服ID", "子账号", "客服", "客服昵称", "客服账号", "旺旺",
          "客服旺旺", "客服名称", required=True, not_null=True),
        C("date", "date", "日期", "日期", "统计日期", required=True, not_null=True),
        *(
            Column(key, "number", zh[0], zh, unit=unit)
            for key, (zh, unit) in AGENT_METRIC_COLUMNS.items()
        ),
    ),
    key=("agent_id", "date"),
    names=("客服绩效", "客服绩效数据", "客服数据", "客服考核", "绩效", "接待数据", "客服接待",
           "客服统计", "agent_metric", "performance"),
    # a platform export may name one figure twice (接待人数 and 咨询人数): the first wins
    prefer_first_alias=True,
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
