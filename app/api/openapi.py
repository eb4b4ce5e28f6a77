"""The OpenAPI 3.1 document for /api/v1, written by hand next to the views it describes.

Written out rather than generated so that every unit, null and suppression
rule is stated where a reader of the document will see it. The enums of
areas, questions and age bands come from the reference data at request
time, so the document always lists the values the API accepts.
`tests/app/api/test_schemathesis.py` checks the API against it.
"""

from __future__ import annotations

from typing import Any

from app.api.params import DEFAULT_PAGE_SIZE, MAX_DATE, MAX_ID, MAX_PAGE_SIZE, MIN_DATE, Reference
from app.api.services import TOKEN_PREFIX
from app.reference import AUDIENCES, SOURCES

JSON = "application/json"
PROBLEM = "application/problem+json"
REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _choices(values: dict[Any, str]) -> str:
    return "; ".join(f"`{key}`: {label}" for key, label in values.items())


def _schemas() -> dict[str, Any]:
    string = {"type": "string"}
    integer = {"type": "integer", "minimum": 0}
    count = {
        "description": (
            "A count and its share of the total in the same unit. Survey figures "
            "from fewer people than `small_number_threshold` are suppressed: count "
            "and share are then null and `suppressed` is true; the real number is never sent."
        ),
        "oneOf": [
            _object(
                {
                    "count": integer,
                    "share": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
                    "suppressed": {"const": False},
                }
            ),
            _object(
                {
                    "count": {"type": "null"},
                    "share": {"type": "null"},
                    "suppressed": {"const": True},
                }
            ),
        ],
    }
    theme_counts = _object(
        {
            "responses": {
                **_ref("Count"),
                "description": "Responses coded with the theme; share of all selected responses.",
            },
            "sessions": {
                **_ref("Count"),
                "description": "Sessions with at least one point coded with the theme; "
                "share of the selected sessions.",
            },
            "respondents": {
                **_ref("Count"),
                "description": "Survey respondents with an answer coded with the theme; "
                "share of the selected respondents.",
            },
        },
        "The same theme counted in three units, never mixed.",
    )
    filters = _object(
        {
            "area": _nullable({"type": "integer"}),
            "question": _nullable(string),
            "source": _nullable(string),
            "audience": _nullable(string),
            "age_band": _nullable(string),
            "date_from": _nullable({"type": "string", "format": "date"}),
            "date_to": _nullable({"type": "string", "format": "date"}),
            "reviewed_only": {"type": "boolean"},
        },
        "The filters as applied (null: not filtered).",
    )
    theme_cell = _object({"theme_id": string, "responses": _ref("Count")})
    concept_ref = _object({"id": string, "label": string})
    theme_properties = {
        "id": string,
        "label": string,
        "group": string,
        "definition": string,
        "codebook_version": {"type": "integer"},
        "concepts": {"type": "array", "items": _ref("ConceptRef")},
        "counts": _ref("ThemeCounts"),
    }
    evidence = _object(
        {
            "start": integer,
            "end": integer,
            "text": {**string, "description": "The words of the redacted text at start:end."},
        },
        "Words that led to the code, as offsets into the redacted `text`.",
    )
    code = _object(
        {
            "theme_id": string,
            "theme_label": string,
            "score": {"type": "number"},
            "source": {
                "type": "string",
                "enum": ["auto", "human"],
                "description": "auto: the analysis; human: confirmed or added by a person.",
            },
            "evidence": {"type": "array", "items": _ref("Evidence")},
        }
    )
    response_item = _object(
        {
            "id": {"type": "integer", "minimum": 1},
            "source": {"type": "string", "enum": list(SOURCES)},
            "area": _nullable(_object({"id": {"type": "integer"}, "name": string})),
            "question": string,
            "audience": {
                **_nullable({"type": "string", "enum": list(AUDIENCES)}),
                "description": "Who took part in the session (null for survey answers).",
            },
            "held_on": {
                **_nullable({"type": "string", "format": "date"}),
                "description": "The day of the session (null for survey answers).",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "reviewed": {"type": "boolean", "description": "A person has reviewed its codes."},
            "text": {
                **string,
                "description": "What was said, with names, e-mail addresses, phone numbers, "
                "postcodes and addresses replaced by [name], [email], [phone], "
                "[postcode] and [address], as in the dashboard's exports.",
            },
            "codes": {"type": "array", "items": _ref("Code")},
        },
        "One point made in a session or one open survey answer. No personal data, "
        "contact details, addresses or safeguarding flags.",
    )
    return {
        "Problem": {
            "type": "object",
            "description": "An RFC 9457 problem document.",
            "properties": {
                "type": {"type": "string", "const": "about:blank"},
                "title": string,
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": string,
                "code": {
                    "type": "string",
                    "enum": [
                        "missing_token",
                        "invalid_token",
                        "forbidden",
                        "invalid_parameter",
                        "not_found",
                        "method_not_allowed",
                        "rate_limited",
                        "bad_request",
                        "server_error",
                    ],
                },
                "errors": {
                    "type": "array",
                    "items": _object({"parameter": string, "reason": string}),
                },
            },
            "required": ["type", "title", "status", "detail", "code"],
        },
        "Count": count,
        "ThemeCounts": theme_counts,
        "Filters": filters,
        "ConceptRef": concept_ref,
        "ThemeCell": theme_cell,
        "Summary": _object(
            {
                "filters": _ref("Filters"),
                "small_number_threshold": {"type": "integer"},
                "totals": _object(
                    {
                        "responses": integer,
                        "sessions": integer,
                        "participants": {
                            **integer,
                            "description": "People who took part in the selected sessions.",
                        },
                        "respondents": _ref("Count"),
                    }
                ),
                "themes": {
                    "type": "array",
                    "description": "Themes in use, most mentioned first.",
                    "items": _object(
                        {
                            "id": string,
                            "label": string,
                            "responses": _ref("Count"),
                            "sessions": _ref("Count"),
                            "respondents": _ref("Count"),
                        }
                    ),
                },
                "concepts": {
                    "type": "array",
                    "description": "The five core concepts: responses coded with any of "
                    "their themes.",
                    "items": _object({"id": string, "label": string, "responses": _ref("Count")}),
                },
                "areas": {
                    "type": "array",
                    "description": "Each area's responses coded with each theme "
                    "(share of that area's responses).",
                    "items": _object(
                        {
                            "id": {"type": "integer"},
                            "name": string,
                            "themes": {"type": "array", "items": _ref("ThemeCell")},
                        }
                    ),
                },
                "questions": {
                    "type": "array",
                    "description": "Each question's responses coded with each theme "
                    "(share of that question's responses).",
                    "items": _object(
                        {
                            "id": string,
                            "label": string,
                            "themes": {"type": "array", "items": _ref("ThemeCell")},
                        }
                    ),
                },
                "months": {
                    "type": "array",
                    "description": "Responses recorded each month (share of all selected).",
                    "items": _object(
                        {
                            "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                            "responses": _ref("Count"),
                        }
                    ),
                },
            }
        ),
        "Theme": _object(theme_properties),
        "ThemeList": _object(
            {
                "filters": _ref("Filters"),
                "small_number_threshold": {"type": "integer"},
                "themes": {"type": "array", "items": _ref("Theme")},
            }
        ),
        "ThemeDetail": _object(
            {
                "filters": _ref("Filters"),
                "small_number_threshold": {"type": "integer"},
                **theme_properties,
                "areas": {
                    "type": "array",
                    "description": "Share of each area's responses coded with this theme.",
                    "items": _object(
                        {"id": {"type": "integer"}, "name": string, "responses": _ref("Count")}
                    ),
                },
                "questions": {
                    "type": "array",
                    "description": "Share of each question's responses coded with this theme.",
                    "items": _object({"id": string, "label": string, "responses": _ref("Count")}),
                },
            }
        ),
        "Evidence": evidence,
        "Code": code,
        "Response": response_item,
        "ResponsePage": _object(
            {
                "filters": _ref("Filters"),
                "theme": _nullable(string),
                "total": {**integer, "description": "Responses matching, on every page."},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "after": integer,
                "next_after": {
                    **_nullable(integer),
                    "description": "Pass as `after` for the next page; null on the last page.",
                },
                "next": {
                    **_nullable({"type": "string", "format": "uri-reference"}),
                    "description": "The next page's address; null on the last page.",
                },
                "responses": {"type": "array", "items": _ref("Response")},
            }
        ),
    }


def _parameters(known: Reference) -> dict[str, Any]:
    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description,
        }

    return {
        "area": query(
            "area",
            {"type": "integer", "enum": list(known.areas)},
            "Only responses from this area: " + _choices(known.areas) + ".",
        ),
        "question": query(
            "question",
            {"type": "string", "enum": list(known.questions)},
            "Only responses to this question: " + _choices(known.questions) + ".",
        ),
        "source": query(
            "source",
            {"type": "string", "enum": list(SOURCES)},
            "Only session points or only survey answers: " + _choices(SOURCES) + ".",
        ),
        "audience": query(
            "audience",
            {"type": "string", "enum": list(AUDIENCES)},
            "Only points from sessions with this audience: " + _choices(AUDIENCES) + ".",
        ),
        "age_band": query(
            "age_band",
            {"type": "string", "enum": list(known.age_bands) or ["none"]},
            "Only survey answers from respondents of this age: "
            + _choices(known.age_bands)
            + ". Survey-only selections count respondents, so small numbers are suppressed.",
        ),
        "date_from": query(
            "date_from",
            {"type": "string", "format": "date"},
            f"From this day (a session's date, a survey answer's day), {MIN_DATE} to {MAX_DATE}.",
        ),
        "date_to": query(
            "date_to",
            {"type": "string", "format": "date"},
            f"Up to and including this day, {MIN_DATE} to {MAX_DATE}; not before date_from.",
        ),
        "reviewed_only": query(
            "reviewed_only",
            {"type": "boolean", "default": False},
            "Only responses whose codes a person has reviewed.",
        ),
        "theme": query(
            "theme",
            {"type": "string"},
            "Only responses coded with this theme id (GET /themes lists them).",
        ),
        "after": query(
            "after",
            {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
            "Return responses with ids above this (the previous page's next_after).",
        ),
        "limit": query(
            "limit",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PAGE_SIZE,
                "default": DEFAULT_PAGE_SIZE,
            },
            f"Responses per page, at most {MAX_PAGE_SIZE}.",
        ),
    }


