"""The golden shop of lost inquiries and payment reminders (询单流失, 催付):
tests/golden/test_lost_metrics.py and test_lost_reasons.py work their figures by hand.

A1 and A2 are pre-sale agents of team T1, B1 an after-sale agent of T2.

- L1  C1 / A1  10-03 10:00  "这个包邮吗" … "不包邮就算了": leaves without an order.
- L2  C2 / A1  10-04 11:00  "在吗？这件有M码吗": never answered; no order.
- L10 C3 / A1  10-05 08:00  asks, then buys from A2 (L3): lost to A1, not to the team.
- L3  C3 / A2  10-05 09:00  "能便宜点吗"; O3 placed 09:10; A2 writes 09:30 (reminder,
  20 min after the order, unpaid); O3 paid 09:40, after it.
- L4  C4 / A2  10-06 14:00  "太贵了": leaves (the reason a manager relabels).
- L5  C5 / A1  10-07 10:00  "几天能到"; O5 placed 10:10, never paid; A1 writes 20:00 in
  the same session (a reminder 9 h 50 min after the order that did not work).
- L7  C7 / A2  10-08 10:00  "有优惠吗"; O8 placed 10:05, paid 10-10 10:00.
- L8  C7 / A2  10-09 11:00  the next agent message to C7, 24 h 55 min after O8: outside
  the 24 h window (a reminder with remind_window_h = 25).
- L9  C8 / A1  10-12 10:00  O9 placed 10:05 and paid 10:06; A1 writes 10:07: already
  paid, not a reminder.
"""

from __future__ import annotations

SESSIONS = """\
session_id,customer_id,agent_id,start_ts,kind
L1,C1,A1,2026-10-03 10:00:00,presale
L2,C2,A1,2026-10-04 11:00:00,presale
L10,C3,A1,2026-10-05 08:00:00,presale
L3,C3,A2,2026-10-05 09:00:00,presale
L4,C4,A2,2026-10-06 14:00:00,presale
L5,C5,A1,2026-10-07 10:00:00,presale
L7,C7,A2,2026-10-08 10:00:00,presale
L8,C7,A2,2026-10-09 11:00:00,presale
L9,C8,A1,2026-10-12 10:00:00,presale
"""
MESSAGES = """\
session_id,ts,sender,agent_id,customer_id,text
L1,2026-10-03 10:00:00,customer,,C1,这个包邮吗
L1,2026-10-03 10:00:30,agent,A1,,亲，满99包邮哦
L1,2026-10-03 10:01:00,customer,,C1,不包邮就算了
L2,2026-10-04 11:00:00,customer,,C2,在吗？这件有M码吗
L10,2026-10-05 08:00:00,customer,,C3,有现货吗
L10,2026-10-05 08:01:00,agent,A1,,亲，有现货的
L3,2026-10-05 09:00:00,customer,,C3,能便宜点吗
L3,2026-10-05 09:01:00,agent,A2,,亲，已经是最低价了
L3,2026-10-05 09:30:00,agent,A2,,亲，记得付款哦
L4,2026-10-06 14:00:00,customer,,C4,太贵了
L4,2026-10-06 14:00:20,agent,A2,,亲，现在有优惠券
L5,2026-10-07 10:00:00,customer,,C5,几天能到
L5,2026-10-07 10:00:40,agent,A1,,亲，三天左右
L5,2026-10-07 20:00:00,agent,A1,,亲，订单还没付款哦
L7,2026-10-08 10:00:00,customer,,C7,有优惠吗
L7,2026-10-08 10:01:00,agent,A2,,有的
L8,2026-10-09 11:00:00,customer,,C7,发货了吗
L8,2026-10-09 11:00:30,agent,A2,,亲，还没付款哦
L9,2026-10-12 10:00:00,customer,,C8,在吗
L9,2026-10-12 10:00:30,agent,A1,,在的
L9,2026-10-12 10:07:00,agent,A1,,感谢购买
"""
ORDERS = """\
order_id,customer_id,created_ts,paid_ts,amount,units,status
O3,C3,2026-10-05 09:10:00,2026-10-05 09:40:00,80.00,1,paid
O5,C5,2026-10-07 10:10:00,,60.00,1,unpaid
O8,C7,2026-10-08 10:05:00,2026-10-10 10:00:00,70.00,1,paid
O9,C8,2026-10-12 10:05:00,2026-10-12 10:06:00,30.00,1,paid
"""
FILES = {"sessions.csv": SESSIONS, "messages.csv": MESSAGES, "orders.csv": ORDERS}
