"""A cache of rendered blank survey pages.

Most page views in a survey are of a page the respondent has not answered
yet: the same HTML for everyone, except for the CSRF token and the CSP
nonce, which are new for each respondent or request. Rendering the GOV.UK
macros costs more than everything else the request does, so a blank page is
rendered once per process, with the token and nonce swapped for
placeholders, and each request fills in its own. A page may name other
values of its own (the confirmation page's reference, the answers on check
your answers): it is rendered with `placeholder(name)` in their place, and
each request fills them in too.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

from markupsafe import escape

from app.security import csp_nonce
from surveys import survey_csrf_token

# Random strings that cannot occur in a page by accident.
_CSRF_PLACEHOLDER = "csrf-placeholder-4b1e9f0c7a2d"
_NONCE_PLACEHOLDER = "nonce-placeholder-9c3a7e5d1f60"


_VALUE_SUFFIX = "-6e2b8d4a0c19"
# A cached page is kept split at its placeholders, so filling it in is one
# join, and text filled in is never searched again: an answer that quotes a
# placeholder is shown as typed.
_PLACEHOLDERS = re.compile(
    rf"({_CSRF_PLACEHOLDER}|{_NONCE_PLACEHOLDER}|value-placeholder-[a-z0-9_-]+?{_VALUE_SUFFIX})"
)


def placeholder(name: str) -> str:
    """Return the text a cached page holds in place of its own value `name`.

    `name` is lower-case letters, digits, hyphens and underscores.
    """
    return f"value-placeholder-{name}{_VALUE_SUFFIX}"


class BlankPageCache:
    """Rendered pages by key, least recently used dropped first."""

    def __init__(self, size: int = 256) -> None:
        # Each page as [text, placeholder, text, placeholder, ..., text].
        self._pages: OrderedDict[Hashable, list[str]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def render(
        self,
        key: Hashable,
        render: Callable[[], str],
        *,
        form: bool = True,
        values: Mapping[str, str] | None = None,
    ) -> str:
        """Return the page for `key` with this request's nonce and (for a `form`) CSRF token.

        `values` fills each `placeholder(name)` in the page with its value,
        escaped (a Markup value is already safe and goes in as it is).
        """
        token = survey_csrf_token() if form else None
        nonce = csp_nonce()
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
        if page is None:
            html = render()
            if token is not None:
                html = html.replace(token, _CSRF_PLACEHOLDER)
            page = _PLACEHOLDERS.split(html.replace(nonce, _NONCE_PLACEHOLDER))
            with self._lock:
                self._pages[key] = page
                if len(self._pages) > self._size:
                    self._pages.popitem(last=False)
        filled = {placeholder(name): str(escape(value)) for name, value in (values or {}).items()}
        filled[_NONCE_PLACEHOLDER] = nonce
        if token is not None:
            filled[_CSRF_PLACEHOLDER] = token
        # Odd positions are placeholders; one with no value given stays as it is.
        return "".join(
            filled.get(part, part) if position % 2 else part for position, part in enumerate(page)
        )

    def clear(self) -> None:
        """Forget every page (after survey definitions or templates change)."""
        with self._lock:
            self._pages.clear()


blank_pages = BlankPageCache()
