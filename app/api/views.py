"""The API's operations: short views that check parameters and hand over to the services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from app.api import bp, openapi, params, resources
from app.api.auth import token_required
from app.api.problems import ApiProblem
from app.dashboard.summaries import overview
from app.extensions import db, limiter
from app.models import Theme


def _per_token() -> str:
    return str(current_app.config["API_REQUESTS_PER_TOKEN"])


def _per_address() -> str:
    return str(current_app.config["API_REQUESTS_PER_ADDRESS"])


def _token_key() -> str:
    from app.api.services import bearer_token
    from app.models import token_digest

    secret = bearer_token(request.headers.get("Authorization"))
    # The digest, so the limiter's storage (Redis, say) never holds a token.
    return (
        "api-token:" + token_digest(secret)
        if secret
        else "api-address:" + (request.remote_addr or "")
    )


def _address_key() -> str:
    return "api-address:" + (request.remote_addr or "")


# Every API request counts against its token and against its address: a
# client rotating made-up tokens is still held by the address limit.
limiter.limit(_per_token, key_func=_token_key, scope="api-token")(bp)
limiter.limit(_per_address, key_func=_address_key, scope="api-address")(bp)


def _threshold() -> int:
    return int(current_app.config["SMALL_NUMBER_THRESHOLD"])


def _not_found(what: str) -> ApiProblem:
    return ApiProblem(404, f"There is no {what} with this id.", code="not_found")


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API.

    Public on purpose: it holds no response data, only the shape of the API
    and the reference lists (areas, questions, survey age bands) that the
    public survey already shows; API tools read it before they hold a token.
    """
    params.no_parameters(request.args)
    return jsonify(openapi.document(params.reference()))


@bp.get("/summary")
@token_required("strategy", "admin")
def summary() -> ResponseReturnValue:
    """Totals, themes in three units, concepts, and themes by area, question and month."""
    filters = params.filters_from(request.args)
    threshold = _threshold()
    result = overview(filters, threshold)
    return jsonify(resources.summary_document(result, filters, threshold, params.describe(filters)))


@bp.get("/themes")
@token_required("strategy", "admin")
def themes() -> ResponseReturnValue:
    """Every theme in use: its definition, concepts and counts under the filters."""
    filters = params.filters_from(request.args)
    result = overview(filters, _threshold())
    rows = {row.theme_id: row for row in result.themes}
    return jsonify(
        {
            "filters": params.describe(filters),
            "small_number_threshold": _threshold(),
            "themes": [resources.theme_document(t, rows[t.id]) for t in _active_themes()],
        }
    )


def _active_themes() -> list[Theme]:
    """The codebook's themes in use, in codebook order (the ones `overview` counts)."""
    return list(
        db.session.scalars(
            sa.select(Theme).where(Theme.retired_at.is_(None)).order_by(Theme.position)
        )
    )


@bp.get("/themes/<theme_id>")
@token_required("strategy", "admin")
def theme(theme_id: str) -> ResponseReturnValue:
    """One theme, with its share of each area's and each question's responses."""
    filters = params.filters_from(request.args)
    found = next((t for t in _active_themes() if t.id == theme_id), None)
    if found is None:
        raise _not_found("theme")
    result = overview(filters, _threshold())
    row = next(r for r in result.themes if r.theme_id == theme_id)
    return jsonify(
        {
            "filters": params.describe(filters),
            "small_number_threshold": _threshold(),
            **resources.theme_detail_document(found, row, result),
        }
    )


@bp.get("/responses")
@token_required("strategy", "admin")
def responses() -> ResponseReturnValue:
    """A page of responses in id order, with their codes; `next` fetches the following page."""
    filters = params.filters_from(request.args, params.PAGE_PARAMETERS)
    page = params.page_from(request.args)
    documents, total, next_after = resources.response_page(filters, page)
    next_url = None
    if next_after is not None:
        query: dict[str, Any] = {**request.args.to_dict(), "after": str(next_after)}
        next_url = url_for("api.responses", **query)
    return jsonify(
        {
            "filters": params.describe(filters),
            "theme": page.theme_id,
            "total": total,
            "limit": page.limit,
            "after": page.after,
            "next_after": next_after,
            "next": next_url,
            "responses": documents,
        }
    )


@bp.get("/responses/<int:response_id>")
@token_required("strategy", "admin")
def response(response_id: int) -> ResponseReturnValue:
    """One response with its codes."""
    params.no_parameters(request.args)
    if response_id > params.MAX_ID:
        raise _not_found("response")
    document = resources.one_response(response_id)
    if document is None:
        raise _not_found("response")
    return jsonify(document)


@bp.after_request
def _no_store(response: Any) -> Any:
    # Responses hold what residents said: no browser or proxy may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response
