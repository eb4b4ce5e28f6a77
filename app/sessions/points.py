"""Turning a lead's free-text notes into points, and keeping point identity on edit.

A community lead types what was said under each question as free text, one point
per line. Each point becomes a response that can be theme-coded and reviewed, so
when a lead later edits the notes we must work out which new lines are the old
points (and keep their ids) and which are genuinely new.

Plain functions only: no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict, deque
from collections.abc import Sequence
from difflib import SequenceMatcher

__all__ = [
    "FUZZY_MATCH_THRESHOLD",
    "clean_text",
    "match_points",
    "split_points",
    "strip_bullet",
]

# Two versions of a point at least this similar (difflib ratio) are the same point.
FUZZY_MATCH_THRESHOLD = 0.6

# Bullet characters people paste from Word, Outlook, WhatsApp and web pages.
_BULLET_CHARS = "-*•·–—▪‣>◦●○■□➢➤►✓✔"

# One leading bullet or list number, and the space after it. Numbering needs
# punctuation and a following space (or end of line) so ordinary sentences such as
# "2 lads were stabbed" or "A lot of fear" are left alone.
_BULLET_CLASS = "[" + re.escape(_BULLET_CHARS) + "]"
_LIST_MARKER = re.compile(
    r"""^(?:
        {bullet}+(?:\s+|$)                                          # - * • > ...
      | \(\s*(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,5})\s*\)(?:\s+|$)    # (1) (a) (iv)
      | (?:\d{1,3}|[a-zA-Z]|[ivx]{1,5}|[IVX]{1,5})[.)](?:\s+|$)  # 1. 1) a) iv.
      | \d{1,3}:(?:\s+|$)                                         # 1:
      | [Qq]\s?\d{1,2}\s*[.):\-–—]?(?:\s+|$)                     # Q1: Q1. Q 2)
    )""".replace("{bullet}", _BULLET_CLASS),
    re.VERBOSE,
)

# Line and paragraph separators and tabs become spaces; other control characters
# (C0, DEL, C1) and stray byte-order marks are removed. Zero-width joiners are kept
# because Gujarati, Hindi and Punjabi text (and emoji) need them.
_TO_SPACE = {ord(c): " " for c in "\t\n\r\x0b\x0c\x85\u2028\u2029"}
_TO_DROP: dict[int, None] = {
    cp: None for cp in (*range(0x20), *range(0x7F, 0xA0), 0xFEFF) if cp not in _TO_SPACE
}
_TRANSLATION = {**_TO_DROP, **_TO_SPACE}


def clean_text(text: str) -> str:
    """Return ``text`` as one tidy line.

    Applies Unicode NFC normalisation, turns newlines, tabs and other line breaks
    into spaces, removes other control characters, collapses runs of whitespace to
    a single space and trims the ends. Does not remove bullets (see
    :func:`strip_bullet`).
    """
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATION)
    return " ".join(text.split())


def strip_bullet(line: str) -> str:
    """Remove a leading bullet or list number from ``line`` and trim it.

    Handles bullets (``-``, ``*``, ``•``, ``·``, ``–``, ``—``, ``▪``, ``‣``,
    ``>`` and similar) and numbering such as ``1.``, ``1)``, ``(1)``, ``a)``,
    ``iv.``, ``1:`` and ``Q1:``. Nested markers (``1. - point``) are all removed.
    A line that is nothing but a marker becomes the empty string. Words that merely
    start with a number or letter ("2 lads", "A lot") are left alone.
    """
    result = line.strip()
    # Bounded loop: each pass removes at least one character.
    for _ in range(5):
        stripped = _LIST_MARKER.sub("", result, count=1).strip()
        if stripped == result:
            break
        result = stripped
    return result


def split_points(text: str) -> list[str]:
    """Split a lead's notes for one question into points, one per non-empty line.

    Each line is stripped of bullets and numbering (:func:`strip_bullet`) and
    cleaned (:func:`clean_text`: control characters removed, whitespace collapsed).
    Lines left empty are dropped. Lines are not joined: a line that continues the
    previous sentence is still its own point, which keeps the rule predictable for
    leads ("one line, one point").
    """
    points: list[str] = []
    for line in text.splitlines():
        point = strip_bullet(clean_text(line))
        if point:
            points.append(point)
    return points


def _comparison_key(text: str) -> str:
    return clean_text(text).casefold()


def match_points(
    existing: Sequence[tuple[int, str]], new_texts: Sequence[str]
) -> list[tuple[int | None, str]]:
    """Decide which of the new texts are existing points, so their ids survive an edit.

    ``existing`` is the session's current points as ``(id, text)`` in their
    current order; ``new_texts`` is the edited list of points. Returns one
    ``(id_or_None, text)`` per new text, in the order of ``new_texts``. Existing
    ids that do not appear in the result should be deleted by the caller.

    The rule, applied in two passes, each existing id used at most once:

    1. Exact matches. A new text equal to an existing text (ignoring differences in
       letter case and whitespace) keeps that point's id, even if the points were
       reordered. Duplicates pair up in order: the first copy gets the first id.
    2. Near matches. Each remaining new text and remaining existing point whose
       ``difflib.SequenceMatcher`` ratio is at least :data:`FUZZY_MATCH_THRESHOLD`
       (0.6) is a candidate pair. Pairs are taken best-first (highest ratio); ties go
       to the earlier new text, then to the earlier existing point. So a typo fix
       keeps its id, and when two edited points could both claim the same old one,
       the closer edit wins rather than whichever happens to come first.

    Every other new text gets ``None`` (a new point).
    """
    result: list[int | None] = [None] * len(new_texts)
    new_keys = [_comparison_key(t) for t in new_texts]

    # Pass 1: exact matches.
    ids_by_key: dict[str, deque[int]] = defaultdict(deque)
    for point_id, text in existing:
        ids_by_key[_comparison_key(text)].append(point_id)
    used: set[int] = set()
    for index, key in enumerate(new_keys):
        queue = ids_by_key.get(key)
        if queue:
            point_id = queue.popleft()
            result[index] = point_id
            used.add(point_id)

    # Pass 2: near matches among what is left.
    remaining_existing = [
        (position, point_id, _comparison_key(text))
        for position, (point_id, text) in enumerate(existing)
        if point_id not in used
    ]
    remaining_new = [(i, key) for i, key in enumerate(new_keys) if result[i] is None]
    candidates: list[tuple[float, int, int, int]] = []
    matcher = SequenceMatcher(autojunk=False)
    for position, point_id, old_key in remaining_existing:
        # SequenceMatcher caches its analysis of seq2, so vary seq1 in the inner loop.
        matcher.set_seq2(old_key)
        for new_index, new_key in remaining_new:
            matcher.set_seq1(new_key)
            # The cheap upper bounds rule most pairs out before the costly ratio().
            if (
                matcher.real_quick_ratio() >= FUZZY_MATCH_THRESHOLD
                and matcher.quick_ratio() >= FUZZY_MATCH_THRESHOLD
            ):
                ratio = matcher.ratio()
                if ratio >= FUZZY_MATCH_THRESHOLD:
                    candidates.append((-ratio, new_index, position, point_id))
    candidates.sort()
    for _, new_index, _, point_id in candidates:
        if result[new_index] is None and point_id not in used:
            result[new_index] = point_id
            used.add(point_id)

    return list(zip(result, new_texts, strict=True))
