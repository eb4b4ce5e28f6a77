"""Schemathesis against the API: no server error anywhere, and every answer as documented.

The schema is loaded from /api/v1/openapi.json through the WSGI app (no
server), and every operation is fuzzed with valid data (positive) and with
data that breaks the schema (negative), with a valid strategy-team token,
over the hand-counted data set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# positive_data_acceptance is left out on purpose: a well-formed theme id
# that names no theme is a 400 (filter) or 404 (path) by design, so that a
# typo never silently returns everything or nothing.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES_PER_OPERATION = 25


def _headers_to_send(case: Any, token_headers: dict[str, str]) -> dict[str, str] | None:
    """The test's token, unless the case breaks the headers on purpose.

    A negative case may drop or garble the Authorization header; putting
    the real token back would turn it into a valid request that the
    negative_data_rejection check then wrongly blames the API for accepting.
    """
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode is GenerationMode.NEGATIVE:
        return None
    return token_headers


def _sent_as_generated(case: Any) -> bool:
    """Whether every query parameter reaches the server.

    An extra parameter whose value is an empty list is not sent at all, so a
    case whose only fault is such a parameter is valid on the wire.
    """
    return not any(value == [] for value in (case.query or {}).values())


@pytest.mark.slow
def test_every_operation_survives_fuzzing(
    app: Flask,
    hand_counted: dict[str, int],
    strategy_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fuzzer sends a few hundred requests a minute with one token.
    monkeypatch.setitem(app.config, "API_REQUESTS_PER_TOKEN", "100000 per minute")
    monkeypatch.setitem(app.config, "API_REQUESTS_PER_ADDRESS", "100000 per minute")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {strategy_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Schemathesis leaves out the operation that serves the schema itself;
    # tests/app/api/test_api_openapi.py covers it.
    assert {op.label for op in operations} == {
        "GET /summary",
        "GET /themes",
        "GET /themes/{theme_id}",
        "GET /responses",
        "GET /responses/{response_id}",
    }
    statuses: dict[str, set[int]] = {}

    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            assume(_sent_as_generated(case))
            response = case.call_and_validate(
                headers=_headers_to_send(case, headers), checks=CHECKS
            )
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        run()

    # Not a test that cannot fail: every operation answered, and some successfully.
    assert set(statuses) == {op.label for op in operations}
    assert all(200 in codes for label, codes in statuses.items() if "{" not in label), statuses
    assert all(code < 500 for codes in statuses.values() for code in codes)


def test_known_ids_answer_as_documented(
    app: Flask,
    client: Any,
    hand_counted: dict[str, int],
    strategy_token: str,
    area_ids: dict[str, int],
) -> None:
    """Requests with real ids (which the fuzzer rarely guesses) conform too."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {strategy_token}"}
    some_id = next(iter(hand_counted.values()))
    for path, operation_path in [
        (f"/api/v1/themes/fear?area={area_ids['Belgrave']}", "/themes/{theme_id}"),
        ("/api/v1/themes/nope", "/themes/{theme_id}"),
        (f"/api/v1/responses/{some_id}", "/responses/{response_id}"),
        ("/api/v1/responses?source=survey&age_band=18-24&limit=2", "/responses"),
        ("/api/v1/summary?source=survey", "/summary"),
        ("/api/v1/summary?area=banana", "/summary"),
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code < 500
        schema[operation_path]["GET"].validate_response(response)


def test_schema_validation_catches_a_wrong_answer(
    app: Flask, client: Any, hand_counted: dict[str, int], strategy_token: str
) -> None:
    """The check above can fail: a document that breaks the schema is refused."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    response = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {strategy_token}"})
    body = response.get_json()
    body["totals"]["respondents"] = {"count": 3, "share": None, "suppressed": True}
    response.set_data(json.dumps(body))
    with pytest.raises(JsonSchemaError):
        schema["/summary"]["GET"].validate_response(response)
