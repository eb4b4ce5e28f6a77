"""GET /openapi.json: public, OpenAPI 3.1, and naming every operation the API has."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient


def test_the_document_is_public_and_complete(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    routes = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert routes == set(document["paths"])
    for path, operations in document["paths"].items():
        assert set(operations) == {"get"}, path
        responses = operations["get"]["responses"]
        assert "200" in responses
        if path != "/openapi.json":
            assert {"400", "401", "403", "429"} <= set(responses), path
    area = document["components"]["parameters"]["area"]["schema"]
    assert area["type"] == "integer" and len(area["enum"]) == 8


def test_the_document_takes_no_parameters(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json?x=1")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
