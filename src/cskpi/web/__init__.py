"""The web app: FastAPI pages and a JSON API over the core (``cskpi serve``).

Use :func:`cskpi.web.app.create_app` to build an app and :func:`cskpi.web.app.serve`
to run one; both live in :mod:`cskpi.web.app` so importing this package stays cheap.
"""
