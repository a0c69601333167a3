"""Latency of the web app under concurrent clients (loopback only, bounded in time).

    python bench/web_bench.py WORKSPACE [--seconds 30] [--clients 20] [--period 2026-10]
    python bench/web_bench.py --demo-agents 12 --demo-days 30   # on a fresh demo shop
    python bench/web_bench.py --demo-agents 100 --demo-messages 10000000   # the issue's size
    python bench/web_bench.py --demo-agents 30 --demo-messages 2000000 --import-during 1000000

Starts the app on 127.0.0.1 (a free port) in a subprocess with a throw-away SQLite app
database, logs every client in as the admin, warms each route once, then runs the
clients for the given seconds against the overview, leaderboard, scorecard, heatmap,
reviews, grades, grading grid, drill-down, lost inquiries, funnel, what-if, QA queue,
periods, appeals and schemes pages and /api/v1/metrics (each client asks them in turn;
the per-agent pages go through every agent).  Prints p50/p95 latency per route and requests per
second, then stops the server.

``--import-during MESSAGES`` (a demo shop only) serves a copy of the workspace and, after
the first run, runs the clients again while ``cskpi import`` adds the next month of the
same shop (about MESSAGES messages) to it in another process, until the import ends
(issue #20: p95 < 1 s while an import runs), then again for ``--seconds`` after it
ended, while the figures of the new data are computed (pages meanwhile show the old
ones, with a note: their count is printed).

Before the clients run, every path is asked once (a manager's first look at each page
computes its figures: an agent's drill-down at 10M messages half a second); the warm-up
lines give those first answers' times, the tables the pages asked again.

``--upload-during MESSAGES`` does the same through the app's Data page, as a manager
would: the files are uploaded and the upload's check page opened (the clients run until
it answers), then Import is pressed (the clients run again until the import ends); each
phase's latencies are printed.  Both options may be given: the CLI import first, then the
upload of a month after it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

HOST = "127.0.0.1"  # loopback only
PASSWORD = "bench-admin-password"
MAX_REQUESTS_PER_CLIENT = 100_000  # a hard bound besides the time limit
SERVER = """
import sys, uvicorn
from cskpi.web.app import create_app
from cskpi.web.settings import make_settings
from cskpi.web.services.warmup import start_warm_up, tune_gc
ws, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app(make_settings(ws, database_url=url, admin_password={password!r}))
start_warm_up(app.state.cskpi.data)  # as `cskpi serve` does
tune_gc()
uvicorn.run(app, host={host!r}, port=port, log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]  # type: ignore[no-any-return]


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start in time")


def logged_in(base: str):  # type: ignore[no-untyped-def]
    import httpx

    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    r = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                    "csrf_token": token.group(1)})
    if r.status_code != 303:
        raise SystemExit(f"login failed: {r.status_code}")
    return client


def demo_workspace(agents: int, days: int, messages: int | None) -> Path:
    """A demo shop of that size, imported once and kept under bench/out for later runs."""
    from cskpi.data.demo import generate
    from cskpi.shop import Shop

    folder = ROOT / "bench" / "out" / f"web-{agents}a-{days}d-{messages or 'auto'}m"
    workspace = folder / "shop.duckdb"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        generate(folder / "data", agents=agents, days=days, messages=messages)
        Shop(workspace).import_folder(folder / "data")
        (folder / ".complete").write_text("ok")
        print(f"demo shop generated and imported in {time.perf_counter() - start:.1f} s")
    return workspace


