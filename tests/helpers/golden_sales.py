"""The golden sales shop (tests/golden/test_sales_metrics.py): pre-sale chats, orders and
refunds of October 2026, with the attribution worked by hand beside them."""

from __future__ import annotations

SESSIONS = """\
session_id,customer_id,agent_id,start_ts,kind
P1,C1,A1,2026-10-01 10:00:00,presale
P2,C1,A2,2026-10-02 10:00:00,presale
P3,C2,A1,2026-10-03 10:00:00,presale
P4,C3,A2,2026-10-05 10:00:00,presale
P5,C4,A1,2026-10-06 10:00:00,presale
AS1,C1,B1,2026-10-08 10:00:00,aftersale
"""
ORDERS = """\
order_id,customer_id,created_ts,paid_ts,amount,units,status,agent_id
O1,C1,2026-10-02 12:00:00,2026-10-02 12:05:00,100.00,1,paid,
O2,C2,2026-10-03 11:00:00,2026-10-03 11:01:00,50.50,2,paid,
O3,C3,2026-10-08 11:00:00,2026-10-08 11:30:00,80.00,1,paid,
O4,C4,2026-10-06 12:00:00,,30.00,1,unpaid,
O5,C9,2026-10-07 09:00:00,2026-10-07 09:10:00,20.00,1,paid,
O6,C9,2026-10-07 10:00:00,2026-10-07 10:10:00,40.00,1,paid,A1
"""
# O1: C1's sessions before 10-02 12:00 within 72 h are P1 (A1, 10-01 10:00) and P2 (A2,
#     10-02 10:00): last touch -> A2, first touch -> A1.
# O2: C2's P3 (A1) an hour earlier -> A1.
# O3: C3's P4 (A2) on 10-05 10:00 is 73 h before 10-08 11:00 -> outside 72 h: silent.
# O4: C4's P5 (A1) -> A1, but unpaid.
# O5: C9 never talked to anyone -> silent.  O6: explicit agent A1 (C9 did not inquire).

REFUNDS = """\
refund_id,order_id,agent_id,requested_ts,completed_ts,amount,kind,dispute,cost
R1,O2,B1,2026-10-04 09:00:00,2026-10-04 21:00:00,50.50,refund_only,false,5.00
R2,O1,B1,2026-10-05 09:00:00,,100.00,return_refund,true,12.50
R3,O2,B1,2026-10-06 09:00:00,2026-10-07 09:00:00,10.00,refund_only,false,0
"""
