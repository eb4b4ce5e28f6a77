"""Browser tests: the real app on a live server, driven by headless Debian Chromium.

The server serves the same session-scoped `app` fixture as the rest of the
suite (tests/conftest.py), so each test still starts from the reference data
only (the autouse `_fresh_database` fixture below) and can create users with
`make_user`. CSRF protection is on, so every form goes through it as in
production.

`playwright install` cannot download browsers here: Playwright launches the
Debian package's Chromium instead. Without it the whole directory is skipped.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_DIR = Path(__file__).resolve().parent
AXE_SOURCE = BROWSER_DIR.parent.parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Debian Chromium at {CHROMIUM} (apt-get install chromium)"
    if not AXE_SOURCE.exists():
        return f"browser tests need axe-core at {AXE_SOURCE} (npm ci)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this directory `browser`, and skip them all without Chromium."""
    del config
    reason = _skip_reason()
    for item in items:
        if BROWSER_DIR not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the Debian Chromium, headless, with nothing phoning home."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on a free local port in a daemon thread; yield its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Relative URLs in page.goto() go to the live server."""
    return live_server


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script, read once."""
    return AXE_SOURCE.read_text(encoding="utf-8")


def format_violations(violations: list[dict[str, Any]], url: str) -> str:
    """Describe axe violations so that a failing test says what to fix and where."""
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
            f" <{violation.get('helpUrl', '')}>"
        )
        for node in violation.get("nodes", [])[:10]:
            target = " ".join(json.dumps(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


@pytest.fixture
def axe(axe_source: str) -> Callable[[Page], None]:
    """Return check(page): run axe on the page as it is now and fail on any violation.

    axe is injected with page.evaluate, which the page's Content Security Policy
    does not block (it is not an inline script).
    """

    def check(page: Page) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        violations = result["violations"]
        assert violations == [], format_violations(violations, page.url)

    return check


@pytest.fixture(autouse=True)
def _fresh_database(clean_database: None) -> None:
    """Every browser test starts with only the reference data."""
