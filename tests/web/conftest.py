"""The web tests run when the web extra is installed; otherwise they are not collected
and the report header says why.  Fixtures live in ``fixtures.py``."""

from __future__ import annotations

import importlib.util

import pytest

WEB_MODULES = ("fastapi", "starlette", "jinja2", "sqlalchemy", "alembic", "argon2",
               "multipart", "httpx")
MISSING = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against the test PostgreSQL server "
                                       "(skipped when it is unreachable)")


if MISSING:
    collect_ignore_glob = ["test_*.py", "fixtures.py"]

    def pytest_report_header(config: pytest.Config) -> str:
        return (f"web tests not collected: missing {', '.join(MISSING)} "
                "(pip install 'cskpi[web]')")
else:
    from .fixtures import (  # noqa: F401 - fixtures are registered by name
        _pg_shared,
        app,
        client_for,
        database_url,
        empty_database_url,
        gateway,
        make_web_app,
        pg_unreachable,
        postgres_app_url,
        postgres_url,
        settings_of,
        workspace,
    )