def pick_routes(workspace: Path, period: str | None
                ) -> tuple[str, list[tuple[str, list[str]]]]:
    """(period, [(route name, paths)]): scorecards of every scored agent, in turn."""
    from cskpi.shop import Shop

    period = period or Shop(workspace).latest_month()[0].strftime("%Y-%m")
    agents = [a["agent_id"] for a in Shop(workspace).roster()
              if a["role"] in ("presale", "aftersale")]
    return period, [("overview", [f"/overview?period={period}"]),
                    ("leaderboard", [f"/leaderboard?period={period}"]),
                    ("scorecard", [f"/agents/{a}/scorecard?period={period}" for a in agents]),
                    ("api_metrics", [f"/api/v1/metrics?period={period}&by=agent"]),
                    ("heatmap", [f"/heatmap?period={period}"]),
                    ("reviews", [f"/reviews?period={period}"]),
                    # the other pages of a manager's month (issue #20's new ones included)
                    ("grades", [f"/grades?period={period}"]),
                    ("grid", [f"/grades/grid?period={period}"]),
                    ("drilldown", [f"/agents/{a}/metrics/conversion_rate?period={period}"
                                   for a in agents]),
                    ("lost", [f"/agents/{a}/lost?period={period}" for a in agents]),
                    ("funnel", [f"/funnel?period={period}"]),
                    ("whatif", [f"/whatif?period={period}"]),
                    ("qa", [f"/qa?period={period}"]),
                    ("periods", ["/periods"]), ("appeals", ["/appeals"]),
                    ("schemes", ["/schemes"])]


NUMBERED = ("session_id", "order_id", "complaint_id", "refund_id")  # numbered by the demo


def next_month(agents: int, days: int, messages: int, month: int = 11) -> Path:
    """A month after the demo shop's (November 2026 by default), of the same agents (cached
    under bench/out)."""
    import datetime as dt

    import duckdb

    from cskpi.data.demo import generate

    later = "next" if month == 11 else f"2026-{month:02d}"
    folder = ROOT / "bench" / "out" / f"web-{agents}a-{days}d-{later}-{messages}m"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, agents=agents, days=days, messages=messages,
                 start=dt.date(2026, month, 1))
        # the generator numbers sessions, orders... from 1 again: the next month's get ids
        # of their own, else they would contradict the stored ones
        con = duckdb.connect()
        for path in folder.glob("*.csv"):
            header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
            ids = [c for c in NUMBERED if c in header]
            if ids:
                prefix = "N" if month == 11 else f"M{month}"
                renamed = ", ".join(f"'{prefix}' || {c} AS {c}" for c in ids)
                con.execute(f"COPY (SELECT * REPLACE ({renamed}) FROM read_csv('{path}', "
                            f"all_varchar = true)) TO '{path}.new' (HEADER)")
                Path(f"{path}.new").replace(path)
        con.close()
        (folder / ".complete").write_text("ok")
    return folder


def csrf_token(client) -> str:  # type: ignore[no-untyped-def]
    """The login's CSRF token, from a page's form."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert token, "no CSRF token on the account page"
    return token.group(1)


class Background:
    """``until`` for :func:`run_clients`: starts ``work`` in a thread at its first call and
    says whether it has ended."""

    def __init__(self, work: Callable[[], None]) -> None:
        self.work = work
        self.thread: threading.Thread | None = None
        self.started = self.ended = 0.0

    def __call__(self) -> bool:
        if self.thread is None:
            self.started = time.perf_counter()
            self.thread = threading.Thread(target=self._run)
            self.thread.start()
        return not self.thread.is_alive()

    def _run(self) -> None:
        try:
            self.work()
        finally:
            self.ended = time.perf_counter()


def upload_phases(base: str, folder: Path, routes: list[tuple[str, list[str]]],
                  clients: int) -> None:
    """Upload ``folder`` on the Data page and open its check page, then import it, the
    clients running during each phase; print each phase's latencies."""
    import httpx

    uploader = logged_in(base)
    uploader.timeout = httpx.Timeout(1800)
    page: list[str] = []

    def upload_and_check() -> None:
        files = [("files", (p.name, p.open("rb"), "text/csv"))
                 for p in sorted(folder.iterdir()) if p.suffix == ".csv"]
        try:
            staged = uploader.post("/data/upload", data={"csrf_token": csrf_token(uploader)},
                                   files=files)
        finally:
            for _, (_, f, _) in files:
                f.close()
        if staged.status_code != 303:
            raise SystemExit(f"upload refused: {staged.status_code} {staged.text[:300]}")
        page.append(staged.headers["location"])
        checked = uploader.get(page[0])
        if checked.status_code != 200 or f'action="{page[0]}/import"' not in checked.text:
            raise SystemExit(f"the check page offers no import: {checked.status_code}")

    outcome: list[httpx.Response] = []

    def import_it() -> None:
        outcome.append(uploader.post(f"{page[0]}/import",
                                     data={"csrf_token": csrf_token(uploader)}))

    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    print(f"while uploading {folder.name} ({size:.0f} MB) on the Data page and opening its "
          "check page:")
    step = Background(upload_and_check)
    during = run_clients(base, routes, clients, 1800, until=step)
    print(f"upload and check took {step.ended - step.started:.1f} s")
    print_timings(routes, *during)
    print("while importing it from the Data page:")
    step = Background(import_it)
    during = run_clients(base, routes, clients, 1800, until=step)
    done = outcome[0] if outcome else None
    print(f"import answered {done.status_code if done else '?'} "
          f"{done.headers.get('location', '') if done else ''} after "
          f"{step.ended - step.started:.1f} s")
    print_timings(routes, *during)
    uploader.close()


