"""After new data arrives, pages show the figures as they were (saying so) while the new
ones are computed in the background; the API, downloads and writes wait for the new
ones, a page never mixes the two, and nothing drawn from old figures is kept as new."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cskpi.web.services.gateway import DataGateway
from cskpi.web.services.stale import STALE_PAGE, StalePage
from cskpi.web.settings import DEFAULT_SCHEMES
from tests.helpers.web import PERIOD, login

WAIT_S = 0.2  # how long a page waits for a new figure in these tests
SLOW = 30.0  # a bound on every wait below: a test that breaks fails, it does not hang


class Recomputed:
    """``compute`` of a key: ``old`` the first time; then, once released, ``("new", old)``
    (computed again by the refresh after the data changed)."""

    def __init__(self, old: Any) -> None:
        self.old, self.release, self.calls = old, threading.Event(), 0

    def __call__(self) -> Any:
        self.calls += 1
        if self.calls == 1:
            return self.old
        assert self.release.wait(SLOW)
        return ("new", self.old)


@pytest.fixture
def data(workspace: Path) -> DataGateway:
    gateway = DataGateway(workspace, schemes_by_role=DEFAULT_SCHEMES)
    gateway.stale_after_s = WAIT_S
    return gateway


def as_page(fn: Callable[[], Any]) -> tuple[Any, StalePage]:
    """``fn()`` as a page request runs it (what the app's middleware sets)."""
    page = StalePage()
    token = STALE_PAGE.set(page)
    try:
        return fn(), page
    finally:
        STALE_PAGE.reset(token)


def changed(data: DataGateway, values: dict[tuple[str, ...], Any]
            ) -> dict[Any, Recomputed]:
    """Cache ``values`` (key -> old value), then the data changes: each key's new value
    (``("new", old)``) is computed by a :class:`Recomputed` that waits to be released."""
    computes = {key: Recomputed(old) for key, old in values.items()}
    for key, compute in computes.items():
        assert data.cached(key, compute) == compute.old
    data.forget()  # what an import through the app does
    return computes


def wait_until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SLOW
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_page_shows_the_old_figure_after_waiting_and_says_since_when(
        data: DataGateway) -> None:
    before = time.time()
    blocked = changed(data, {("t", "a"): 1})[("t", "a")]
    start = time.monotonic()
    value, page = as_page(lambda: data.cached(("t", "a"), blocked))
    waited = time.monotonic() - start
    assert value == 1 and page.served  # the old figure, and the page knows
    assert WAIT_S <= waited < SLOW  # it waited for the new one first
    assert page.since is not None and before - 5 <= page.since <= time.time()
    blocked.release.set()
    wait_until(lambda: as_page(lambda: data.cached(("t", "a"), blocked))
               == (("new", 1), StalePage()))


def test_a_new_figure_ready_within_the_wait_is_shown_and_the_page_is_not_marked(
        data: DataGateway) -> None:
    blocked = changed(data, {("t", "a"): 1})[("t", "a")]
    threading.Timer(WAIT_S / 4, blocked.release.set).start()
    data.stale_after_s = SLOW
    value, page = as_page(lambda: data.cached(("t", "a"), blocked))
    assert value == ("new", 1) and not page.served


def test_a_page_of_several_figures_waits_stale_after_s_in_all(data: DataGateway) -> None:
    """a is computed again after 60 % of the wait, b not at all: the page shows the new a
    and the old b after one wait in all (2.0 s), not a wait for each (1.2 + 2.0 s)."""
    computes = changed(data, {("t", "a"): 1, ("t", "b"): 2})
    a_again, b_again = computes[("t", "a")], computes[("t", "b")]
    data.stale_after_s = 2.0
    threading.Timer(1.2, a_again.release.set).start()
    start = time.monotonic()
    (a, b), page = as_page(lambda: (data.cached(("t", "a"), a_again),
                                    data.cached(("t", "b"), b_again)))
    took = time.monotonic() - start
    assert (a, b) == (("new", 1), 2) and page.served
    assert 2.0 <= took < 2.8, took
    b_again.release.set()


def test_a_page_waiting_for_a_long_computation_shows_the_old_figure_once_the_change_is_seen(
        data: DataGateway) -> None:
    """A page that asked before the change was seen, and waits for the lock another
    computation holds (seconds, after a big import), shows the old figure as soon as the
    change is seen, instead of waiting for that computation."""
    a_again = Recomputed(1)
    assert data.cached(("t", "a"), a_again) == 1
    entered, changed_now, release = threading.Event(), threading.Event(), threading.Event()

    def long() -> str:
        entered.set()  # the lock is held from here
        assert changed_now.wait(SLOW)
        data.cached(("t", "inner"), lambda: 0)  # the change is seen here, lock held
        assert release.wait(SLOW)
        return "long"

    holder = threading.Thread(target=lambda: data.cached(("t", "long"), long))
    holder.start()
    assert entered.wait(SLOW)  # the holder has the lock: the page below waits for it
    data.forget()  # the change, seen by the next call under the lock
    got: list[tuple[Any, StalePage]] = []
    asker = threading.Thread(target=lambda: got.append(
        as_page(lambda: data.cached(("t", "a"), a_again))))
    asker.start()
    time.sleep(0.2)  # the page waits for the lock
    changed_now.set()
    asker.join(SLOW / 3)
    alive = asker.is_alive()
    release.set()
    holder.join(SLOW)
    a_again.release.set()
    assert not alive, "the page waited for the whole computation"
    assert got[0][0] == 1 and got[0][1].served


def test_a_kept_figure_is_found_while_another_computation_holds_the_lock(
        data: DataGateway) -> None:
    """Nothing changed: a page's kept figure is found at once, without waiting for the lock
    another page's long computation holds (a drill-down at 10M messages: 2 s)."""
    assert data.cached(("t", "a"), lambda: 1) == 1
    entered, release = threading.Event(), threading.Event()

    def long() -> str:
        entered.set()
        assert release.wait(SLOW)
        return "long"

    holder = threading.Thread(target=lambda: data.cached(("t", "long"), long))
    holder.start()
    assert entered.wait(SLOW)
    try:
        got: list[Any] = []
        asker = threading.Thread(target=lambda: got.extend([
            data.cached(("t", "a"), lambda: 2),  # an API request
            as_page(lambda: data.cached(("t", "a"), lambda: 2))]))  # a page
        asker.start()
        asker.join(1.0)
        assert not asker.is_alive(), "the kept figure waited for the lock"
        assert got[0] == 1 and got[1][0] == 1
        assert not got[1][1].served  # the figure is current: no note
        # a figure not kept yet waits for the lock (one computation at a time)
        waiting = threading.Thread(target=lambda: data.cached(("t", "b"), lambda: 3))
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive()
    finally:
        release.set()
        holder.join(SLOW)
    waiting.join(SLOW)
    assert data.cached(("t", "b"), lambda: 4) == 3


def test_without_a_page_a_request_waits_for_the_new_figure(data: DataGateway) -> None:
    """The API, downloads and writes run without a StalePage: never an old figure."""
    blocked = changed(data, {("t", "a"): 1})[("t", "a")]
    got: list[Any] = []
    asker = threading.Thread(target=lambda: got.append(data.cached(("t", "a"), blocked)))
    asker.start()
    asker.join(WAIT_S * 3)
    assert asker.is_alive() and not got  # still waiting, past a page's wait
    blocked.release.set()
    asker.join(SLOW)
    assert got == [("new", 1)]


def test_one_page_shows_one_state_of_the_data(data: DataGateway) -> None:
    """Once a page showed an old figure, its other figures are the old ones too, even a
    figure already computed again."""
    computes = changed(data, {("t", "a"): 1, ("t", "b"): 2})
    a_again, b_again = computes[("t", "a")], computes[("t", "b")]
    b_again.release.set()  # b is computed again first … (a is still blocked)
    wait_until(lambda: data.cached(("t", "b"), b_again) == ("new", 2))

    def page() -> tuple[Any, Any]:
        return data.cached(("t", "a"), a_again), data.cached(("t", "b"), b_again)

    (a, b), shown = as_page(page)
    assert (a, b) == (1, 2) and shown.served  # … but this page showed the old a: old b
    (b_alone,), fresh = as_page(lambda: (data.cached(("t", "b"), b_again),))
    assert b_alone == ("new", 2) and not fresh.served  # a page that asks b alone: new
    a_again.release.set()


def test_what_a_page_draws_from_old_figures_is_not_kept_as_new(data: DataGateway) -> None:
    a_again = changed(data, {("t", "a"): 1})[("t", "a")]
    derived = ("t", "a+1")

    def plus_one() -> Any:
        a = data.cached(("t", "a"), a_again)
        return a + 1 if isinstance(a, int) else ("from", a)

    value, page = as_page(lambda: data.cached(derived, plus_one))
    assert value == 2 and page.served  # drawn from the old a …
    a_again.release.set()
    wait_until(lambda: data.cached(("t", "a"), a_again) == ("new", 1))
    assert data.cached(derived, plus_one) == ("from", ("new", 1))  # … and not kept


def test_a_figure_that_fails_to_compute_again_fails_the_page_instead_of_waiting(
        data: DataGateway) -> None:
    class Broken(Exception):
        pass

    calls: list[int] = []

    def broken() -> Any:  # 1 at first; after the data changed, an error
        calls.append(1)
        if len(calls) > 1:
            raise Broken
        return 1

    assert data.cached(("t", "x"), broken) == 1
    data.stale_after_s = SLOW  # a page would wait this long for a refresh that never comes
    data.forget()
    start = time.monotonic()
    with pytest.raises(Broken):  # the page computes it itself, and fails
        as_page(lambda: data.cached(("t", "x"), broken))
    assert time.monotonic() - start < SLOW / 2


def test_without_old_figures_a_page_computes_as_before(data: DataGateway) -> None:
    value, page = as_page(lambda: data.cached(("t", "first"), lambda: 7))
    assert value == 7 and not page.served
    assert data.cached(("t", "first"), lambda: 8) == 7  # kept


# --- through the app ----------------------------------------------------------------------


@pytest.fixture
def stale_app(workspace: Path, tmp_path: Path) -> Iterator[tuple[FastAPI, DataGateway]]:
    from cskpi.web.app import create_app
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user
    from cskpi.web.settings import make_settings
    from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PASSWORDS

    gateway = DataGateway(workspace, schemes_by_role=DEFAULT_SCHEMES)
    settings = make_settings(workspace, database_url=f"sqlite:///{tmp_path / 'app.sqlite'}",
                             environ={}, admin_password=ADMIN_PASSWORD,
                             stale_after_s=WAIT_S, **FAST_ARGON2)
    app = create_app(settings, data=gateway)
    with transaction(app.state.cskpi.sessions) as db:
        create_user(db, app.state.cskpi.passwords, username="mgr", password=PASSWORDS["mgr"],
                    role="manager", locale="zh_CN")
    yield app, gateway
    app.state.cskpi.engine.dispose()


def test_pages_show_the_note_in_the_readers_language_and_the_api_waits(
        stale_app: tuple[FastAPI, DataGateway], monkeypatch: pytest.MonkeyPatch) -> None:
    app, data = stale_app
    client = TestClient(app)
    assert login(client, "mgr").status_code == 303
    leaderboard = f"/leaderboard?period={PERIOD}"
    api = f"/api/v1/metrics?period={PERIOD}&by=agent"
    before = client.get(leaderboard)
    assert before.status_code == 200 and "stale-note" not in before.text
    assert client.get(api).status_code == 200
    release = threading.Event()
    real = data.shop.metrics

    def slow(*args: Any, **kwargs: Any) -> Any:  # the new month's figures take a while
        assert release.wait(SLOW)
        return real(*args, **kwargs)

    monkeypatch.setattr(data.shop, "metrics", slow)
    data.forget()  # an import through the app ended
    page = client.get(leaderboard)
    assert page.status_code == 200
    assert 'id="stale-note"' in page.text
    assert "导入了新数据" in page.text and "New data arrived" not in page.text
    # the leaderboard's rows are the old ones: the same agents' rows as before
    assert page.text.count("<tr") == before.text.count("<tr")
    got: list[int] = []
    asker = threading.Thread(target=lambda: got.append(client.get(api).status_code))
    asker.start()
    asker.join(WAIT_S * 3)
    assert asker.is_alive()  # the API waits for the new figures
    download = threading.Thread(target=lambda: got.append(
        client.get(leaderboard + "&format=xlsx").status_code))
    download.start()
    download.join(WAIT_S * 3)
    assert download.is_alive()  # and so does a download
    release.set()
    asker.join(SLOW)
    download.join(SLOW)
    assert got == [200, 200]
    wait_until(lambda: 'id="stale-note"' not in client.get(leaderboard).text)
