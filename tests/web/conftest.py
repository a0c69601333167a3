"""Fixtures of the web tests: a real demo workspace, a real app database (SQLite, and
PostgreSQL when it is reachable), apps and logged-in clients per role.  Plain helpers
(passwords, logging in, CSRF tokens) are in tests/helpers/web.py.

The web tests run when the web extra is installed; otherwise they are not collected
and the report header says why (so the web modules are imported inside the fixtures).

PostgreSQL: ``CSKPI_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).  Migration tests get a fresh,
empty schema each; app tests share one migrated schema per run whose tables are emptied
before every test (the app then starts as on a new database).  Schemas are dropped
afterwards.  When the server is unreachable those tests are skipped with the reason.
The PostgreSQL variants are marked ``postgres``, which puts them in the slow tier
(tests/conftest.py).
"""

from __future__ import annotations

import importlib.util
import io
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cskpi.data.demo import generate
from cskpi.shop import Shop
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PASSWORDS, PG_URL, login

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from cskpi.web.services.gateway import DataGateway
    from cskpi.web.settings import WebSettings

WEB_MODULES = ("fastapi", "starlette", "jinja2", "sqlalchemy", "alembic", "argon2",
               "multipart", "httpx")
MISSING = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]


if MISSING:
    collect_ignore_glob = ["test_*.py"]

    def pytest_report_header(config: pytest.Config) -> str:
        return (f"web tests not collected: missing {', '.join(MISSING)} "
                "(pip install 'cskpi[web]')")


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo shop (6 agents, 5 days of October 2026) imported into a workspace."""
    root = tmp_path_factory.mktemp("web-ws")
    generate(root / "data", agents=6, days=5)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    return root / "shop.duckdb"


@pytest.fixture(scope="session")
def gateway(workspace: Path) -> DataGateway:
    """One cached gateway shared by every app of the run (core results are computed once)."""
    from cskpi.web.services.gateway import DataGateway
    from cskpi.web.settings import DEFAULT_SCHEMES

    return DataGateway(workspace, schemes_by_role=DEFAULT_SCHEMES)


def _pg_reason() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        return f"psycopg is not installed ({exc})"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=2).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip
        return f"PostgreSQL is not reachable at {PG_URL}: {str(exc).strip().splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_unreachable() -> str | None:
    return _pg_reason()


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A new schema on the test PostgreSQL: its URL (search_path set); dropped afterwards."""
    import sqlalchemy as sa

    schema = f"cskpi_web_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, poolclass=sa.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url(pg_unreachable: str | None) -> Iterator[str]:
    """A fresh, empty schema (for the migration tests)."""
    if pg_unreachable:
        pytest.skip(pg_unreachable)
    with _pg_schema() as url:
        yield url


@pytest.fixture(scope="session")
def _pg_shared(pg_unreachable: str | None) -> Iterator[Any]:
    """One migrated schema for the app tests of the run, and an engine on it."""
    from sqlalchemy import NullPool

    from cskpi.web.db.engine import make_engine, migrate

    if pg_unreachable:
        yield None
        return
    with _pg_schema() as url:
        engine = make_engine(url, poolclass=NullPool)
        migrate(engine)
        yield url, engine
        engine.dispose()


@pytest.fixture
def postgres_app_url(pg_unreachable: str | None, _pg_shared: Any) -> str:
    """The shared migrated schema, emptied (so the app starts as on a new database)."""
    from sqlalchemy import text

    from cskpi.web.db.models import Base

    if pg_unreachable:
        pytest.skip(pg_unreachable)
    url, engine = _pg_shared
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return str(url)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, never migrated database: a SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An app database without users: a new SQLite file, or the emptied PostgreSQL schema.

    Modules whose tests do not depend on the database override this with SQLite only.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.sqlite'}"
    return str(request.getfixturevalue("postgres_app_url"))


@pytest.fixture
def make_web_app(workspace: Path, gateway: DataGateway, database_url: str
                 ) -> Iterator[Callable[..., FastAPI]]:
    """make_web_app(**settings) -> a new app on this test's database."""
    from cskpi.web.app import create_app
    from cskpi.web.settings import make_settings

    apps: list[FastAPI] = []

    def make(out: io.StringIO | None = None, **overrides: Any) -> FastAPI:
        opts: dict[str, Any] = {"admin_password": ADMIN_PASSWORD, **FAST_ARGON2, **overrides}
        settings = make_settings(workspace, database_url=database_url, environ={}, **opts)
        app = create_app(settings, data=gateway, out=out)
        # the shared gateway computes nothing in the background after the data changes
        # (test_stale.py does): tests with gateways of their own on the same workspace
        # would write it at the same time; and pages wait for the new figures
        gateway.stale_after_s = None
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.cskpi.engine.dispose()


@pytest.fixture
def app(make_web_app: Callable[..., FastAPI]) -> FastAPI:
    """An app with an admin, a manager and two agents (A001 pre-sale, A004 after-sale)."""
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user

    web = make_web_app()
    state = web.state.cskpi
    with transaction(state.sessions) as db:
        create_user(db, state.passwords, username="mgr", password=PASSWORDS["mgr"],
                    role="manager")
        create_user(db, state.passwords, username="a001", password=PASSWORDS["a001"],
                    role="agent", agent_id="A001")
        create_user(db, state.passwords, username="a004", password=PASSWORDS["a004"],
                    role="agent", agent_id="A004", locale="zh_CN")
    return web


@pytest.fixture
def client_for(app: FastAPI) -> Callable[[str | None], TestClient]:
    """client_for('mgr') -> a TestClient logged in as that user (None: anonymous)."""
    from fastapi.testclient import TestClient


    def make(username: str | None) -> TestClient:
        client = TestClient(app)
        if username is not None:
            response = login(client, username)
            assert response.status_code == 303, response.text
        return client

    return make


@pytest.fixture
def settings_of(app: FastAPI) -> WebSettings:
    return app.state.cskpi.settings  # type: ignore[no-any-return]
