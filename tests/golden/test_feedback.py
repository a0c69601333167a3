"""Golden feedback lists: bad and neutral product reviews and low service ratings, each row
worked by hand (the shop: tests/helpers/feedback.py), held against the same agents as the
catalog's figures."""

from __future__ import annotations

import datetime as dt

from cskpi.metrics.feedback import FeedbackQuery
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from tests.helpers.common import write_folder
from tests.helpers.feedback import FEEDBACK_FILES as FILES
from tests.helpers.golden import AGENTS, OCT, metrics


def feedback(tmp_path, **who):
    folder = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **FILES})
    return Shop(data=folder).feedback(FeedbackQuery(*OCT, resolve("generic"), **who))


def rows(items, *keys):
    return [tuple(r[k] for k in keys) for r in items]


def test_the_shops_lists(tmp_path):
    f = feedback(tmp_path)
    assert f.has_reviews and f.has_ratings
    # oldest first: O3 (Oct 4 08:10, its payment), O1 (Oct 4 09:00), O2 (Oct 4 12:00)
    assert rows(f.reviews, "order_id", "rating", "agent_id", "credit", "text") == [
        ("O3", "bad", None, "none", "没人理"),
        ("O1", "bad", "A1", "order", "太慢了"),
        ("O2", "neutral", "B1", "explicit", '=HYPERLINK("http://x")')]
    assert [r["time"] for r in f.reviews] == [dt.datetime(2026, 10, 4, 8, 10),
                                              dt.datetime(2026, 10, 4, 9, 0),
                                              dt.datetime(2026, 10, 4, 12, 0)]
    # by session start: S1 (Oct 3 10:10, rated 10:50), S2 (10:40, rated at no given time)
    assert rows(f.ratings, "session_id", "customer_id", "score", "agent_id", "started",
                "rated") == [
        ("S1", "C1", 1, "A1", dt.datetime(2026, 10, 3, 10, 10), dt.datetime(2026, 10, 3, 10, 50)),
        ("S2", "C2", 3, "A2", dt.datetime(2026, 10, 3, 10, 40), None)]


def test_a_team_and_an_agent_see_only_theirs(tmp_path):
    team = feedback(tmp_path / "t", team="T1")  # A1 and A2
    assert rows(team.reviews, "order_id", "agent_id") == [("O1", "A1")]
    assert rows(team.ratings, "session_id") == [("S1",), ("S2",)]
    b1 = feedback(tmp_path / "b", agent="B1")
    assert rows(b1.reviews, "order_id", "rating") == [("O2", "neutral")]
    assert b1.ratings == []


def test_the_lists_are_the_rows_the_catalog_counts(tmp_path):
    f = feedback(tmp_path / "f")
    shop = metrics(tmp_path / "m", FILES, by="shop")["shop"]
    agents = metrics(tmp_path / "a", FILES)
    # shop: bad reviews O3 and O1 = 2, neutral O2 = 1; dissatisfied ratings S1 = 1
    assert (shop["bad_reviews"], shop["neutral_reviews"]) == (2, 1)
    assert sum(r["rating"] == "bad" for r in f.reviews) == shop["bad_reviews"]
    assert sum(r["rating"] == "neutral" for r in f.reviews) == shop["neutral_reviews"]
    assert sum(r["score"] <= 2 for r in f.ratings) == shop["dissatisfaction_num"] == 1
    for agent in ("A1", "A2", "B1"):
        mine = [r for r in f.reviews if r["agent_id"] == agent]
        assert sum(r["rating"] == "bad" for r in mine) == agents[agent]["bad_reviews"], agent
        assert sum(r["rating"] == "neutral" for r in mine) == agents[agent]["neutral_reviews"]


def test_without_reviews_or_ratings_the_lists_say_so(tmp_path):
    folder = write_folder(tmp_path / "d", {"agents.csv": AGENTS,
                                           "messages.csv": FILES["messages.csv"]})
    f = Shop(data=folder).feedback(FeedbackQuery(*OCT, resolve("generic")))
    assert (f.has_reviews, f.has_ratings, f.reviews, f.ratings) == (False, False, [], [])
