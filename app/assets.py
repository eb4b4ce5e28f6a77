"""Serves the front-end assets built by `make assets` under /assets/.

GOV.UK Frontend's stylesheet refers to its images with absolute /assets/...
URLs, so the images are served from the npm package and the compiled
stylesheet from app/static/build. The GDS Transport fonts are never served:
they are licensed for GOV.UK only, and the council's stylesheet uses Arial.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory
from flask.typing import ResponseReturnValue

ROOT = Path(__file__).resolve().parent.parent
GOVUK_DIST = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
BUILD_DIR = Path(__file__).resolve().parent / "static" / "build"
OWN_IMAGES = Path(__file__).resolve().parent / "static" / "images"

bp = Blueprint("assets", __name__)

ONE_DAY = 24 * 60 * 60


@bp.get("/assets/app.css")
def stylesheet() -> ResponseReturnValue:
    """The council's compiled stylesheet."""
    return send_from_directory(BUILD_DIR, "app.css", max_age=ONE_DAY)


@bp.get("/assets/govuk-frontend.min.js")
def script() -> ResponseReturnValue:
    """GOV.UK Frontend's JavaScript (progressive enhancement only)."""
    return send_from_directory(GOVUK_DIST, "govuk-frontend.min.js", max_age=ONE_DAY)


@bp.get("/assets/images/<path:filename>")
def image(filename: str) -> ResponseReturnValue:
    """The council's own icons first, then GOV.UK Frontend's images (never its crown)."""
    if "crest" in filename or "crown" in filename:
        abort(404)
    if (OWN_IMAGES / filename).is_file():
        return send_from_directory(OWN_IMAGES, filename, max_age=ONE_DAY)
    return send_from_directory(GOVUK_DIST / "assets" / "images", filename, max_age=ONE_DAY)


def init_app(app: Flask) -> None:
    """Register the asset routes."""
    app.register_blueprint(bp)
