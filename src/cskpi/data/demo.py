"""A deterministic, realistic demo shop: every table of the data contract as CSV.

`generate()` writes one `TABLE.csv` per table into a folder.  The same arguments
always give byte-identical files (all randomness comes from
`numpy.random.default_rng` seeded with `seed`; nothing depends on the clock or on
hash randomisation).

How it is built
- A roster of pre-sale and after-sale agents with team leads, each on a shift
  (early 08:00-17:00, late 15:00-24:00, night 00:00-08:30) and with personal traits
  (reply speed, conversion, satisfaction).  Attendance decides the working days.
- Each working (agent, day) is a *unit* with an expected number of sessions
  (its shift's share of a diurnal arrival curve that peaks in the afternoon and
  evening).  The total number of sessions is fixed first (from `messages`, or 35
  sessions per agent per working day) and spread over the units with one
  multinomial draw.
- Sessions are then generated in chunks of `CHUNK_SESSIONS`, fully vectorised:
  the layout of every session (bot stage, greeting, rounds of customer bursts and
  agent replies, close) is drawn as counts, messages are placed with
  `np.repeat`/cumsum arithmetic, and timestamps are a segmented cumulative sum of
  per-message gaps.  Ratings, orders, refunds and reviews are derived per chunk.
  Only small state crosses chunks (id counters, per-agent monthly sales, a small
  sample of paid orders for complaints).
- Chunks are appended to the CSV files with `pyarrow.csv.CSVWriter`.

Timestamps are local wall-clock times (the dataset's time zone, Asia/Shanghai by
default) written as `YYYY-MM-DD HH:MM:SS`; internally they are "naive epoch
seconds" (the wall clock read as if it were UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..months import days_in_month
from .schema import TABLES

__all__ = ["DemoStats", "generate", "TABLE_ORDER", "CHUNK_SESSIONS"]

TABLE_ORDER = (
    "agents", "sessions", "messages", "ratings", "orders", "refunds", "reviews",
    "complaints", "attendance", "online", "grades", "events", "targets",
)

CHUNK_SESSIONS = 100_000
SESSIONS_PER_AGENT_DAY = 35
LEAD_WEIGHT = 0.4  # a lead takes this share of a normal agent's sessions
DAY_S = 86_400
HOUR_S = 3_600

# ---------------------------------------------------------------------------
# Vocabulary (no ASCII comma, quote or newline: the CSVs need no quoting)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
)
GIVEN = (
    "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "芳", "婷", "欣怡", "子涵", "浩然", "雨萱", "梓轩",
    "思远", "佳怡", "一鸣", "晓峰", "文静", "嘉豪", "梦瑶", "俊杰", "雪", "鑫", "琳", "斌",
)

CUST_PRE = (
    "在吗", "这款还有货吗", "什么时候发货", "能便宜点吗", "有优惠券吗", "尺码怎么选", "包邮吗",
    "好的谢谢", "这个颜色还有吗", "可以开发票吗", "身高165体重50穿什么码", "和另一款有什么区别",
    "质量怎么样", "今天下单明天能到吗", "能送赠品吗", "那我拍了", "好的", "嗯嗯", "有没有大一号的",
    "活动什么时候结束",
)
CUST_AFTER = (
    "在吗", "我要退货", "东西坏了", "怎么还没发货", "物流到哪了", "能换个尺码吗", "退款什么时候到账",
    "收到的颜色不对", "少发了一件", "快递一直不动", "能补发吗", "衣服有线头", "退货地址是哪里",
    "运费谁出", "我已经寄回了", "好的", "谢谢",
)
AGENT_PRE = (
    "亲，在的", "亲，有货的哦", "亲，今天16点前下单当天发货", "亲，建议拍M码", "亲，店铺首页可以领券哦",
    "亲，全国包邮的", "好的亲，还有什么可以帮您", "亲，这款是纯棉的，质量放心", "亲，现在下单还送小礼品哦",
    "亲，活动到月底结束", "亲，可以开电子发票", "亲，两款面料不一样", "感谢亲的支持",
)
AGENT_AFTER = (
    "亲，非常抱歉给您带来不便", "亲，这边马上为您处理", "亲，麻烦提供一下图片", "亲，退货地址已发您",
    "亲，退款已经申请了，请留意", "亲，已经帮您催促快递了", "亲，可以换的，请直接申请换货",
    "亲，运费我们承担", "亲，已为您安排补发", "亲，退款1到3个工作日到账", "好的亲，还有什么可以帮您",
)
BOT = (
    "您好，我是智能助手小蜜，请问有什么可以帮您", "请问您咨询的是哪款商品", "您可以点击下方链接查看物流",
    "抱歉没有理解您的问题，换个说法试试", "正在为您查询，请稍候",
)
ASK_HUMAN = ("转人工", "人工客服", "我要找人工")
GREET = ("亲，您好，很高兴为您服务～", "亲，欢迎光临，有什么可以帮您", "您好，我是客服，请问有什么需要")
SYS_TRANSFER = ("已为您转接人工客服",)
SYS_CLOSE = ("会话已结束",)
# why a customer leaves without an order (询单流失): the last thing they wrote, by reason of
# the default taxonomy (cskpi/lost/default_taxonomy.yaml); each phrase's last keyword is
# its reason's
LOST_REASONS = ("shipping", "price", "stock_size", "delivery", "trust")
LOST_WEIGHTS = np.array([0.30, 0.28, 0.14, 0.12, 0.08])  # the rest (0.08): no reason given
LOST_SHIPPING = ("包邮吗", "运费多少", "不包邮就算了", "偏远地区包邮吗")
LOST_PRICE = ("太贵了", "价格能少点吗", "别家更便宜", "有优惠吗")
LOST_STOCK = ("有没有M码", "还有L码吗", "这个颜色没货了吗", "尺码偏小吗")
LOST_DELIVERY = ("几天能到", "什么时候发货", "发顺丰吗", "快递几天到")
LOST_TRUST = ("是正品吗", "质量怎么样", "评价好少啊", "销量怎么这么低")
# 催付: an agent's message about an order still unpaid
REMIND = ("亲，您拍的宝贝还没付款哦", "亲，订单还没付款哦，记得付款呀", "亲，库存不多了，记得付款哦")

# Chat QA violations (质检), placed at a low rate by `_violations` so the demo's QA shows
# them: uncivil words, an off-site WeChat id, a first reply without a greeting, an angry
# customer (answered with an apology about half of the time).
AGENT_UNCIVIL = ("不知道", "爱买不买", "你自己看详情页", "我也没办法 你找快递吧", "说了多少遍了")
AGENT_OFFSITE = ("加我vx：shop_kf2026 私聊有优惠", "亲 加我微信 cs_meimei88 发你优惠券")
AGENT_NO_GREET = ("有", "在", "可以", "发了")
CUST_ANGRY = ("质量太差了 我很生气", "等了三天还没发货 太失望了", "客服态度差 我要投诉", "什么垃圾东西")
AGENT_SORRY = ("亲 非常抱歉 马上为您处理", "实在不好意思 给您添麻烦了")

VOCAB: tuple[str, ...] = (
    CUST_PRE + CUST_AFTER + AGENT_PRE + AGENT_AFTER + BOT + ASK_HUMAN + GREET + SYS_TRANSFER
    + SYS_CLOSE + AGENT_UNCIVIL + AGENT_OFFSITE + AGENT_NO_GREET + CUST_ANGRY + AGENT_SORRY
    + LOST_SHIPPING + LOST_PRICE + LOST_STOCK + LOST_DELIVERY + LOST_TRUST + REMIND
)
_V: dict[str, tuple[int, int]] = {}
_pos = 0
for _name, _words in (
    ("cust_pre", CUST_PRE), ("cust_after", CUST_AFTER), ("agent_pre", AGENT_PRE),
    ("agent_after", AGENT_AFTER), ("bot", BOT), ("ask_human", ASK_HUMAN), ("greet", GREET),
    ("sys_transfer", SYS_TRANSFER), ("sys_close", SYS_CLOSE), ("uncivil", AGENT_UNCIVIL),
    ("offsite", AGENT_OFFSITE), ("no_greet", AGENT_NO_GREET), ("angry", CUST_ANGRY),
    ("sorry", AGENT_SORRY), ("shipping", LOST_SHIPPING), ("price", LOST_PRICE),
    ("stock_size", LOST_STOCK), ("delivery", LOST_DELIVERY), ("trust", LOST_TRUST),
    ("remind", REMIND),
):
    _V[_name] = (_pos, len(_words))
    _pos += len(_words)

REFUND_REASONS = ("七天无理由退换", "尺码不合适", "质量问题", "发错货", "物流太慢", "与描述不符",
                  "不想要了", "少件漏发")
REVIEW_TEXT = {
    0: ("质量很好", "很满意，下次还来", "物流很快", "客服态度好", "性价比高", ""),
    1: ("一般般", "还行吧", "颜色有点色差"),
    2: ("质量太差了", "客服态度不好", "和图片不一样", "发货太慢"),
}
COMPLAINT_NOTES = ("态度恶劣", "承诺未兑现", "长时间未回复", "回复敷衍", "未按时处理退款", "发错商品未跟进")
EVENT_KINDS = ("praise", "outstanding", "low_quality_review", "complaint")
EVENT_POINTS = (2, 5, -2, -3)
EVENT_NOTES = ("顾客表扬", "月度优秀客服", "质检不合格", "顾客投诉")
GRADE_ITEMS = ("quality", "disputes", "cooperation", "execution")
GRADE_NOTES = ("表现优秀", "表现良好", "有待提高", "需要改进")

for _text in (VOCAB + REFUND_REASONS + COMPLAINT_NOTES + EVENT_NOTES + GRADE_NOTES + GIVEN
              + tuple(t for ts in REVIEW_TEXT.values() for t in ts)):
    assert not any(ch in _text for ch in ',"\r\n'), _text

CHANNELS = ("taobao", "douyin", "jd")
KINDS = ("presale", "aftersale")
SENDERS = ("customer", "agent", "bot", "system")
EVENTS = ("transfer", "close")
ORDER_STATUS = ("paid", "unpaid", "cancelled", "closed")
REFUND_KINDS = ("refund_only", "return_refund", "exchange")
REVIEW_RATINGS = ("good", "neutral", "bad")
ROLES = ("presale", "aftersale", "lead")
ATT_STATUS = ("present", "late", "leave", "absent")

# Arrival curve, relative volume per hour of the day (peaks afternoon and evening).
HOURLY = np.array([
    0.30, 0.18, 0.10, 0.07, 0.06, 0.08, 0.15, 0.30, 0.55, 0.80, 0.95, 0.95,
    0.80, 0.95, 1.05, 1.10, 1.05, 0.95, 0.95, 1.10, 1.30, 1.35, 1.10, 0.70,
])
CUM = np.concatenate(([0.0], np.cumsum(np.repeat(HOURLY, 60))))  # per minute, 1441 values
MINUTES = np.arange(1441, dtype=np.float64)
SHIFTS = ((480, 1020), (900, 1440), (0, 510))  # early, late, night (minutes of the day)

BURST_CUM = np.array([0.50, 0.78, 0.92])  # 1, 2, 3, 4 customer messages in a row


@dataclass(frozen=True)
class DemoStats:
    out_dir: Path
    rows: dict[str, int]  # table name -> rows written
    start: date  # first day
    days: int


# ---------------------------------------------------------------------------
# Arrow helpers


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """`prefix` + zero-padded numbers, e.g. S00000001."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()),
                          width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, pa.scalar(""))