FILTERS = [
    "area",
    "question",
    "source",
    "audience",
    "age_band",
    "date_from",
    "date_to",
    "reviewed_only",
]


def _responses(ok_schema: str | None, *errors: int) -> dict[str, Any]:
    no_store = {
        "Cache-Control": {
            "description": "Never cached.",
            "schema": {"type": "string", "const": "no-store"},
        }
    }
    content = {"schema": _ref(ok_schema)} if ok_schema else {"schema": {"type": "object"}}
    out: dict[str, Any] = {
        "200": {"description": "OK", "headers": no_store, "content": {JSON: content}}
    }
    for status in errors:
        out[str(status)] = {"$ref": f"#/components/responses/{status}"}
    return out


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": _ref("Problem")}},
    }
    if headers:
        response["headers"] = headers
    return response


def document(known: Reference) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document, with the accepted values of `known`."""
    protected = [400, 401, 403, 429]
    filter_refs = [{"$ref": f"#/components/parameters/{name}"} for name in FILTERS]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Community Voice API",
            "version": "1.0.0",
            "description": (
                "Read-only access to what the community told the knife crime strategy: theme "
                "summaries, the codebook's themes, and the responses with their codes. "
                "For the strategy team and administrators, with a personal token made on "
                "the API tokens page. Response text is redacted; survey figures from fewer "
                "people than the small-number threshold are suppressed (null, with "
                "`suppressed: true`). Errors are RFC 9457 problem documents. See docs/api.md."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDocument",
                    "summary": "This document",
                    "description": "Public: it holds no data, only the shape of the API.",
                    "security": [],
                    "responses": _responses(None, 400, 429),
                }
            },
            "/summary": {
                "get": {
                    "operationId": "getSummary",
                    "summary": "Totals, themes, concepts, and themes by area, question and month",
                    "parameters": filter_refs,
                    "responses": _responses("Summary", *protected),
                }
            },
            "/themes": {
                "get": {
                    "operationId": "listThemes",
                    "summary": "The codebook's themes in use, with counts under the filters",
                    "parameters": filter_refs,
                    "responses": _responses("ThemeList", *protected),
                }
            },
            "/themes/{theme_id}": {
                "get": {
                    "operationId": "getTheme",
                    "summary": "One theme, with its share of each area's and question's responses",
                    "parameters": [
                        {
                            "name": "theme_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                        },
                        *filter_refs,
                    ],
                    "responses": _responses("ThemeDetail", *protected, 404),
                }
            },
            "/responses": {
                "get": {
                    "operationId": "listResponses",
                    "summary": "A page of responses with their codes, in id order",
                    "parameters": [
                        *filter_refs,
                        {"$ref": "#/components/parameters/theme"},
                        {"$ref": "#/components/parameters/after"},
                        {"$ref": "#/components/parameters/limit"},
                    ],
                    "responses": _responses("ResponsePage", *protected),
                }
            },
            "/responses/{response_id}": {
                "get": {
                    "operationId": "getResponse",
                    "summary": "One response with its codes",
                    "parameters": [
                        {
                            "name": "response_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": _responses("Response", *protected, 404),
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": f"{TOKEN_PREFIX}<43 characters>",
                    "description": "A personal API token from the API tokens page "
                    "(strategy team and administrators only).",
                }
            },
            "parameters": _parameters(known),
            "responses": {
                "400": _problem("A parameter is unknown, repeated or has a bad value."),
                "401": _problem(
                    "No token, or a token that is unknown, revoked or expired, "
                    "or whose account is deactivated.",
                    {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
                ),
                "403": _problem("The token's owner does not have a role that may use the API."),
                "404": _problem("Nothing has this id."),
                "429": _problem(
                    "Too many requests with this token or from this address.",
                    {"Retry-After": {"schema": {"type": "string"}}},
                ),
            },
            "schemas": _schemas(),
        },
    }
