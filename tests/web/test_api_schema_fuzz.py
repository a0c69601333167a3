"""The API does what its OpenAPI schema says: schemathesis generates requests from
/api/v1/openapi.json, valid ones and invalid ones, and sends them with an admin's token
and with an agent's token.

Every answer must be documented (status, content type, body shape), never a 5xx; a
request the schema admits must not be refused as malformed (400/422), and one it does
not admit must be.  The run is bounded by the number of examples per operation (and
derandomised, so a failure replays), not by a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.helpers.web import form_token

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 25
OWN_AGENT = "A001"  # the agent of user a001 (fixtures.app), whom an admin sees too


def accepted_unless_unsaid(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, except for the refusals a JSON Schema cannot state
    and the API's description states in words (:data:`cskpi.web.params.UNSAID_BY_SCHEMA`:
    a week and a range together, ``from`` without ``to``, a 53rd week of a year of 52 …):
    a 422 whose every reason is one of them is the documented answer."""
    from cskpi.web.params import UNSAID_BY_SCHEMA

    if response.status_code == 422:
        details = (response.json().get("error") or {}).get("details") or []
        if details and all(d.get("type") in UNSAID_BY_SCHEMA for d in details):
            return None
    return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
MODE_CHECKS = {GenerationMode.POSITIVE: accepted_unless_unsaid,
               GenerationMode.NEGATIVE: negative_data_rejection}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The API's answers do not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _token(client: TestClient) -> str:
    """A new API token, made on the Account page of the client's login."""
    page = client.get("/account")
    response = client.post("/account/tokens", data={"name": "fuzz",
                                                    "csrf_token": form_token(page.text)})
    assert response.status_code == 200, response.text
    return response.text.split('<pre id="new-token">')[1].split("</pre>")[0]


def _run(operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str],
         path_parameters: dict[str, str] | None = None) -> None:
    """Send ``EXAMPLES_PER_OPERATION`` generated requests of one mode to one operation."""
    checks = [*CHECKS, MODE_CHECKS[mode]]
    cases = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    check()


def _fuzz(app: FastAPI, secret: str) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3, "the schema lists fewer operations than the API has"
    for operation in operations:
        takes_input = any(len(group) for group in (operation.path_parameters, operation.query,
                                                     operation.headers, operation.body))
        for mode in MODE_CHECKS:
            if mode is GenerationMode.NEGATIVE and not takes_input:
                continue  # nothing to get wrong (/me)
            _run(operation, mode, headers)
            if mode is GenerationMode.POSITIVE and any(
                    p.name == "agent_id" for p in operation.path_parameters):
                # a generated agent_id is unknown (404): also fuzz the rest on a real one
                _run(operation, mode, headers, {"agent_id": OWN_AGENT})


@pytest.mark.parametrize("username", ["admin", "a001"])
def test_the_api_answers_as_its_schema_says(app: FastAPI, username: str,
                                            client_for: Callable[[str | None], TestClient]
                                            ) -> None:
    _fuzz(app, _token(client_for(username)))