def _money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Non-negative cents -> '123.40' strings (exactly two decimals)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100, mask=mask), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), width=2, padding="0")
    return pc.binary_join_element_wise(whole, frac, pa.scalar("."))


def _ts(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.timestamp("s"), mask=mask)


def _dict(indices: np.ndarray, dictionary: pa.Array | list[str] | tuple[str, ...],
          mask: np.ndarray | None = None) -> pa.Array:
    """A dictionary-encoded column (cheap; the CSV writer decodes it)."""
    idx = pa.array(np.asarray(indices, dtype=np.int32), type=pa.int32(), mask=mask)
    if not isinstance(dictionary, pa.Array):
        dictionary = pa.array(list(dictionary), type=pa.string())
    return pa.DictionaryArray.from_arrays(idx, dictionary)


def _str(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


class _Writers:
    """One CSV file per table; header written by hand (Arrow would quote it)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: dict[str, int] = {name: 0 for name in TABLE_ORDER}
        self._streams: dict[str, pa.NativeFile] = {}
        self._writers: dict[str, pcsv.CSVWriter] = {}
        self._opts = pcsv.WriteOptions(include_header=False, quoting_style="none",
                                       batch_size=8192)
        for name in TABLE_ORDER:
            stream = pa.OSFile(str(out / f"{name}.csv"), "wb")
            stream.write((",".join(TABLES[name].column_names) + "\n").encode("utf-8"))
            self._streams[name] = stream

    def write(self, name: str, columns: dict[str, pa.Array]) -> None:
        names = TABLES[name].column_names
        if set(columns) != set(names):
            raise KeyError(f"{name}: columns {sorted(columns)} != contract {sorted(names)}")
        table = pa.table({c: columns[c] for c in names})
        if table.num_rows == 0:
            return
        writer = self._writers.get(name)
        if writer is None:
            writer = pcsv.CSVWriter(self._streams[name], table.schema, write_options=self._opts)
            self._writers[name] = writer
        writer.write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for stream in self._streams.values():
            stream.close()


# ---------------------------------------------------------------------------
# Roster and plan


@dataclass
class _Roster:
    ids: list[str]
    names: list[str]
    role: np.ndarray  # index into ROLES
    team: list[str]
    level: list[str]
    shift: np.ndarray  # index into SHIFTS
    speed: np.ndarray  # reply-delay multiplier
    conv: np.ndarray  # conversion multiplier
    sat: np.ndarray  # dissatisfaction multiplier
    weight: np.ndarray  # share of a normal agent's load
    reviewer: list[str]

    @property
    def n(self) -> int:
        return len(self.ids)


def _roster(n: int, rng: np.random.Generator) -> _Roster:
    n_leads = 0 if n < 4 else max(1, (n + 4) // 9)
    n_rest = n - n_leads
    n_pre = n_rest if n_rest < 2 else int(round(n_rest * 2 / 3))
    n_after = n_rest - n_pre
    role = np.array([0] * n_pre + [1] * n_after + [2] * n_leads, dtype=np.int8)
    pre_teams = [f"presale-{i + 1}" for i in range(max(1, -(-n_pre // 6)))] if n_pre else []
    after_teams = [f"aftersale-{i + 1}" for i in range(max(1, -(-n_after // 6)))] if n_after else []
    all_teams = pre_teams + after_teams or ["presale-1"]
    team: list[str] = []
    shift = np.zeros(n, dtype=np.int8)
    for i in range(n_pre):
        team.append(pre_teams[i % len(pre_teams)])
        shift[i] = (0, 1, 0, 1, 2)[i % 5]
    for i in range(n_after):
        team.append(after_teams[i % len(after_teams)])
        shift[n_pre + i] = i % 2
    for j in range(n_leads):
        team.append(all_teams[j % len(all_teams)])
        shift[n_pre + n_after + j] = j % 2
    senior = rng.random(n) < 0.4
    level = ["lead" if role[i] == 2 else ("senior" if senior[i] else "junior") for i in range(n)]
    width = max(3, len(str(n)))
    ids = [f"A{i + 1:0{width}d}" for i in range(n)]
    pairs = rng.choice(len(SURNAMES) * len(GIVEN), size=n, replace=n > len(SURNAMES) * len(GIVEN))
    names = [SURNAMES[p % len(SURNAMES)] + GIVEN[p // len(SURNAMES)] for p in pairs]
    speed = np.where(role == 2, 0.9, np.where(senior, 0.8, 1.15)) * rng.lognormal(0.0, 0.2, n)
    conv = np.where(senior, 1.08, 1.0) * rng.lognormal(0.0, 0.12, n)
    sat = rng.lognormal(0.0, 0.35, n)
    weight = np.where(role == 2, LEAD_WEIGHT, 1.0)
    lead_of_team: dict[str, str] = {}
    lead_idx = [i for i in range(n) if role[i] == 2]
    for i in lead_idx:
        lead_of_team.setdefault(team[i], ids[i])
    reviewer = []
    for i in range(n):
        if role[i] == 2:
            others = [ids[j] for j in lead_idx if j != i]
            reviewer.append(others[0] if others else "")
        else:
            reviewer.append(lead_of_team.get(team[i], ids[lead_idx[0]] if lead_idx else ""))
    return _Roster(ids, names, role, team, level, shift, speed, conv, sat, weight, reviewer)


def _months(start: date, days: int) -> list[tuple[int, int, int, int]]:
    """(year, month, first covered day index, covered days) for each month touched."""
    out: list[tuple[int, int, int, int]] = []
    d0 = start.toordinal()
    for d in range(days):
        day = date.fromordinal(d0 + d)
        if out and (out[-1][0], out[-1][1]) == (day.year, day.month):
            y, m, first, n = out[-1]
            out[-1] = (y, m, first, n + 1)
        else:
            out.append((day.year, day.month, d, 1))
    return out


def _month_days(y: int, m: int) -> int:
    return days_in_month(y, m)


# ---------------------------------------------------------------------------
# Session layout and messages (vectorised)


@dataclass
class _Layout:
    n: int
    presale: np.ndarray
    is_bot: np.ndarray
    bot_only: np.ndarray
    transfer: np.ndarray
    kb: np.ndarray
    unanswered: np.ndarray
    greet: np.ndarray
    close: np.ndarray
    nb: np.ndarray  # messages of the bot stage (incl. the transfer row)
    rs: np.ndarray  # round -> session
    rc: np.ndarray  # customer messages of the round
    ra: np.ndarray  # agent messages of the round
    count: np.ndarray  # messages per session


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per owner: (owner of each item, index of the item within its owner)."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size, dtype=np.int64) - starts[owner]


def _layout(rng: np.random.Generator, presale: np.ndarray) -> _Layout:
    n = presale.size
    is_bot = rng.random(n) < 0.30
    bot_only = is_bot & (rng.random(n) < 0.10)  # ~3 % never reach a human
    transfer = is_bot & ~bot_only
    kb = 1 + rng.binomial(2, 0.3, n)
    unanswered = ~bot_only & (rng.random(n) < 0.02)  # reach an agent, get no reply at all
    greet = ~bot_only & ~unanswered & (rng.random(n) < np.where(presale, 0.14, 0.05))
    rounds = np.where(bot_only, 0,
                      np.where(unanswered, 1 + (rng.random(n) < 0.3), 1 + rng.poisson(2.6, n)))
    rounds = np.minimum(rounds, 40).astype(np.int64)
    last_unans = ~bot_only & ~unanswered & (rounds >= 2) & (rng.random(n) < 0.08)
    close = ~bot_only & (rng.random(n) < 0.5)
    nb = np.where(is_bot, 2 * kb + 2 * transfer, 0).astype(np.int64)

    rs, r = _expand(rounds)
    nr = rs.size
    rc = 1 + np.searchsorted(BURST_CUM, rng.random(nr))
    # after a transfer the agent often answers the customer's pending question first
    zero = (r == 0) & transfer[rs] & ~greet[rs] & ~unanswered[rs] & (rng.random(nr) < 0.7)
    rc[zero] = 0
    ra = 1 + (rng.random(nr) < 0.22).astype(np.int64)
    ra[unanswered[rs]] = 0
    ra[(r == rounds[rs] - 1) & last_unans[rs]] = 0
    per_session = np.bincount(rs, weights=rc + ra, minlength=n).astype(np.int64)
    count = nb + greet + per_session + close
    return _Layout(n, presale, is_bot, bot_only, transfer, kb, unanswered, greet, close, nb,
                   rs, rc.astype(np.int64), ra, count.astype(np.int64))


def _lognormal_int(rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int,
                   lo: int, hi: int) -> np.ndarray:
    x = rng.lognormal(0.0, sigma, size) * median
    return np.clip(x, lo, hi).astype(np.int64)


@dataclass
class _Msgs:
    session: np.ndarray  # session (chunk-local index) of each message
    ts: np.ndarray
    sender: np.ndarray
    text: np.ndarray
    event: np.ndarray
    offs: np.ndarray  # first message of each session


def _messages(rng: np.random.Generator, lay: _Layout, start: np.ndarray,
              speed: np.ndarray) -> _Msgs:
    """Place every message of every session; `speed` is the reply-delay factor per session."""
    count = lay.count
    offs = np.cumsum(count) - count
    total = int(count.sum())
    sender = np.empty(total, dtype=np.int8)
    gap = np.zeros(total, dtype=np.int64)
    text = np.empty(total, dtype=np.int32)
    event = np.full(total, -1, dtype=np.int8)
    cust_base = np.where(lay.presale, _V["cust_pre"][0], _V["cust_after"][0])
    cust_n = np.where(lay.presale, _V["cust_pre"][1], _V["cust_after"][1])
    agent_base = np.where(lay.presale, _V["agent_pre"][0], _V["agent_after"][0])
    agent_n = np.where(lay.presale, _V["agent_pre"][1], _V["agent_after"][1])

    # bot stage: (customer, bot) x kb, then "转人工" and the system transfer row
    bot_s = np.flatnonzero(lay.nb)
    o, j = _expand(lay.nb[bot_s])
    s = bot_s[o]
    pos = offs[s] + j
    k2 = 2 * lay.kb[s]
    is_b = (j < k2) & (j % 2 == 1)
    is_sys = j == k2 + 1
    is_c = ~is_b & ~is_sys
    m = pos.size
    sender[pos] = np.where(is_c, 0, np.where(is_b, 2, 3))
    gap[pos] = np.where(is_b, rng.integers(1, 3, m),
                        np.where(is_sys, rng.integers(1, 4, m), rng.integers(4, 41, m)))
    u = rng.random(m)
    text[pos] = np.where(
        is_b, _V["bot"][0] + (u * _V["bot"][1]).astype(np.int64),
        np.where(is_sys, _V["sys_transfer"][0],
                 np.where(j == k2, _V["ask_human"][0] + (u * _V["ask_human"][1]).astype(np.int64),
                          cust_base[s] + (u * cust_n[s]).astype(np.int64))))
    event[pos[is_sys]] = 0

    # proactive greeting: an agent message before the customer's first human-stage message
    g_s = np.flatnonzero(lay.greet)
    pos = offs[g_s] + lay.nb[g_s]
    sender[pos] = 1
    gap[pos] = np.where(lay.nb[g_s] > 0,
                        _lognormal_int(rng, 25.0 * speed[g_s], 1.45, g_s.size, 2, 1800), 0)
    text[pos] = _V["greet"][0] + rng.integers(0, _V["greet"][1], g_s.size)

    # rounds: a burst of customer messages, then the agent's reply (1-2 messages)
    rs, rc, ra = lay.rs, lay.rc, lay.ra
    rm = rc + ra
    cm = np.cumsum(rm) - rm
    first_round = np.cumsum(np.bincount(rs, minlength=lay.n)) - np.bincount(rs, minlength=lay.n)
    round_off = cm - cm[first_round[rs]]
    base = offs[rs] + lay.nb[rs] + lay.greet[rs] + round_off
    o, j = _expand(rm)
    s = rs[o]
    pos = base[o] + j
    c = rc[o]
    cust = j < c
    m = pos.size
    sender[pos] = np.where(cust, 0, 1)
    think = _lognormal_int(rng, 35.0, 1.0, m, 3, 3600)
    burst = rng.integers(2, 16, m)
    delay = _lognormal_int(rng, 25.0 * speed[s], 1.45, m, 2, 1800)
    follow = rng.integers(3, 41, m)
    gap[pos] = np.where(cust, np.where(j == 0, think, burst), np.where(j == c, delay, follow))
    u = rng.random(m)
    text[pos] = np.where(cust, cust_base[s] + (u * cust_n[s]).astype(np.int64),
                         agent_base[s] + (u * agent_n[s]).astype(np.int64))

    # close
    c_s = np.flatnonzero(lay.close)
    pos = offs[c_s] + count[c_s] - 1
    sender[pos] = 3
    gap[pos] = rng.integers(20, 601, c_s.size)
    text[pos] = _V["sys_close"][0]
    event[pos] = 1

    gap[offs] = 0  # the first message opens the session
    session = np.repeat(np.arange(lay.n, dtype=np.int64), count)
    cs = np.cumsum(gap)
    ts = start[session] + cs - cs[offs][session]
    return _Msgs(session, ts, sender, text, event, offs)


# QA violations per human session (质检): rates chosen so a month shows a few of each
UNCIVIL_RATE = 0.010
OFFSITE_RATE = 0.002
NO_GREET_RATE = 0.03
ANGRY_RATE = {True: 0.01, False: 0.03}  # pre-sale, after-sale
SORRY_SHARE = 0.5  # angry customers answered with an apology


def _pick(rng: np.random.Generator, group: str, n: int) -> np.ndarray:
    base, size = _V[group]
    return base + rng.integers(0, size, n)


def _violations(rng: np.random.Generator, msg: _Msgs, presale: np.ndarray) -> None:
    """Put QA violations into ``msg.text`` (vectorised; only texts change, so every other
    figure of the demo stays as it was).  Per session with an agent message: the first
    agent message loses its greeting, the last one is uncivil or gives a WeChat id; a
    customer message just before an agent reply turns angry, and that reply is an apology
    about half of the time."""
    agent = np.flatnonzero(msg.sender == 1)
    if agent.size == 0:
        return
    owner = msg.session[agent]
    sessions, first_idx = np.unique(owner, return_index=True)
    last_idx = np.r_[first_idx[1:], owner.size] - 1
    first, last = agent[first_idx], agent[last_idx]
    u = rng.random((3, sessions.size))
    no_greet = u[0] < NO_GREET_RATE
    msg.text[first[no_greet]] = _pick(rng, "no_greet", int(no_greet.sum()))
    offsite = u[1] < OFFSITE_RATE
    uncivil = ~offsite & (u[1] < OFFSITE_RATE + UNCIVIL_RATE)
    msg.text[last[offsite]] = _pick(rng, "offsite", int(offsite.sum()))
    msg.text[last[uncivil]] = _pick(rng, "uncivil", int(uncivil.sum()))
    # a customer message answered right after by the agent, one per chosen session
    before = np.flatnonzero((msg.sender[:-1] == 0) & (msg.sender[1:] == 1)
                            & (msg.session[:-1] == msg.session[1:]))
    if before.size == 0:
        return
    chosen, at = np.unique(msg.session[before], return_index=True)
    rate = np.where(presale[chosen], ANGRY_RATE[True], ANGRY_RATE[False])
    angry = rng.random(chosen.size) < rate
    pos = before[at[angry]]
    msg.text[pos] = _pick(rng, "angry", pos.size)
    sorry = rng.random(pos.size) < SORRY_SHARE
    msg.text[pos[sorry] + 1] = _pick(rng, "sorry", int(sorry.sum()))


# ---------------------------------------------------------------------------
# The generator


@dataclass
class _Orders:
    """A chunk's orders before they are written (reminders change their payment)."""

    created: np.ndarray
    customer: np.ndarray  # customer index
    explicit: np.ndarray  # explicitly credited agent, -1: none
    s_agent: np.ndarray  # the agent of the session it came from, -1: silent
    session: np.ndarray  # chunk-local session index, -1: silent
    status: np.ndarray  # index into ORDER_STATUS
    paid: np.ndarray
    paid_ts: np.ndarray


class _Customers:
    """Customer index -> id; a bijection over the pool so ids look unordered."""

    def __init__(self, chatting: int, silent: int) -> None:
        self.chatting = chatting
        self.silent = silent
        self.total = chatting + silent
        mult = 7919
        while np.gcd(mult, self.total) != 1:
            mult += 2
        self.mult = mult
        self.width = max(6, len(str(self.total)))

    def number(self, idx: np.ndarray) -> np.ndarray:
        return (np.asarray(idx, dtype=np.int64) * self.mult + 13) % self.total + 1

    def ids(self, idx: np.ndarray) -> pa.Array:
        return _ids("C", self.number(idx), self.width)

    def channel(self, idx: np.ndarray) -> np.ndarray:
        h = self.number(idx) % 20
        return np.where(h < 15, 0, np.where(h < 18, 1, 2))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Chatting customers: 30 % of sessions come from a 10 % core of regulars."""
        regulars = max(1, self.chatting // 10)
        core = rng.random(n) < 0.3
        return np.where(core, rng.integers(0, regulars, n), rng.integers(0, self.chatting, n))


def _seed(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed % (1 << 64), *stream])


def generate(out_dir: Path | str, *, agents: int = 12, days: int = 30, seed: int = 7,
             messages: int | None = None, start: date = date(2026, 10, 1),
             progress: Callable[[int, int], None] | None = None) -> DemoStats:
    """Write a demo shop (one CSV per table) into `out_dir` and return what was written."""
    if agents < 1:
        raise ValueError("agents must be >= 1")
    if days < 1:
        raise ValueError("days must be >= 1")
    if messages is not None and messages < 1:
        raise ValueError("messages must be >= 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = _Generator(out, agents, days, seed, messages, start)
    try:
        gen.run(progress)
    finally:
        gen.writers.close()
    return DemoStats(out_dir=out, rows=dict(gen.writers.rows), start=start, days=days)


class _Generator:
    def __init__(self, out: Path, agents: int, days: int, seed: int, messages: int | None,
                 start: date) -> None:
        self.seed = seed
        self.days = days
        self.start = start
        self.base = (start - date(1970, 1, 1)).days * DAY_S
        self.end = self.base + days * DAY_S
        rng = _seed(seed, 0)
        self.roster = ro = _roster(agents, rng)
        self.months = _months(start, days)
        self.month_edges = np.array(
            [self.base + first * DAY_S for _, _, first, _ in self.months[1:]], dtype=np.int64)

        # attendance decides the working days; late agents start their shift later
        att = np.searchsorted([0.92, 0.96, 0.99], rng.random((agents, days))).astype(np.int8)
        if not np.isin(att, (0, 1)).any():
            att[0, 0] = 0
        self.att = att
        late_min = rng.integers(10, 46, (agents, days))
        working = (att <= 1).T  # (days, agents): day-major units
        ud, ua = np.nonzero(working)
        shift = np.array(SHIFTS, dtype=np.int64)[ro.shift[ua]]
        self.u_day, self.u_agent = ud.astype(np.int64), ua.astype(np.int64)
        self.u_t0 = shift[:, 0] + np.where(att[ua, ud] == 1, late_min[ua, ud], 0)
        self.u_t1 = shift[:, 1]
        weekday = np.array([date.fromordinal(start.toordinal() + d).weekday() for d in range(days)])
        day_factor = np.where(weekday >= 5, 1.15, 1.0) * rng.lognormal(0.0, 0.08, days)
        lam = ro.weight[ua] * (CUM[self.u_t1] - CUM[self.u_t0]) * day_factor[ud]

        # how many sessions: from the requested message count, or a realistic density
        presale_share = float(np.sum(lam * np.where(ro.role[ua] == 0, 1.0,
                                                    np.where(ro.role[ua] == 2, 0.5, 0.0)))
                              / lam.sum())
        pilot_rng = _seed(seed, 2)
        pilot = _layout(pilot_rng, pilot_rng.random(50_000) < presale_share)
        self.mean_msgs = float(pilot.count.mean())
        if messages is None:
            total_sessions = int(round(SESSIONS_PER_AGENT_DAY * ro.weight[ua].sum()))
        else:
            total_sessions = max(1, int(round(messages / self.mean_msgs)))
        self.unit_count = rng.multinomial(total_sessions, lam / lam.sum())
        self.unit_end = np.cumsum(self.unit_count)
        self.total_sessions = total_sessions
        self.session_width = max(8, len(str(total_sessions)))
        self.order_width = max(7, len(str(2 * total_sessions)))
        self.refund_width = max(6, len(str(total_sessions // 4)))
        self.customers = _Customers(chatting=max(10, int(total_sessions * 0.6)),
                                    silent=max(20, int(total_sessions * 0.06)))
        self.agent_dict = pa.array(ro.ids, type=pa.string())
        self.after_pool = np.flatnonzero(ro.role == 1)
        if self.after_pool.size == 0:
            self.after_pool = np.flatnonzero(ro.role == 2)
        if self.after_pool.size == 0:
            self.after_pool = np.arange(agents)
        self.presale_pool = np.flatnonzero(ro.role == 0)
        if self.presale_pool.size == 0:
            self.presale_pool = np.arange(agents)

        # state carried across chunks (small)
        self.next_order = 1
        self.next_refund = 1
        self.agent_sales = np.zeros((agents, len(self.months)), dtype=np.int64)  # cents
        self.shop_sales = np.zeros(len(self.months), dtype=np.int64)
        self.sample_orders: list[tuple[str, int, int]] = []  # (order_id, agent, paid_ts)
        self.writers = _Writers(out)

    # -- driver -------------------------------------------------------------

    def run(self, progress: Callable[[int, int], None] | None) -> None:
        self._write_agents()
        self._write_attendance_online()
        expected = int(round(self.total_sessions * self.mean_msgs))
        done = 0
        total = expected
        for k, first in enumerate(range(0, self.total_sessions, CHUNK_SESSIONS)):
            last = min(self.total_sessions, first + CHUNK_SESSIONS)
            done += self._chunk(k, first, last)
            total = max(expected, done)
            if progress is not None:
                progress(done, total)
        self._write_complaints()
        self._write_grades_events()
        self._write_targets()
        if progress is not None and total != done:
            progress(done, done)  # the estimate was a little high: finish at 100 %

    def _month_of(self, ts: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.month_edges, ts, side="right")

    # -- small tables -------------------------------------------------------

    def _write_agents(self) -> None:
        ro = self.roster
        self.writers.write("agents", {
            "agent_id": _str(ro.ids),
            "name": _str(ro.names),
            "role": _dict(ro.role, ROLES),
            "team": _str(ro.team),
            "level": _str(ro.level),
            "active": pa.array(np.ones(ro.n, dtype=bool)),
        })

    def _write_attendance_online(self) -> None:
        ro, days = self.roster, self.days
        agent = np.repeat(np.arange(ro.n), days)
        day = np.tile(np.arange(days), ro.n)
        self.writers.write("attendance", {
            "agent_id": _dict(agent, self.agent_dict),
            "date": pa.array((self.base // DAY_S + day).astype(np.int32), type=pa.date32()),
            "status": _dict(self.att.reshape(-1), ATT_STATUS),
        })
        rng = _seed(self.seed, 3)
        n = self.u_day.size
        day0 = self.base + self.u_day * DAY_S
        is_late = self.att[self.u_agent, self.u_day] == 1
        on = np.maximum(day0, day0 + self.u_t0 * 60 - np.where(is_late, 0, rng.integers(0, 600, n)))
        off = day0 + self.u_t1 * 60 + rng.integers(0, 1200, n)
        mid = (on + off) // 2 + rng.integers(-3600, 3601, n)
        mode = np.searchsorted([0.5, 0.85], rng.random(n))  # single, break, overlap
        brk = rng.integers(1800, 3601, n)
        end1 = np.where(mode == 0, off, np.where(mode == 1, mid, mid + rng.integers(600, 2401, n)))
        start2 = np.where(mode == 1, mid + brk, mid - rng.integers(0, 1201, n))
        two = mode > 0
        agent2 = np.concatenate([self.u_agent, self.u_agent[two]])
        s2 = np.concatenate([on, start2[two]])
        e2 = np.concatenate([end1, off[two]])
        order = np.lexsort((s2, agent2))
        self.writers.write("online", {
            "agent_id": _dict(agent2[order], self.agent_dict),
            "start_ts": _ts(s2[order]),
            "end_ts": _ts(e2[order]),
        })

    # -- one chunk of sessions ---------------------------------------------

    def _chunk(self, k: int, first: int, last: int) -> int:
        rng = _seed(self.seed, 1, k)
        ro, cu = self.roster, self.customers
        n = last - first
        unit = np.searchsorted(self.unit_end, np.arange(first, last), side="right")
        t0, t1 = self.u_t0[unit], self.u_t1[unit]
        lo, hi = CUM[t0], CUM[t1]
        minute = np.interp(lo + rng.random(n) * (hi - lo), CUM, MINUTES)
        sec = np.minimum((minute * 60).astype(np.int64), t1 * 60 - 1)
        start = self.base + self.u_day[unit] * DAY_S + sec
        agent = self.u_agent[unit]
        role = ro.role[agent]
        presale = (role == 0) | ((role == 2) & (rng.random(n) < 0.5))
        cust = cu.draw(rng, n)
        order = np.argsort(start, kind="stable")
        start, agent, presale, cust = start[order], agent[order], presale[order], cust[order]

        lay = _layout(rng, presale)
        msg = _messages(rng, lay, start, ro.speed[agent])
        _violations(_seed(self.seed, 5, k), msg, presale)
        has_agent = ~lay.bot_only
        agent = np.where(has_agent, agent, -1)

        offs, count = msg.offs, lay.count
        end = msg.ts[offs + count - 1]
        transfer_ts = msg.ts[offs + np.where(lay.transfer, 2 * lay.kb + 1, 0)]
        human_start = np.where(lay.transfer, transfer_ts,
                               msg.ts[np.minimum(offs + lay.greet, offs + count - 1)])
        session_ids = _ids("S", np.arange(first + 1, last + 1), self.session_width)
        customer_ids = cu.ids(cust)

        # ratings: ~40 % of human sessions, skewed to 5 (drawn before the orders, whose
        # reminders may still extend a session: rated after its end)
        answered = has_agent & ~lay.unanswered
        rated = has_agent & (rng.random(n) < np.where(lay.unanswered, 0.2, 0.42))
        r_s = np.flatnonzero(rated)
        low = np.where(lay.unanswered[r_s], 0.5, 0.07 * ro.sat[agent[r_s]])
        u = rng.random(r_s.size)
        score = np.where(u < low * 0.45, 1, np.where(u < low, 2, np.where(
            u < low + 0.07, 3, np.where(u < low + 0.23, 4, 5))))
        rated_after = rng.integers(10, 7201, r_s.size)

        # orders before the chats are written: their reminders (催付) extend their sessions,
        # and the inquiries that ordered nothing say why (own random streams: the rest of
        # the shop is the same with or without them)
        orders = self._plan_orders(rng, presale, has_agent, answered, agent, cust, start,
                                   human_start, end)
        r_sess, r_ts = self._reminders(_seed(self.seed, 5, k), orders, end)
        end[r_sess] = r_ts
        bought = np.zeros(n, dtype=bool)
        bought[orders.session[orders.session >= 0]] = True
        extra = _seed(self.seed, 6, k)
        self._lost_texts(extra, msg, presale & answered & ~bought)

        w = self.writers
        w.write("sessions", {
            "session_id": session_ids,
            "customer_id": customer_ids,
            "agent_id": _dict(np.maximum(agent, 0), self.agent_dict, mask=~has_agent),
            "start_ts": _ts(start),
            "transfer_ts": _ts(transfer_ts, mask=~lay.transfer),
            "end_ts": _ts(end),
            "channel": _dict(cu.channel(cust), CHANNELS),
            "kind": _dict(np.where(presale, 0, 1), KINDS),
        })
        r_text = _V["remind"][0] + extra.integers(0, _V["remind"][1], r_sess.size)
        ms = np.concatenate([msg.session, r_sess])
        sender = np.concatenate([msg.sender, np.ones(r_sess.size, dtype=np.int8)])
        event = np.concatenate([msg.event, np.full(r_sess.size, -1, dtype=np.int8)])
        is_agent = sender == 1
        is_cust = sender == 0
        w.write("messages", {
            "session_id": _dict(ms, session_ids),
            "ts": _ts(np.concatenate([msg.ts, r_ts])),
            "sender": _dict(sender, SENDERS),
            "agent_id": _dict(np.maximum(agent[ms], 0), self.agent_dict, mask=~is_agent),
            "customer_id": _dict(ms, customer_ids, mask=~is_cust),
            "text": _dict(np.concatenate([msg.text, r_text]), VOCAB),
            "event": _dict(np.maximum(event, 0), EVENTS, mask=event < 0),
        })
        del msg, ms, is_agent, is_cust
        w.write("ratings", {
            "session_id": pc.take(session_ids, pa.array(r_s)),
            "score": pa.array(score.astype(np.int8)),
            "ts": _ts(end[r_s] + rated_after),
        })

        self._write_orders(rng, orders)
        return int(count.sum()) + int(r_sess.size)

    def _lost_texts(self, rng: np.random.Generator, msg: _Msgs, lost: np.ndarray) -> None:
        """The last customer message of most answered inquiries without an order says why
        (包邮吗, 太贵了 …); the others leave without a reason."""
        c_pos = np.flatnonzero(msg.sender == 0)
        c_sess = msg.session[c_pos]
        last = np.r_[c_sess[1:] != c_sess[:-1], True]  # messages are in session order
        last_pos = np.full(lost.size, -1, dtype=np.int64)
        last_pos[c_sess[last]] = c_pos[last]
        s = np.flatnonzero(lost & (last_pos >= 0))
        reason = np.searchsorted(np.cumsum(LOST_WEIGHTS), rng.random(s.size))
        has = reason < len(LOST_REASONS)
        s, reason = s[has], reason[has]
        base = np.array([_V[r][0] for r in LOST_REASONS])
        size = np.array([_V[r][1] for r in LOST_REASONS])
        msg.text[last_pos[s]] = base[reason] + (rng.random(s.size) * size[reason]).astype(
            np.int64)

    def _reminders(self, rng: np.random.Generator, o: _Orders, end: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
        """催付: an order placed during or soon after its chat and not paid at once gets the
        agent's reminder a few minutes later.  It works for some paid orders, whose
        customers hesitated (paid after it: ``o.paid_ts`` moves); the unpaid, cancelled and
        closed ones did not pay.  Returns each reminder's session and time."""
        m = o.created.size
        sess = np.maximum(o.session, 0)
        chat = (o.session >= 0) & (o.s_agent >= 0) & (o.explicit < 0)
        soon = chat & (o.created - end[sess] <= 1800)
        at = np.maximum(o.created, end[sess]) + rng.integers(60, 901, m)
        hesitate = soon & o.paid & (rng.random(m) < 0.1)
        waiting = soon & ~o.paid & (rng.random(m) < 0.8)
        later = at + 30 + rng.exponential(900.0, m).astype(np.int64)
        reminded = (hesitate | waiting) & (at < self.end)
        moved = reminded & hesitate
        o.paid_ts[moved] = later[moved]
        return o.session[reminded], at[reminded]

    def _plan_orders(self, rng: np.random.Generator, presale: np.ndarray, has_agent: np.ndarray,
                     answered: np.ndarray, agent: np.ndarray, cust: np.ndarray,
                     start: np.ndarray, human_start: np.ndarray, end: np.ndarray
                     ) -> _Orders:
        ro, cu = self.roster, self.customers
        n = presale.size
        conv = np.where(has_agent, ro.conv[np.maximum(agent, 0)], 1.0)
        p = np.where(answered, 0.42 * conv, np.where(has_agent, 0.10, 0.25))
        o_s = np.flatnonzero(presale & (rng.random(n) < p))
        m = o_s.size
        hs = np.where(has_agent[o_s], human_start[o_s], start[o_s])
        spent = end[o_s] - hs
        cat = np.searchsorted([0.5, 0.93], rng.random(m))  # right after, later, outside window
        window = 71 * HOUR_S
        later_lo = np.minimum(spent + 60, window)
        right_after = np.minimum(spent + 5 + rng.exponential(600.0, m).astype(np.int64), window)
        later = later_lo + ((window - later_lo) * rng.random(m) ** 2).astype(np.int64)
        outside = rng.integers(72 * HOUR_S + 60, 144 * HOUR_S, m)
        created = hs + np.where(cat == 0, right_after, np.where(cat == 1, later, outside))
        s_agent = agent[o_s]
        explicit = np.full(m, -1, dtype=np.int64)
        credit = has_agent[o_s] & (rng.random(m) < 0.06)
        other = rng.random(m) < 0.2
        explicit[credit] = np.where(other[credit],
                                    self.presale_pool[rng.integers(0, self.presale_pool.size,
                                                                   int(credit.sum()))],
                                    s_agent[credit])
        o_cust = cust[o_s]
        session = o_s.astype(np.int64)
        # silent orders: customers who never chat, ~20 % of all orders
        n_silent = rng.binomial(m, 0.25) if m else 0
        if n_silent:
            around = start[rng.integers(0, n, n_silent)] + rng.integers(-6 * HOUR_S, 6 * HOUR_S,
                                                                        n_silent)
            around = np.where(around < self.base, around + 12 * HOUR_S, around)
            created = np.concatenate([created, around])
            o_cust = np.concatenate([o_cust, cu.chatting + rng.integers(0, cu.silent, n_silent)])
            explicit = np.concatenate([explicit, np.full(n_silent, -1, dtype=np.int64)])
            s_agent = np.concatenate([s_agent, np.full(n_silent, -1, dtype=np.int64)])
            session = np.concatenate([session, np.full(n_silent, -1, dtype=np.int64)])
        keep = np.flatnonzero(created < self.end)
        keep = keep[np.argsort(created[keep], kind="stable")]
        created, o_cust = created[keep], o_cust[keep]
        explicit, s_agent, session = explicit[keep], s_agent[keep], session[keep]
        m = created.size
        status = np.searchsorted([0.88, 0.94, 0.98], rng.random(m))
        paid = status == 0
        paid_ts = created + 10 + rng.exponential(300.0, m).astype(np.int64)
        return _Orders(created, o_cust, explicit, s_agent, session, status, paid, paid_ts)

    def _write_orders(self, rng: np.random.Generator, o: _Orders) -> None:
        cu = self.customers
        created, o_cust, explicit, s_agent = o.created, o.customer, o.explicit, o.s_agent
        status, paid, paid_ts = o.status, o.paid, o.paid_ts
        m = created.size
        units = 1 + np.searchsorted([0.65, 0.90], rng.random(m))
        price = rng.lognormal(np.log(110.0), 0.55, m)
        cents = np.maximum(100, (price * units * 100).astype(np.int64))
        numbers = np.arange(self.next_order, self.next_order + m)
        self.next_order += m
        order_ids = _ids("O", numbers, self.order_width)
        self.writers.write("orders", {
            "order_id": order_ids,
            "customer_id": cu.ids(o_cust),
            "created_ts": _ts(created),
            "paid_ts": _ts(paid_ts, mask=~paid),
            "amount": _money(cents),
            "units": pa.array(units.astype(np.int8)),
            "status": _dict(status, ORDER_STATUS),
            "agent_id": _dict(np.maximum(explicit, 0), self.agent_dict, mask=explicit < 0),
        })
        credited = np.where(explicit >= 0, explicit, s_agent)
        month = self._month_of(created)
        np.add.at(self.shop_sales, month[paid], cents[paid])
        ok = paid & (credited >= 0)
        np.add.at(self.agent_sales, (credited[ok], month[ok]), cents[ok])

        p_idx = np.flatnonzero(paid)
        if p_idx.size:
            pick = rng.choice(p_idx, size=min(32, p_idx.size), replace=False)
            pick.sort()
            for i in pick:
                self.sample_orders.append((f"O{numbers[i]:0{self.order_width}d}",
                                           int(credited[i]), int(paid_ts[i])))

        # refunds: ~8 % of paid orders, handled by after-sale agents
        f_i = p_idx[rng.random(p_idx.size) < 0.08]
        f = f_i.size
        requested = paid_ts[f_i] + _lognormal_int(rng, 1.5 * DAY_S, 0.8, f, HOUR_S, 20 * DAY_S)
        kind = np.searchsorted([0.45, 0.87], rng.random(f))
        dispute = rng.random(f) < 0.05
        took = _lognormal_int(rng, 18 * HOUR_S, 0.9, f, 600, 15 * DAY_S) * np.where(dispute, 3, 1)
        completed = requested + took
        is_open = (rng.random(f) < 0.08) | (completed >= self.end)
        full = rng.random(f) < 0.75
        amount = np.where(kind == 2, 0, np.where(
            full, cents[f_i], (cents[f_i] * rng.uniform(0.2, 0.9, f)).astype(np.int64)))
        cost = np.where(kind == 1, np.where(rng.random(f) < 0.7, rng.integers(800, 1501, f), 0),
                        np.where(kind == 2, rng.integers(1000, 2001, f),
                                 np.where(rng.random(f) < 0.1, rng.integers(500, 2001, f), 0)))
        cost = cost + np.where(dispute, rng.integers(0, 5001, f), 0)
        keep = requested < self.end
        f_i, requested, kind, dispute, completed, is_open, amount, cost = (
            a[keep] for a in (f_i, requested, kind, dispute, completed, is_open, amount, cost))
        f = f_i.size
        handler = self.after_pool[rng.integers(0, self.after_pool.size, f)]
        self.writers.write("refunds", {
            "refund_id": _ids("R", np.arange(self.next_refund, self.next_refund + f),
                              self.refund_width),
            "order_id": pc.take(order_ids, pa.array(f_i)),
            "agent_id": _dict(handler, self.agent_dict),
            "requested_ts": _ts(requested),
            "completed_ts": _ts(completed, mask=is_open),
            "amount": _money(amount),
            "kind": _dict(kind, REFUND_KINDS),
            "reason": _dict(rng.integers(0, len(REFUND_REASONS), f), REFUND_REASONS),
            "dispute": pa.array(dispute),
            "cost": _money(cost),
        })
        self.next_refund += f
        refunded = np.zeros(m, dtype=bool)
        refunded[f_i] = True

        # product reviews for a share of paid orders
        v_i = p_idx[rng.random(p_idx.size) < 0.35]
        v = v_i.size
        v_ts = paid_ts[v_i] + rng.integers(2 * DAY_S, 12 * DAY_S, v)
        bad_p = np.where(refunded[v_i], 0.25, 0.03)
        u = rng.random(v)
        rating = np.where(u < bad_p, 2, np.where(u < bad_p + 0.06, 1, 0))
        blame = (rating > 0) & (credited[v_i] >= 0) & (rng.random(v) < 0.6)
        texts = [t for r in (0, 1, 2) for t in REVIEW_TEXT[r]]
        t_base = np.array([0, len(REVIEW_TEXT[0]), len(REVIEW_TEXT[0]) + len(REVIEW_TEXT[1])])
        t_n = np.array([len(REVIEW_TEXT[r]) for r in (0, 1, 2)])
        t_idx = t_base[rating] + (rng.random(v) * t_n[rating]).astype(np.int64)
        keep = v_ts < self.end
        self.writers.write("reviews", {
            "order_id": pc.take(order_ids, pa.array(v_i[keep])),
            "ts": _ts(v_ts[keep]),
            "rating": _dict(rating[keep], REVIEW_RATINGS),
            "agent_id": _dict(np.maximum(credited[v_i], 0)[keep], self.agent_dict,
                              mask=~blame[keep]),
            "text": _dict(t_idx[keep], texts),
        })

    # -- closing tables -----------------------------------------------------

    def _write_complaints(self) -> None:
        rng = _seed(self.seed, 4)
        ro = self.roster
        n = max(3, int(round(ro.n * self.days / 60)))
        humans = np.flatnonzero(ro.role != 2)
        if humans.size == 0:
            humans = np.arange(ro.n)
        ts, agents, orders = [], [], []
        samples = self.sample_orders
        take = rng.choice(len(samples), size=min(len(samples), int(n * 0.7)), replace=False) \
            if samples else np.array([], dtype=np.int64)
        for i in sorted(take.tolist()):
            oid, credited, paid = samples[i]
            a = credited if credited >= 0 else int(humans[rng.integers(0, humans.size)])
            t = min(paid + int(rng.integers(HOUR_S, 4 * DAY_S)), self.end - 1)
            orders.append(oid)
            agents.append(a)
            ts.append(t)
        while len(ts) < n:
            orders.append(None)
            agents.append(int(humans[rng.integers(0, humans.size)]))
            ts.append(self.base + int(rng.integers(0, self.days * DAY_S)))
        order = np.argsort(np.array(ts), kind="stable")
        ts_a = np.array(ts, dtype=np.int64)[order]
        agents_a = np.array(agents, dtype=np.int64)[order]
        orders_l = [orders[i] for i in order]
        verified = rng.random(n) < 0.6
        pts = rng.choice([-2, -3, -5], n)
        has_pts = verified & (rng.random(n) < 0.8)
        self.writers.write("complaints", {
            "complaint_id": _ids("P", np.arange(1, n + 1), max(4, len(str(n)))),
            "ts": _ts(ts_a),
            "agent_id": _dict(agents_a, self.agent_dict),
            "order_id": _str(orders_l),
            "verified": pa.array(verified),
            "points": pa.array(pts.astype(np.int64), mask=~has_pts),
            "note": _dict(rng.integers(0, len(COMPLAINT_NOTES), n), COMPLAINT_NOTES),
        })

    def _write_grades_events(self) -> None:
        rng = _seed(self.seed, 5)
        ro = self.roster
        periods = [f"{y:04d}-{m:02d}" for y, m, _, _ in self.months]
        rows = [(a, p, it) for a in range(ro.n) for p in range(len(periods))
                for it in range(len(GRADE_ITEMS))]
        g = np.searchsorted([0.30, 0.75, 0.95], rng.random(len(rows)))
        self.writers.write("grades", {
            "agent_id": _dict([r[0] for r in rows], self.agent_dict),
            "period": _dict([r[1] for r in rows], periods),
            "item": _dict([r[2] for r in rows], GRADE_ITEMS),
            "grade": _dict(g, ("A", "B", "C", "D")),
            "reviewer": _str([ro.reviewer[r[0]] or None for r in rows]),
            "note": _dict(g, GRADE_NOTES),
        })
        per_agent = rng.poisson(max(self.days, 1) / 12.0, ro.n)
        agent = np.repeat(np.arange(ro.n), per_agent)
        e = agent.size
        day = rng.integers(0, self.days, e)
        ts = self.base + day * DAY_S + rng.integers(9 * HOUR_S, 21 * HOUR_S, e)
        kind = np.searchsorted([0.40, 0.55, 0.85], rng.random(e))
        pts = np.array(EVENT_POINTS)[kind]
        # outstanding and complaint points are the manager's pick within the preset
        # scheme's ranges (2..5 and -20..-5), so they are always filled in
        pts = np.where(kind == 1, rng.integers(2, 6, e), pts)
        pts = np.where(kind == 3, rng.integers(-20, -4, e), pts)
        optional = (kind == 0) | (kind == 2)
        order = np.lexsort((ts, agent))
        self.writers.write("events", {
            "agent_id": _dict(agent[order], self.agent_dict),
            "ts": _ts(ts[order]),
            "kind": _dict(kind[order], EVENT_KINDS),
            "points": pa.array(pts[order].astype(np.int64),
                               mask=(optional & (rng.random(e) < 0.3))[order]),
            "note": _dict(kind[order], EVENT_NOTES),
        })

    def _write_targets(self) -> None:
        rng = _seed(self.seed, 6)
        ro = self.roster
        periods, scopes, metrics, values = [], [], [], []

        def money(cents: float) -> str:
            hundreds = max(10, int(round(cents / 10_000)))  # whole hundreds of yuan, >= 1000
            return f"{hundreds * 100}.00"

        pre_teams = sorted({ro.team[i] for i in range(ro.n) if ro.role[i] == 0})
        for mi, (y, m, _first, covered) in enumerate(self.months):
            period = f"{y:04d}-{m:02d}"
            scale = _month_days(y, m) / covered
            periods.append(period)
            scopes.append("shop")
            metrics.append("sales")
            values.append(money(self.shop_sales[mi] * scale * rng.uniform(0.9, 1.15)))
            for a in range(ro.n):
                if ro.role[a] == 0:
                    periods.append(period)
                    scopes.append(f"agent:{ro.ids[a]}")
                    metrics.append("sales")
                    values.append(money(self.agent_sales[a, mi] * scale * rng.uniform(0.85, 1.2)))
            for team in pre_teams:
                periods.append(period)
                scopes.append(f"team:{team}")
                metrics.append("conversion_rate")
                values.append(f"{rng.integers(35, 46) / 100:.2f}")
        self.writers.write("targets", {
            "period": _str(periods), "scope": _str(scopes), "metric": _str(metrics),
            "value": _str(values),
        })