def run_clients(base: str, routes: list[tuple[str, list[str]]], clients: int,
                seconds: float, until: Callable[[], bool] | None = None
                ) -> tuple[dict[str, list[float]], int, float, int]:
    """Each client requests the routes in turn for ``seconds`` (or, with ``until``, until
    it says so, within the same bound); ``until`` is called once the clients are logged
    in, to start what they run beside.  Returns the timings by route, the non-200
    answers, the time taken and the pages that showed figures of the data before an
    import (their note, while the new ones were computed)."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors = stale = 0
    lock = threading.Lock()
    sessions = [logged_in(base) for _ in range(clients)]
    if until is not None:
        until()
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        nonlocal errors, stale
        client = sessions[index]
        local: dict[str, list[float]] = defaultdict(list)
        bad = old = 0
        for n in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline or (until is not None and until()):
                break
            name, paths = routes[(n + index) % len(routes)]
            path = paths[(n // len(routes) + index) % len(paths)]
            start = time.perf_counter()
            response = client.get(path)
            local[name].append(time.perf_counter() - start)
            bad += response.status_code != 200
            old += 'id="stale-note"' in response.text
        with lock:
            for k, v in local.items():
                timings[k].extend(v)
            errors += bad
            stale += old

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for c in sessions:
        c.close()
    return timings, errors, elapsed, stale


def print_timings(routes: list[tuple[str, list[str]]], timings: dict[str, list[float]],
                  errors: int, elapsed: float, stale: int = 0) -> None:
    total = sum(len(v) for v in timings.values())
    print(f"{'route':<12} {'requests':>9} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} "
          f"{'req/s':>8}")
    for name, _ in routes:
        values = timings.get(name, [])
        if values:
            print(f"{name:<12} {len(values):>9} {1000 * pct(values, 0.5):>9.1f} "
                  f"{1000 * pct(values, 0.95):>9.1f} {1000 * max(values):>9.1f} "
                  f"{len(values) / elapsed:>8.1f}")
    every = [v for values in timings.values() for v in values]
    if every:
        print(f"{'all':<12} {total:>9} {1000 * statistics.median(every):>9.1f} "
              f"{1000 * pct(every, 0.95):>9.1f} {1000 * max(every):>9.1f} "
              f"{total / elapsed:>8.1f}")
    print(f"non-200 responses: {errors}; pages with figures from before an import: {stale}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workspace", nargs="?", help="a cskpi workspace (.duckdb)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--period", help="YYYY-MM (default: the latest month)")
    parser.add_argument("--demo-agents", type=int, default=12)
    parser.add_argument("--demo-days", type=int, default=30)
    parser.add_argument("--demo-messages", type=int, help="messages of the demo month "
                        "(default: what the generator gives for the agents and days)")
    parser.add_argument("--import-during", type=int, metavar="MESSAGES",
                        help="then again while the next month is imported (demo shop only)")
    parser.add_argument("--upload-during", type=int, metavar="MESSAGES",
                        help="then again while a later month is uploaded and imported on "
                             "the Data page (demo shop only)")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 100:
        raise SystemExit("--seconds must be in (0, 600] and --clients in (0, 100]")
    tmp = Path(tempfile.mkdtemp(prefix="cskpi-web-bench-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        workspace = Path(args.workspace) if args.workspace else demo_workspace(
            args.demo_agents, args.demo_days, args.demo_messages)
        period, routes = pick_routes(workspace, args.period)
        if args.import_during or args.upload_during:
            if args.workspace:
                raise SystemExit("--import-during and --upload-during need a demo shop "
                                 "(its next months)")
            shutil.copy(workspace, tmp / "shop.duckdb")  # the demo shop stays as it is
            workspace = tmp / "shop.duckdb"
        if args.import_during:
            incoming = next_month(args.demo_agents, args.demo_days, args.import_during)
        if args.upload_during:
            month = 12 if args.import_during else 11
            uploaded = next_month(args.demo_agents, args.demo_days, args.upload_during, month)
        port = free_port()
        base = f"http://{HOST}:{port}"
        code = SERVER.format(password=PASSWORD, host=HOST)
        # a month of a big shop is bigger than the Data page takes by default (200 MB)
        proc = subprocess.Popen([sys.executable, "-c", code, str(workspace),
                                 f"sqlite:///{tmp / 'app.sqlite'}", str(port)],
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src"),
                                     "CSKPI_UPLOAD_MAX_MB": "4096"})
        wait_ready(base, proc)
        warm = logged_in(base)
        print(f"workspace {workspace}, period {period}, {args.clients} clients, "
              f"{args.seconds:g} s, server {base}")
        # every path once, as a manager's first look at each page computes it: the figures
        # below are of pages asked again (the cold cost is this line's)
        for name, paths in routes:
            taken, statuses = [], set()
            for path in paths:
                start = time.perf_counter()
                statuses.add(warm.get(path).status_code)
                taken.append(1000 * (time.perf_counter() - start))
            print(f"  warm-up {name:<12} {'/'.join(map(str, sorted(statuses)))}  "
                  f"first {taken[0]:8.1f} ms" + (
                      f", {len(taken)} paths: median {statistics.median(taken):.1f} ms, "
                      f"max {max(taken):.1f} ms" if len(taken) > 1 else ""))
        warm.close()
        print_timings(routes, *run_clients(base, routes, args.clients, args.seconds))
        if args.import_during:
            importer: list[subprocess.Popen[bytes]] = []
            start = 0.0

            def imported() -> bool:  # started at the first call, once clients logged in
                nonlocal start
                if not importer:
                    start = time.perf_counter()
                    importer.append(subprocess.Popen(
                        [sys.executable, "-m", "cskpi.cli", "import", str(incoming),
                         "--workspace", str(workspace)], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        env={**os.environ, "PYTHONPATH": str(ROOT / "src")}))
                return importer[0].poll() is not None

            print(f"while importing {incoming.name} into the served workspace:")
            during = run_clients(base, routes, args.clients, 600, until=imported)
            _, err = importer[0].communicate()
            print(f"import ended with {importer[0].returncode} after "
                  f"{time.perf_counter() - start:.1f} s {err.decode()[-500:].strip()}")
            print_timings(routes, *during)
            # the figures of the new data are computed after the import commits: pages
            # asked meanwhile show the old ones (with a note) rather than wait
            print(f"after the import, {args.seconds:g} s:")
            print_timings(routes, *run_clients(base, routes, args.clients, args.seconds))
        if args.upload_during:
            upload_phases(base, uploaded, routes, args.clients)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
