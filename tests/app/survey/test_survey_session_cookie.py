"""The respondent's cookie lasts a day from its last renewal and is not re-sent on every page."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient

from tests.app.survey.conftest import SURVEY, post_page


def _cookie_header(response: Any) -> str:
    return next(
        (h for h in response.headers.getlist("Set-Cookie") if h.startswith("cv_session=")), ""
    )


def test_cookie_is_renewed_only_when_ten_minutes_old(client: FlaskClient, monkeypatch: Any) -> None:
    first = client.get(f"{SURVEY}/")
    header = _cookie_header(first)
    assert header and "Expires=" in header and "HttpOnly" in header
    answered = post_page(client, "area", {"area": "highfields"})
    assert answered.status_code == 302
    # The next page, a moment later: nothing changed, so no new cookie.
    assert _cookie_header(client.get(f"{SURVEY}/connection")) == ""
    later = time.time() + 11 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    renewed = _cookie_header(client.get(f"{SURVEY}/connection"))
    assert renewed and "Expires=" in renewed


def test_answers_survive_a_day_of_renewals(client: FlaskClient, monkeypatch: Any) -> None:
    post_page(client, "area", {"area": "highfields"})
    now = time.time()
    for hours in (6, 12, 18):
        moment = now + hours * 3600
        monkeypatch.setattr(time, "time", lambda moment=moment: moment)
        page = client.get(f"{SURVEY}/area").get_data(as_text=True)
        assert 'value="highfields" checked' in page or "checked" in page


def test_cached_start_page_gets_each_visitors_own_nonce(app: Any) -> None:
    import re

    pages = [app.test_client().get(f"{SURVEY}/") for _ in range(2)]
    nonces = [
        re.search(r'nonce="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        for page in pages
    ]
    assert nonces[0] != nonces[1]
    for page, nonce in zip(pages, nonces, strict=True):
        assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
        assert "placeholder" not in page.get_data(as_text=True)
        assert f'href="{SURVEY}/area"' in page.get_data(as_text=True)
