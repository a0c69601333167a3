"""Latency of the web app under concurrent clients (loopback only, bounded in time).

    python bench/web_bench.py WORKSPACE [--seconds 30] [--clients 20] [--period 2026-10]
    python bench/web_bench.py --demo-agents 12 --demo-days 30   # on a fresh demo shop
    python bench/web_bench.py --demo-agents 100 --demo-messages 10000000   # the issue's size
    python bench/web_bench.py --demo-agents 30 --demo-messages 2000000 --import-during 1000000

Starts the app on 127.0.0.1 (a free port) in a subprocess with a throw-away SQLite app
database, logs every client in as the admin, warms each route once, then runs the
clients for the given seconds against the overview, leaderboard, scorecard, heatmap and
reviews pages and /api/v1/metrics.  Prints p50/p95 latency per route and requests per
second, then stops the server.

``--import-during MESSAGES`` (a demo shop only) serves a copy of the workspace and, after
the first run, runs the clients again while ``cskpi import`` adds the next month of the
same shop (about MESSAGES messages) to it in another process, until the import ends
(issue #20: p95 < 1 s while an import runs).
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
from cskpi.web.services.warmup import start_warm_up
ws, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app(make_settings(ws, database_url=url, admin_password={password!r}))
start_warm_up(app.state.cskpi.data)  # as `cskpi serve` does
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
                    ("reviews", [f"/reviews?period={period}"])]


NUMBERED = ("session_id", "order_id", "complaint_id", "refund_id")  # numbered by the demo


def next_month(agents: int, days: int, messages: int) -> Path:
    """The month after the demo shop's, of the same agents (cached under bench/out)."""
    import datetime as dt

    import duckdb

    from cskpi.data.demo import generate

    folder = ROOT / "bench" / "out" / f"web-{agents}a-{days}d-next-{messages}m"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, agents=agents, days=days, messages=messages,
                 start=dt.date(2026, 11, 1))
        # the generator numbers sessions, orders... from 1 again: the next month's get ids
        # of their own, else they would contradict the stored ones
        con = duckdb.connect()
        for path in folder.glob("*.csv"):
            header = path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
            ids = [c for c in NUMBERED if c in header]
            if ids:
                renamed = ", ".join(f"'N' || {c} AS {c}" for c in ids)
                con.execute(f"COPY (SELECT * REPLACE ({renamed}) FROM read_csv('{path}', "
                            f"all_varchar = true)) TO '{path}.new' (HEADER)")
                Path(f"{path}.new").replace(path)
        con.close()
        (folder / ".complete").write_text("ok")
    return folder


def run_clients(base: str, routes: list[tuple[str, list[str]]], clients: int,
                seconds: float, until: Callable[[], bool] | None = None
                ) -> tuple[dict[str, list[float]], int, float]:
    """Each client requests the routes in turn for ``seconds`` (or, with ``until``, until
    it says so, within the same bound); ``until`` is called once the clients are logged
    in, to start what they run beside."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors = 0
    lock = threading.Lock()
    sessions = [logged_in(base) for _ in range(clients)]
    if until is not None:
        until()
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        nonlocal errors
        client = sessions[index]
        local: dict[str, list[float]] = defaultdict(list)
        bad = 0
        for n in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline or (until is not None and until()):
                break
            name, paths = routes[(n + index) % len(routes)]
            path = paths[(n // len(routes) + index) % len(paths)]
            start = time.perf_counter()
            status = client.get(path).status_code
            local[name].append(time.perf_counter() - start)
            bad += status != 200
        with lock:
            for k, v in local.items():
                timings[k].extend(v)
            errors += bad

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for c in sessions:
        c.close()
    return timings, errors, elapsed


def print_timings(routes: list[tuple[str, list[str]]], timings: dict[str, list[float]],
                  errors: int, elapsed: float) -> None:
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
    print(f"non-200 responses: {errors}")


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
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 100:
        raise SystemExit("--seconds must be in (0, 600] and --clients in (0, 100]")
    tmp = Path(tempfile.mkdtemp(prefix="cskpi-web-bench-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        workspace = Path(args.workspace) if args.workspace else demo_workspace(
            args.demo_agents, args.demo_days, args.demo_messages)
        period, routes = pick_routes(workspace, args.period)
        if args.import_during:
            if args.workspace:
                raise SystemExit("--import-during needs a demo shop (its next month)")
            incoming = next_month(args.demo_agents, args.demo_days, args.import_during)
            shutil.copy(workspace, tmp / "shop.duckdb")  # the demo shop stays as it is
            workspace = tmp / "shop.duckdb"
        port = free_port()
        base = f"http://{HOST}:{port}"
        code = SERVER.format(password=PASSWORD, host=HOST)
        proc = subprocess.Popen([sys.executable, "-c", code, str(workspace),
                                 f"sqlite:///{tmp / 'app.sqlite'}", str(port)],
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        wait_ready(base, proc)
        warm = logged_in(base)
        print(f"workspace {workspace}, period {period}, {args.clients} clients, "
              f"{args.seconds:g} s, server {base}")
        for name, paths in routes:
            start = time.perf_counter()
            status = warm.get(paths[0]).status_code
            print(f"  warm-up {name:<12} {status}  {1000 * (time.perf_counter() - start):8.1f} ms")
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
