"""Who may open and save the grading grid: managers and admins; agents never.  The post
grades A005's quality A (a new entered grade, a correction even in the month the main
matrix locks), so it is stored."""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN = 200, 303, 403

GET: dict[str, tuple[int, int, int, int]] = {
    "/grades/grid": (OK, OK, FORBIDDEN, REDIRECT),
    "/grades/grid?period=2026-10&team=aftersale-1": (OK, OK, FORBIDDEN, REDIRECT),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/grades/grid": ({"period": "2026-10", "g|A005|quality": "A"},
                     (REDIRECT, REDIRECT, FORBIDDEN)),
}
