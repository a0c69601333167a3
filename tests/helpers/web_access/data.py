"""Access rules of the Data page (merged into the matrix of tests/web/test_access.py).

A token that does not exist gives 404 to managers (after the role check) and 403 to
agents (before it).  The POSTs are tested for every role in test_data_page.py: the
upload is a streamed multipart body, and the matrix's form POSTs run after its
``/logout`` (merged parts come last), so import and discard are checked there too.
"""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404
GET: dict[str, tuple[int, int, int, int]] = {
    "/data": (OK, OK, FORBIDDEN, REDIRECT),
    "/data/uploads/{token}": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {}
COVERED_ELSEWHERE = {("POST", "/data/upload"), ("POST", "/data/uploads/{token}/import"),
                     ("POST", "/data/uploads/{token}/discard")}
