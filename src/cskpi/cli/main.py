"""The ``cskpi`` command line: parse options, call the core, print.

Commands live in modules by family (data, metrics, scoring); importing them registers
them on the one Typer app defined in :mod:`cskpi.cli.common`.
"""

from __future__ import annotations

import sys

from ..locale import Translator
from . import (  # noqa: F401  (registers them)
    data_cmds,
    lost_cmds,
    metric_cmds,
    qa_cmds,
    scheme_cmds,
)
from .common import _err_console, app
from .i18n import argv_lang

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _err_console().print(Translator(argv_lang(sys.argv[1:]))("cli.interrupted"))
        sys.exit(130)

