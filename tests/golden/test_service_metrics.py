"""Golden service metrics: small hand-made chats, every expected figure worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers.golden import HEAD, metrics


def chat(*lines: str) -> dict[str, str]:
    return {"messages.csv": HEAD + "".join(line + "\n" for line in lines)}


def test_taobao_worked_rounds_example(tmp_path):
    # buyer 10:10:15 and 10:15:20 (one round from 10:10:15), seller 10:18:10:
    # 10:18:10 - 10:10:15 = 7 min 55 s = 475 s > 180 s -> 0 of 1 rounds within 3 min
    one = metrics(tmp_path / "a", chat(
        "S1,2026-10-03 10:10:15,customer,,C1,", "S1,2026-10-03 10:15:20,customer,,C1,",
        "S1,2026-10-03 10:18:10,agent,A1,,"), profile="taobao")["A1"]
    assert (one["reply_3min_rate_num"], one["reply_3min_rate_den"]) == (0, 1)
    assert one["first_response_s"] == 475.0
    # add buyer 10:18:30, seller 10:19:00: second round 30 s -> 1 of 2
    two = metrics(tmp_path / "b", chat(
        "S1,2026-10-03 10:10:15,customer,,C1,", "S1,2026-10-03 10:15:20,customer,,C1,",
        "S1,2026-10-03 10:18:10,agent,A1,,", "S1,2026-10-03 10:18:30,customer,,C1,",
        "S1,2026-10-03 10:19:00,agent,A1,,"), profile="taobao")["A1"]
    assert (two["reply_3min_rate_num"], two["reply_3min_rate_den"]) == (1, 2)
    assert two["reply_3min_rate"] == 0.5
    # response_s = (475 + 30) / 2 = 252.5
    assert (two["response_s"], two["response_s_num"], two["response_s_den"]) == (252.5, 505.0, 2)


def test_bot_messages_are_not_replies_unless_the_profile_says_so(tmp_path):
    lines = ("S1,2026-10-03 10:00:00,customer,,C1,", "S1,2026-10-03 10:00:05,bot,,,",
             "S1,2026-10-03 10:04:00,agent,A1,,")
    generic = metrics(tmp_path / "g", chat(*lines))["A1"]
    # the bot does not answer: 10:04:00 - 10:00:00 = 240 s
    assert generic["first_response_s"] == 240.0 and generic["reply_3min_rate"] == 0.0
    douyin = metrics(tmp_path / "d", chat(*lines), profile="douyin")["A1"]
    # douyin counts bot replies: 10:00:05 - 10:00:00 = 5 s; the agent's message then
    # answers nothing (no open round)
    assert douyin["first_response_s"] == 5.0
    assert (douyin["reply_3min_rate_num"], douyin["reply_3min_rate_den"]) == (1, 1)


def test_system_messages_never_reply(tmp_path):
    m = metrics(tmp_path, chat("S1,2026-10-03 10:00:00,customer,,C1,",
                               "S1,2026-10-03 10:00:01,system,,,close",
                               "S1,2026-10-03 10:01:00,agent,A1,,"))["A1"]
    assert m["first_response_s"] == 60.0


def test_proactive_greeting_gives_no_negative_response_time(tmp_path):
    # greeting 09:59:00 comes before the customer's first message: it answers nothing;
    # the customer's 10:00:00 round is answered at 10:01:00 -> 60 s
    m = metrics(tmp_path, chat("S1,2026-10-03 09:59:00,agent,A1,,",
                               "S1,2026-10-03 10:00:00,customer,,C1,",
                               "S1,2026-10-03 10:01:00,agent,A1,,"))["A1"]
    assert m["first_response_s"] == 60.0 and m["response_s"] == 60.0
    assert m["reply_3min_rate_den"] == 1


def test_burst_is_one_round_timed_from_its_first_message(tmp_path):
    # customer 10:00:00, 10:00:30, 10:01:00 then agent 10:02:00: one round of 120 s
    m = metrics(tmp_path, chat("S1,2026-10-03 10:00:00,customer,,C1,",
                               "S1,2026-10-03 10:00:30,customer,,C1,",
                               "S1,2026-10-03 10:01:00,customer,,C1,",
                               "S1,2026-10-03 10:02:00,agent,A1,,"))["A1"]
    assert m["response_s_den"] == 1 and m["response_s"] == 120.0
    assert m["reply_3min_rate_den"] == 1


def test_unanswered_rounds_and_sessions_are_failures(tmp_path):
    files = {
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                        "S1,C1,A1,2026-10-03 10:00:00\nS2,C2,A1,2026-10-03 11:00:00\n",
        **chat("S1,2026-10-03 10:00:00,customer,,C1,", "S1,2026-10-03 10:01:00,agent,A1,,",
               "S1,2026-10-03 10:05:00,customer,,C1,",  # last round, never answered
               "S2,2026-10-03 11:00:00,customer,,C2,"),  # a session never answered
    }
    m = metrics(tmp_path, files)["A1"]
    # rounds: S1 r1 (60 s, within), S1 r2 (unanswered), S2 r1 (unanswered) -> 1 of 3
    assert (m["reply_3min_rate_num"], m["reply_3min_rate_den"]) == (1, 3)
    # first rounds: S1 answered in 60 s (within 120), S2 unanswered -> 1 of 2
    assert (m["first_reply_2min_rate_num"], m["first_reply_2min_rate_den"]) == (1, 2)
    # the means use answered rounds only: response_s = 60 / 1
    assert (m["response_s"], m["first_response_s"]) == (60.0, 60.0)
    assert m["unanswered_sessions"] == 1  # S2 has no human message at all
    # customers 2, replied 1 (C1) -> reply_rate 0.5
    assert (m["customers"], m["replied_customers"], m["reply_rate"]) == (2, 1, 0.5)


def test_sessions_without_an_agent_do_not_vanish(tmp_path):
    files = chat("S1,2026-10-03 10:00:00,customer,,C1,", "S1,2026-10-03 10:00:10,agent,A1,,",
                 "S9,2026-10-03 10:00:00,customer,,C9,", "S9,2026-10-03 10:00:03,bot,,,")
    agents = metrics(tmp_path / "a", files)
    assert agents["A1"]["sessions"] == 1 and agents["A2"]["sessions"] == 0
    shop = metrics(tmp_path / "s", files, by="shop")["shop"]
    # the shop counts both sessions and both customers; the bot-only one has no rounds
    assert (shop["sessions"], shop["customers"]) == (2, 2)
    assert shop["reply_3min_rate_den"] == 1 and shop["unanswered_sessions"] == 1


def test_equal_timestamps_customer_before_agent(tmp_path):
    m = metrics(tmp_path, chat("S1,2026-10-03 10:00:00,agent,A1,,",
                               "S1,2026-10-03 10:00:00,customer,,C1,"))["A1"]
    # rows in any order; at equal ts the customer comes first, the reply takes 0 s
    assert (m["first_response_s"], m["reply_3min_rate"]) == (0.0, 1.0)


def test_exactly_the_threshold_counts_as_within(tmp_path):
    m = metrics(tmp_path, chat("S1,2026-10-03 10:00:00,customer,,C1,",
                               "S1,2026-10-03 10:02:00,agent,A1,,",  # 120.0 s: within 2 min
                               "S1,2026-10-03 10:10:00,customer,,C1,",
                               "S1,2026-10-03 10:13:00,agent,A1,,",  # 180.0 s: within 3 min
                               "S2,2026-10-03 11:00:00,customer,,C2,",
                               "S2,2026-10-03 11:02:00.001,agent,A1,,"))["A1"]  # 120.001 s
    assert (m["first_reply_2min_rate_num"], m["first_reply_2min_rate_den"]) == (1, 2)
    assert (m["reply_3min_rate_num"], m["reply_3min_rate_den"]) == (3, 3)


def test_median_and_p90_are_exact(tmp_path):
    # first responses 10, 20, 30, 100 s: median (20+30)/2 = 25;
    # p90 at position 0.9*(4-1) = 2.7 -> 30 + 0.7*(100-30) = 79
    lines = []
    for i, secs in enumerate((10, 20, 30, 100)):
        lines += [f"S{i},2026-10-03 10:00:00,customer,,C{i},",
                  f"S{i},2026-10-03 10:{secs // 60:02d}:{secs % 60:02d},agent,A1,,"]
    m = metrics(tmp_path, chat(*lines))["A1"]
    assert m["first_response_median_s"] == 25.0
    assert m["first_response_p90_s"] == pytest.approx(79.0, abs=1e-9)
    assert m["first_response_s"] == 40.0  # (10+20+30+100)/4


def test_transfer_opens_the_first_round_at_the_human_start(tmp_path):
    # bot stage until the transfer at 10:01:00; the agent answers 10:01:30 -> 30 s
    m = metrics(tmp_path, chat("S1,2026-10-03 10:00:00,customer,,C1,",
                               "S1,2026-10-03 10:00:02,bot,,,",
                               "S1,2026-10-03 10:01:00,system,,,transfer",
                               "S1,2026-10-03 10:01:30,agent,A1,,"))["A1"]
    assert m["first_response_s"] == 30.0


def test_service_window_and_response_cap(tmp_path):
    files = chat("S1,2026-10-03 07:30:00,customer,,C1,", "S1,2026-10-03 07:31:00,agent,A1,,",
                 "S2,2026-10-03 09:00:00,customer,,C2,", "S2,2026-10-03 09:15:00,agent,A1,,")
    m = metrics(tmp_path, files, profile="taobao")["A1"]
    # S1 starts 07:30, outside 08:00-24:00: out of response metrics, still received
    assert m["sessions"] == 2
    assert m["reply_3min_rate_den"] == 1 and m["first_reply_2min_rate_den"] == 1
    # S2: 900 s, capped at 600 s in response_s (Taobao), not capped in first response
    assert m["response_s"] == 600.0 and m["first_response_s"] == 900.0
    opened = metrics(tmp_path / "o", files, profile="taobao",
                     sets={"service_window": "none", "response_cap_s": "none"})["A1"]
    # (60 + 900) / 2 = 480
    assert opened["response_s"] == 480.0 and opened["reply_3min_rate_den"] == 2


def test_day_cut_in_the_dataset_time_zone(tmp_path):
    # 2026-10-31 23:59:59 Shanghai is October; 2026-10-31T16:30:00Z is 2026-11-01 00:30
    # in Shanghai, so November
    files = chat("S1,2026-10-31 23:59:59,customer,,C1,", "S1,2026-11-01 00:00:20,agent,A1,,",
                 "S2,2026-10-31T16:30:00Z,customer,,C2,", "S2,2026-10-31T16:31:00Z,agent,A1,,")
    days = metrics(tmp_path, files, grain="day",
                   period=(dt.date(2026, 10, 31), dt.date(2026, 11, 1)))
    assert days[("A1", "2026-10-31")]["sessions"] == 1
    assert days[("A1", "2026-11-01")]["sessions"] == 1
    # S1's first response crosses midnight: 21 s, counted on the session's day
    assert days[("A1", "2026-10-31")]["first_response_s"] == 21.0


def test_no_basis_is_null_with_a_reason_never_zero(tmp_path):
    m = metrics(tmp_path, chat("S1,2026-10-03 10:00:00,customer,,C1,",
                               "S1,2026-10-03 10:00:10,agent,A1,,"))
    a2 = m["A2"]  # no sessions at all
    assert a2["sessions"] == 0
    assert a2["reply_rate"] is None and a2["reply_rate_den"] == 0
    assert "customers is 0" in a2["reasons"]["reply_rate"]
    assert m["A1"]["satisfaction"] is None
    assert m["A1"]["reasons"]["satisfaction"] == "no ratings table"


def test_satisfaction_from_ratings(tmp_path):
    lines, ratings = [], "session_id,score\n"
    for i, score in enumerate((5, 4, 3, 1)):
        lines += [f"S{i},2026-10-03 10:00:00,customer,,C{i},",
                  f"S{i},2026-10-03 10:00:10,agent,A1,,"]
        ratings += f"S{i},{score}\n"
    m = metrics(tmp_path, {**chat(*lines), "ratings.csv": ratings})["A1"]
    # (5 and 4) = 2 of 4 rated -> 0.5; (1) = 1 of 4 -> 0.25
    assert (m["satisfaction"], m["dissatisfaction"], m["rated_sessions"]) == (0.5, 0.25, 4)


def test_online_hours_merge_overlaps_and_clip_to_days(tmp_path):
    online = ("agent_id,start_ts,end_ts\n"
              "A1,2026-10-03 09:00,2026-10-03 12:00\n"
              "A1,2026-10-03 11:00,2026-10-03 13:00\n"  # overlaps: 09-13 = 4 h, not 5
              "A1,2026-10-03 23:00,2026-10-04 01:00\n")  # 1 h on each day
    days = metrics(tmp_path, {"online.csv": online}, grain="day",
                   period=(dt.date(2026, 10, 3), dt.date(2026, 10, 4)))
    assert days[("A1", "2026-10-03")]["online_hours"] == 5.0  # 4 + 1
    assert days[("A1", "2026-10-04")]["online_hours"] == 1.0


def test_online_hours_of_intervals_across_the_period_bounds(tmp_path):
    online = ("agent_id,start_ts,end_ts\n"
              "A1,2026-10-02 20:00,2026-10-02 23:00\n"  # before the day, merged with the next
              "A1,2026-10-02 22:00,2026-10-03 02:00\n"  # 00:00-02:00 of 10-03: 2 h
              "A1,2026-10-03 23:30,2026-10-04 03:00\n"  # 23:30-24:00: 0.5 h
              "A1,2026-10-01 08:00,2026-10-01 18:00\n"  # other days: nothing
              "A1,2026-10-05 10:00,2026-10-05 12:00\n")
    day = metrics(tmp_path, {"online.csv": online}, period=(dt.date(2026, 10, 3),) * 2)
    assert day["A1"]["online_hours"] == 2.5  # 2 + 0.5


def test_team_grouping(tmp_path):
    files = chat("S1,2026-10-03 10:00:00,customer,,C1,", "S1,2026-10-03 10:01:00,agent,A1,,",
                 "S2,2026-10-03 10:00:00,customer,,C1,", "S2,2026-10-03 10:03:00,agent,A2,,")
    t1 = metrics(tmp_path, files, by="team")["T1"]
    # two sessions, one customer (C1 twice); first responses 60 and 180 -> mean 120
    assert (t1["sessions"], t1["customers"], t1["first_response_s"]) == (2, 1, 120.0)
