"""Alembic migrations of the app database (run by :func:`cskpi.web.db.engine.migrate`)."""
