"""Who may open the chat QA pages and change a review: managers and admins the review
queue, any session's review, decisions, rubric points and appeal answers; QA reviewers
(质检员) the same but appeal answers; an agent their own results and sessions, and appeals
of their own hits only.  A new app database has no
appeal, and the demo shop's check has no hit ``0000000000000000``: managers get 404 for
them (an agent 403 before anything is looked up); the demo's rules (taobao-basic, the
default) have no rubric item, so rubric points are refused (422)."""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND, REFUSED = 200, 303, 403, 404, 422

# in the web tests' demo shop, S00000001 is A001's first session and S00000007 A004's
GET: dict[str, tuple[int, int, int, int]] = {
    "/qa": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/mine": (FORBIDDEN, FORBIDDEN, OK, REDIRECT),
    "/qa/mine?period=2026-10": (FORBIDDEN, FORBIDDEN, OK, REDIRECT),
    "/qa/sessions/S00000001?period=2026-10": (OK, OK, OK, REDIRECT),
    "/qa/sessions/S00000007?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/sessions/S99999999": (NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT),
}
NO_HIT = "0000000000000000"
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/qa/decide": ({"period": "2026-10", "session_id": "S00000007", "hit_id": NO_HIT,
                    "decision": "dismiss"}, (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    "/qa/rubric": ({"period": "2026-10", "session_id": "S00000007", "item": "pro",
                    "points": "5"}, (REFUSED, REFUSED, FORBIDDEN)),
    "/qa/appeals/999/decide": ({"period": "2026-10", "status": "rejected", "answer": "no"},
                               (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    "/qa/appeal": ({"period": "2026-10", "hit_id": NO_HIT, "text": "not mine"},
                   (FORBIDDEN, FORBIDDEN, NOT_FOUND)),
}
# a QA reviewer (质检员) reviews as managers do, but decides no appeal and has no own results
QA_REVIEWER_GET: dict[str, int] = {
    "/qa": OK, "/qa?period=2026-10": OK, "/qa/sessions/S00000001?period=2026-10": OK,
    "/qa/sessions/S00000007?period=2026-10": OK, "/qa/sessions/S99999999": NOT_FOUND}
QA_REVIEWER_POST: dict[str, int] = {"/qa/decide": NOT_FOUND, "/qa/rubric": REFUSED}
