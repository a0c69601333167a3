"""Figures of the data as it was, shown while those of new data are computed.

When the workspace changes (an import commits, by the app or by ``cskpi import``), every
cached figure is out of date.  Computing them again takes seconds on a big shop (the
metric catalog, every scheme's scores), and before this the first pages asked after an
import each waited for all of it, one after another (15-17 s at 10M messages).

Instead, the gateway keeps the old figures aside (:class:`OldFigures`) and a background
thread computes each of them again, those a page is waiting for first.  A page that asks
for a figure not yet computed again waits for it up to ``stale_after_s`` (the app's
setting); after that it is answered with the old figure, and says so: its
:class:`StalePage` records when the data changed, and the page shows a note ("new data
arrived at …; these figures are from before it and are being updated").  Once a page has
shown an old figure, the rest of that page is drawn from the old figures too, so that one
page never mixes two states of the data.

Only pages get old figures: the API, downloads and every request that writes wait for
the new ones (they have no :class:`StalePage`).  A figure computed from old figures is
never kept as new.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ...store.workspace import BACKGROUND_THREADS

log = logging.getLogger("cskpi.web")

REFRESH_BUDGET_S = 300.0
"""How long the background refresh may run after a change: figures not computed again
by then are dropped and computed when next asked (a page then waits for them)."""

MISSING: Any = object()


@dataclass
class StalePage:
    """One page request's use of old figures (set by the app's middleware for pages)."""

    since: float | None = None  # when the data the page shows was replaced (epoch s)
    # until when the page waits for new figures (monotonic s; set by its first wait): a
    # page of several figures waits stale_after_s in all, not that long for each
    deadline: float | None = None

    def left(self, wait_s: float) -> float:
        """How long the page may still wait for new figures."""
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + wait_s
        return max(0.0, self.deadline - now)

    @property
    def served(self) -> bool:
        return self.since is not None


STALE_PAGE: ContextVar[StalePage | None] = ContextVar("cskpi_stale_page", default=None)
"""The current request's :class:`StalePage`; None (the default): the request never gets
old figures (the API, a download, a request that writes, anything outside a request)."""

Key = tuple[Hashable, ...]


class OldFigures:
    """The cached figures of the data before a change and the thread that computes them
    again, through ``recompute(key, compute)`` (the gateway's cache, which keeps the new
    value and calls :meth:`refreshed`)."""

    def __init__(self, recompute: Callable[[Key, Callable[[], Any]], Any],
                 budget_s: float = REFRESH_BUDGET_S) -> None:
        self._recompute = recompute
        self.budget_s = budget_s
        self._cond = threading.Condition()
        # replaced, never changed in place: a reader holding one sees one state
        self.values: dict[Key, Any] | None = None
        self.since = 0.0
        self._computes: dict[Key, Callable[[], Any]] = {}
        self._queue: deque[Key] = deque()
        self._thread: threading.Thread | None = None

    def keep(self, values: dict[Key, Any], computes: dict[Key, Callable[[], Any]]) -> None:
        """Set these figures aside (over older ones not yet computed again) and start
        computing them again."""
        if not values:
            return
        with self._cond:
            if self.values is None:
                self.since = time.time()
            self.values = {**(self.values or {}), **values}
            self._computes.update(computes)
            queued = set(self._queue)
            self._queue.extend(k for k in values if k not in queued)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cskpi-refresh",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def drop(self) -> None:
        """Forget the old figures (the refresh stops after the figure it computes)."""
        with self._cond:
            self.values, self._computes = None, {}
            self._queue.clear()
            self._cond.notify_all()

    def want(self, key: Key) -> None:
        """Compute ``key`` next (a page waits for it)."""
        with self._cond:
            try:
                self._queue.remove(key)
            except ValueError:
                return  # being computed, or done
            self._queue.appendleft(key)

    def wait(self, ready: Callable[[], bool], seen: dict[Key, Any] | None,
             timeout: float) -> None:
        """Wait until ``ready()``, the old figures ``seen`` are replaced or ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: ready() or self.values is not seen, timeout)

    def refreshed(self) -> None:
        """A new figure was kept: wake the pages waiting for one."""
        with self._cond:
            self._cond.notify_all()

    def _next(self, started: float) -> tuple[Key, Callable[[], Any]] | None:
        with self._cond:
            while self._queue and time.monotonic() - started < self.budget_s:
                key = self._queue.popleft()
                compute = self._computes.get(key)
                if compute is not None:
                    return key, compute
            # done (or out of time): what was not computed again is computed when asked
            self.values, self._computes, self._thread, self.since = None, {}, None, 0.0
            self._queue.clear()
            self._cond.notify_all()
            return None

    def _run(self) -> None:
        # DuckDB computes these on one thread: the pages served meanwhile keep a core
        BACKGROUND_THREADS.set(1)
        started = time.monotonic()
        while (job := self._next(started)) is not None:
            key, compute = job
            try:
                self._recompute(key, compute)
            except Exception:  # noqa: BLE001 - the page that asks computes it, and fails
                log.warning("refresh of %r failed", key[:2], exc_info=True)
                self._forget(key)

    def _forget(self, key: Key) -> None:
        """No old figure for ``key`` any more: a page asking computes it (and waits)."""
        with self._cond:
            if self.values is not None and key in self.values:
                self.values = {k: v for k, v in self.values.items() if k != key}
                self._cond.notify_all()
