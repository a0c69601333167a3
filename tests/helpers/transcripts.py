"""Hand-labelled transcripts (Chinese and English, TWCS-like) and the rules they are
checked with: the golden inputs of tests/qa.  The expected hits are written beside the
messages that cause them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.helpers.common import write_folder

RULES = """\
qa: golden
title: 测试质检
start: 100
rules:
  - {key: banned, label: 禁用语, kind: phrases, phrases: [不知道, 爱买不买, 加我vx], points: -10}
  - {key: offsite, label: 引导站外交易, kind: pattern,
     pattern: "(微信|vx)[:：]?\\\\s*[A-Za-z0-9_-]{5,}", fatal: true}
  - {key: greeting, label: 首句问候, kind: required,
     phrases: [您好, 亲, hi, hello, thanks for reaching out], points: -5}
  - {key: soothe, label: 顾客不满未安抚, kind: emotion_followup, points: -5}
  - {key: rude, label: Rude words, kind: phrases, phrases: [stupid], points: -3, per: hit}
"""

AGENTS = [("A1", "张伟", "presale", "T1"), ("A2", "李娜", "aftersale", "T1"),
          ("A3", "Sam", "aftersale", "T2")]

# (session, customer, agent, start, transfer)
SESSIONS = [
    ("S1", "C1", "A1", "2026-10-03 10:00:00", ""),
    ("S2", "C2", "A1", "2026-10-04 10:00:00", ""),
    ("S3", "C3", "A1", "2026-10-05 10:00:00", ""),
    ("S4", "C4", "A2", "2026-10-06 09:59:00", "2026-10-06 10:00:00"),
    ("S5", "C5", "A2", "2026-10-07 10:00:00", ""),
    ("S6", "C6", "A2", "2026-10-08 10:00:00", ""),
    ("S7", "C7", "A3", "2026-10-09 10:00:00", ""),
    ("S8", "C8", "A3", "2026-10-10 10:00:00", ""),
    ("S9", "C9", "A3", "2026-10-11 10:00:00", ""),  # never answered: not checked
    ("S10", "C10", "A1", "2026-11-02 10:00:00", ""),  # November: outside the period
]

# (session, time, sender, text); the hits each message causes are in the comments
MESSAGES = [
    # S1 clean: greeting in the first reply, nothing banned -> 100
    ("S1", "10:00:00", "customer", "在吗，这款有货吗"),
    ("S1", "10:00:20", "agent", "亲，您好，有货的哦"),
    ("S1", "10:01:00", "customer", "好的谢谢"),
    ("S1", "10:01:10", "agent", "不客气，还有什么可以帮您"),
    # S2: first reply without a greeting (greeting -5, at 10:00:30); 不知道 twice
    # (banned -10, once per session, first at 10:02:00) -> 85
    ("S2", "10:00:00", "customer", "什么时候发货"),
    ("S2", "10:00:30", "agent", "在"),
    ("S2", "10:01:00", "customer", "具体哪天能发"),
    ("S2", "10:02:00", "agent", "不知道"),
    ("S2", "10:03:00", "customer", "那我问谁"),
    ("S2", "10:03:30", "agent", "我也不知道，你问快递"),
    # S3: an off-site WeChat id (offsite, fatal, 10:01:00) and full-width 加我ｖｘ
    # (banned, folded to 加我vx, 10:01:00) -> 0
    ("S3", "10:00:00", "customer", "能便宜点吗"),
    ("S3", "10:00:10", "agent", "亲，您好"),
    ("S3", "10:01:00", "agent", "加我ＶＸ私聊，微信：shop_kf2026"),
    # S4: a bot stage before the transfer (its complaint is not the agent's); after it,
    # 质量太差了 (太差 a jieba token) answered without soothing (soothe -5, 10:00:30);
    # 差不多 is not 差 -> 95
    ("S4", "09:59:00", "customer", "垃圾机器人"),
    ("S4", "09:59:05", "bot", "抱歉没有理解您的问题"),
    ("S4", "10:00:00", "system", "已为您转接人工客服"),
    ("S4", "10:00:10", "agent", "亲，您好，我是售后客服"),
    ("S4", "10:00:30", "customer", "东西坏了，质量太差了，我很生气"),
    ("S4", "10:01:00", "agent", "亲，麻烦提供一下图片"),
    ("S4", "10:02:00", "customer", "差不多就这样吧"),
    ("S4", "10:02:30", "agent", "好的亲"),
    # S5: a complaint answered with an apology -> 100
    ("S5", "10:00:00", "customer", "太失望了，一直不发货"),
    ("S5", "10:00:40", "agent", "亲，非常抱歉，马上为您处理"),
    # S6: a complaint after the agent's last message, never answered (soothe -5,
    # 10:02:00) -> 95
    ("S6", "10:00:00", "customer", "退货地址是哪里"),
    ("S6", "10:00:20", "agent", "亲，退货地址已发您"),
    ("S6", "10:02:00", "customer", "你们客服态度差，我要投诉"),
    # S7 (English): the first reply has no greeting (greeting -5, 10:00:30); the
    # complaint is answered with "Sorry" -> 95
    ("S7", "10:00:00", "customer", "@AppleSupport my phone is broken again, ridiculous"),
    ("S7", "10:00:30", "agent", "Sorry to hear that! Please DM us your serial number."),
    # S8 (English): a greeting; "worst" unanswered by soothing (soothe -5, 10:01:00);
    # "badminton" holds no whole word "bad"; "stupid" twice (rude -3 per hit, 10:02:00 and
    # 10:03:00) -> 100 - 5 - 6 = 89
    ("S8", "10:00:00", "customer", "I bought a badminton racket"),
    ("S8", "10:00:20", "agent", "Hi there, how can we help?"),
    ("S8", "10:01:00", "customer", "Worst service ever, still waiting for my refund"),
    ("S8", "10:01:30", "agent", "Can you DM us the order number?"),
    ("S8", "10:02:00", "agent", "That stupid courier lost it"),
    ("S8", "10:03:00", "agent", "Stupid system, sorry"),
    # S9: no agent message -> not checked
    ("S9", "10:00:00", "customer", "hello?"),
    # S10: in November -> not in October's figures
    ("S10", "10:00:00", "customer", "在吗"),
    ("S10", "10:00:10", "agent", "不知道"),
]

# (session, rule, local time, points, fatal) of every hit in October, as labelled above
EXPECTED_HITS = [
    ("S2", "greeting", "2026-10-04T10:00:30", -5, False),
    ("S2", "banned", "2026-10-04T10:02:00", -10, False),
    ("S2", "banned", "2026-10-04T10:03:30", -10, False),
    ("S3", "banned", "2026-10-05T10:01:00", -10, False),
    ("S3", "offsite", "2026-10-05T10:01:00", 0, True),
    ("S4", "soothe", "2026-10-06T10:00:30", -5, False),
    ("S6", "soothe", "2026-10-08T10:02:00", -5, False),
    ("S7", "greeting", "2026-10-09T10:00:30", -5, False),
    ("S8", "soothe", "2026-10-10T10:01:00", -5, False),
    ("S8", "rude", "2026-10-10T10:02:00", -3, False),
    ("S8", "rude", "2026-10-10T10:03:00", -3, False),
]
EXPECTED_SCORES = {"S1": 100, "S2": 85, "S3": 0, "S4": 95, "S5": 100, "S6": 95, "S7": 95,
                   "S8": 89}


def csv_text(header: list[str], rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def files() -> dict[str, str]:
    day = {s: start[:10] for s, _, _, start, _ in SESSIONS}
    agent = {s: a for s, _, a, _, _ in SESSIONS}
    customer = {s: c for s, c, _, _, _ in SESSIONS}
    msgs = [(s, f"{day[s]} {t}", sender, agent[s] if sender == "agent" else "",
             customer[s] if sender == "customer" else "", text)
            for s, t, sender, text in MESSAGES]
    return {
        "agents.csv": csv_text(["agent_id", "name", "role", "team"], AGENTS),
        "sessions.csv": csv_text(["session_id", "customer_id", "agent_id", "start_ts",
                              "transfer_ts"], SESSIONS),
        "messages.csv": csv_text(["session_id", "ts", "sender", "agent_id", "customer_id", "text"],
                             msgs),
    }


def folder(root: Path) -> Path:
    return write_folder(root, files())
