"""A small shop with bad and neutral reviews and low service ratings, every row's agent
and time worked out by hand in the comments (the golden feedback test and the web tests
of the reviews page)."""

from __future__ import annotations

from tests.helpers.golden import HEAD

# the golden small shop's agents (tests/helpers/golden.py), one named like a formula
FEEDBACK_AGENTS = ("agent_id,name,role,team\nA1,甲,presale,T1\nA2,\"=HYPERLINK(\"\"http://evil\"\","
                   "\"\"x\"\")\",presale,T1\nB1,丙,aftersale,T2\n")
FEEDBACK_FILES = {
    # S1: C1 with A1 (pre-sale) Oct 3 10:10; S2: C2 with A2 at 10:40; S3: C3 with B1
    "messages.csv": HEAD + "".join(line + "\n" for line in (
        "S1,2026-10-03 10:10:00,customer,,C1,", "S1,2026-10-03 10:11:00,agent,A1,,",
        "S2,2026-10-03 10:40:00,customer,,C2,", "S2,2026-10-03 10:41:00,agent,A2,,",
        "S3,2026-10-05 09:00:00,customer,,C3,", "S3,2026-10-05 09:01:00,agent,B1,,")),
    # O1 (C1) is credited to A1, whose session came 20 min before it; O2 (C2) to A2;
    # O3's customer C9 never chatted: a silent order, credited to nobody
    "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                  "O1,C1,2026-10-03 10:30:00,2026-10-03 10:35:00,100\n"
                  "O2,C2,2026-10-03 11:00:00,2026-10-03 11:05:00,50\n"
                  "O3,C9,2026-10-04 08:00:00,2026-10-04 08:10:00,30\n",
    "reviews.csv": "order_id,ts,rating,agent_id,text\n"
                   # bad, no agent named: held against O1's credit, A1 ("order")
                   "O1,2026-10-04 09:00:00,差评,,太慢了\n"
                   # neutral, naming B1 ("explicit") although O2 is A2's
                   "O2,2026-10-04 12:00:00,中评,B1,\"=HYPERLINK(\"\"http://x\"\")\"\n"
                   # good: not listed
                   "O2,2026-10-05 12:00:00,好评,,很好\n"
                   # bad, no time: counts on O3's payment, Oct 4 08:10; nobody ("none")
                   "O3,,差评,,没人理\n"
                   # bad, but in November: not in October's list
                   "O1,2026-11-02 09:00:00,差评,,后来\n",
    # S1 rated 1 (dissatisfied), S2 rated 3 (neutral), S3 rated 5 (not listed)
    "ratings.csv": "session_id,score,ts\nS1,1,2026-10-03 10:50:00\nS2,3,\nS3,5,\n",
}
