"""Helpers for walking through the survey as a respondent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

SURVEY = "/survey/have-your-say"

# A complete, adult path through the default survey, page by page.
ADULT_ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("area", {"area": "highfields"}),
    ("connection", {"connection": ["live", "study"]}),
    ("age", {"age_band": "18-24"}),
    ("what-where", {"what_where": "Fights by the park and robberies at the bus station"}),
    ("why", {"why": "People carry knives for protection because they are scared"}),
    ("impact", {"impact": "Parents keep their kids inside after dark"}),
    ("help", {"help": "Open the youth club in the evenings and more mentors"}),
    ("safety", {"safe_day": "4", "safe_after_dark": "2"}),
    ("about-you", {"gender": "woman", "ethnic_group": "asian-indian"}),
    ("contact", {}),
]


def csrf_token(html: str) -> str:
    """Return the CSRF token of the survey's own form on a page.

    Not the first on the page: a signed-in member of staff (previewing) also
    has the header's sign-out form, whose token is Flask-WTF's, not the survey's.
    """
    field = BeautifulSoup(html, "html.parser").select_one("main form input[name=csrf_token]")
    assert field is not None, "no survey form on the page"
    return str(field["value"])


def post_page(client: FlaskClient, page_id: str, data: dict[str, Any], **query: str) -> Any:
    """Open a survey page as a respondent would, then send `data` with its CSRF token."""
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    page = client.get(f"{SURVEY}/{page_id}{suffix}")
    assert page.status_code == 200, (page_id, page.status_code, page.headers.get("Location"))
    return client.post(
        f"{SURVEY}/{page_id}{suffix}",
        data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))},
    )


@pytest.fixture
def answer_all() -> Callable[..., Any]:
    """Answer every page of `path` and return the check-your-answers page."""

    def run(client: FlaskClient, path: list[tuple[str, dict[str, Any]]] = ADULT_ANSWERS) -> Any:
        for page_id, data in path:
            response = post_page(client, page_id, data)
            assert response.status_code == 302, (page_id, response.get_data(as_text=True)[:1500])
        check = client.get(f"{SURVEY}/check-your-answers")
        assert check.status_code == 200
        return check

    return run


def submit(client: FlaskClient, check_page_html: str) -> Any:
    """Press "Send my answers" on the check-your-answers page."""
    return client.post(
        f"{SURVEY}/check-your-answers", data={"csrf_token": csrf_token(check_page_html)}
    )
