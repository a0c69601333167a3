"""Parameter types shared by routes, declared once so the OpenAPI schema and the answers
agree.

:data:`Month` is a calendar month ``YYYY-MM`` of the years 1900-2999.  Its pattern
admits only months the app can compute: a month it lets through is never refused later
as "not a month" (``0000-00`` and ``2026-13`` are refused at the door, 422, like any
malformed parameter), nor does it fail deeper down (``0001-01`` and ``9999-12`` did:
their month bounds, time-zone shifts and trend windows leave the range of Python dates).
The location aliases (:data:`MonthQuery`, :data:`MonthPath`, :data:`MonthForm`) are the
same type in a query string, a path or a form.

:data:`PresetQuery` is a shipped scheme preset by name; the schema lists them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path, Query
from pydantic import StringConstraints

# years 1900-2999, months 01-12; plain alternatives (no look-ahead), so every regex engine
# (pydantic's, JSON Schema's, a client's) reads it alike
MONTH_PATTERN = r"^(?:19|2[0-9])[0-9]{2}-(?:0[1-9]|1[0-2])$"
MONTH_HELP = "a calendar month, YYYY-MM, 1900-01 to 2999-12 (e.g. 2026-10)"

Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
"""A calendar month ``YYYY-MM``, 1900-01 to 2999-12."""

MonthQuery = Annotated[Month | None, Query(description=f"{MONTH_HELP}; default the latest "
                                                       "month with data",
                                           examples=["2026-10"])]
MonthPath = Annotated[Month, Path(description=MONTH_HELP, examples=["2026-10"])]
MonthForm = Annotated[Month, Form(description=MONTH_HELP)]


def _preset_enum(schema: dict[str, Any]) -> None:
    """List the presets in the schema (when the schema is made, not at import)."""
    from ..scoring.presets import preset_names

    schema["enum"] = preset_names()


PresetQuery = Annotated[str | None, Query(
    max_length=255, description="a shipped scheme preset; default the scheme of the agent's "
                                "role (an agent may not choose)",
    json_schema_extra=_preset_enum)]
