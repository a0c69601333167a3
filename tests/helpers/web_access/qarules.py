"""Who may open the QA rules pages (质检方案): managers, admins and QA reviewers list,
read, edit, check and choose; agents none of it.  A preset is read, not edited: its editor sends
managers to a new file copied from it.  The JSON check (``/qa/rules/validate``) takes a
JSON body and is tested by role in test_qa_rules_page.py."""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404

GET: dict[str, tuple[int, int, int, int]] = {
    "/qa/rules": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/rules?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/rules/new": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/rules/new?copy=douyin-basic": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/rules/taobao-basic": (OK, OK, FORBIDDEN, REDIRECT),
    "/qa/rules/no-such-rules": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
    "/qa/rules/taobao-basic/edit": (REDIRECT, REDIRECT, FORBIDDEN, REDIRECT),
    "/qa/rules/no-such-rules/edit": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
}
# a check saves nothing (200 with its issues); a choice of a preset is saved (303)
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/qa/rules": ({"name": "", "text": "qa: x\n", "action": "check"}, (OK, OK, FORBIDDEN)),
    "/qa/rules/choose": ({"period": "2026-10", "name": "douyin-basic"},
                         (REDIRECT, REDIRECT, FORBIDDEN)),
}
COVERED_ELSEWHERE = {("POST", "/qa/rules/validate")}
# QA reviewers (质检员) write and choose the rules as managers do
QA_REVIEWER_GET: dict[str, int] = {path: statuses[1] for path, statuses in GET.items()}
QA_REVIEWER_POST: dict[str, int] = {path: statuses[1] for path, (_, statuses) in POST.items()}
