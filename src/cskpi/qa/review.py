"""The review queue of a period (质检抽检): which checked sessions a reviewer reads.

By the rules' ``sampling`` plan: every session with a fatal hit, every session with a
hit, and ``per_agent_week`` other sessions per agent and ISO week, drawn at random
(the same draw for the same seed and sessions, so a queue is stable while it is worked).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from .models import Sampling


def review_queue(sessions: Iterable[Mapping[str, Any]], sampling: Sampling
                 ) -> list[tuple[str, str]]:
    """(session_id, why) of the sessions to review, ``why`` one of ``fatal``, ``hit``,
    ``sample``; ``sessions``: rows of :data:`cskpi.qa.engine.SESSION_COLUMNS`."""
    out: list[tuple[str, str]] = []
    rest: dict[tuple[Any, int, int], list[str]] = defaultdict(list)
    for s in sorted(sessions, key=lambda s: str(s["session_id"])):
        sid = str(s["session_id"])
        if s["fatal"] and sampling.fatal:
            out.append((sid, "fatal"))
        elif s["hits"] and sampling.hits:
            out.append((sid, "hit"))
        else:
            start = s["human_local"]
            day = start.date() if isinstance(start, dt.datetime) else start
            year, week, _ = day.isocalendar()
            rest[(s["agent_id"], year, week)].append(sid)
    for key in sorted(rest, key=str):
        ranked = sorted(rest[key], key=lambda sid: _draw(sampling.seed, sid))
        out.extend((sid, "sample") for sid in ranked[:sampling.per_agent_week])
    return out


def _draw(seed: int, session_id: str) -> str:
    return hashlib.blake2b(f"{seed}|{session_id}".encode(), digest_size=8).hexdigest()
