"""The codebook editor's changes: each one checked, stored as a new version, audited.

A change is made to the latest version's content and saved as the next
version; nothing is edited in place. The editor's form carries the version it
was opened on: if someone saved another version since, the change is refused
rather than silently overwriting theirs. Patterns are checked by compiling
them with the analysis package, line by line, so a mistake is reported on the
line it is on and nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import analysis
from app import audit
from app.codebook import recoding
from app.codebook.versions import (
    DEFAULT_SCORE,
    apply_to_themes,
    build_codebook,
    copy_content,
    latest_version,
    new_version,
)
from app.extensions import db
from app.models import CodebookVersion, Concept, RecodeJob, Theme, User

THEME_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
THEME_ID_MAX = 60
LABEL_MAX = 200
DEFINITION_MAX = 2000
NOTE_MAX = 500
MAX_PATTERNS = 1000
PATTERN_MAX = 300
# "word ~2 other [0.6]": a score in square brackets at the end of a line.
_SCORED_LINE = re.compile(r"^(?P<pattern>.*?)\s*\[(?P<score>[^\[\]]*)\]$")

GROUPS = {
    "driver": "What drives carrying and violence",
    "provision": "What would help (provision and services)",
    "impact": "How it affects people and places",
    "strength": "What the community already has (strengths)",
}


class CodebookChangeError(ValueError):
    """A change to the codebook that cannot be made."""


class StaleVersion(CodebookChangeError):
    """Someone saved a newer version since the form was opened."""

    def __init__(self, latest: CodebookVersion) -> None:
        who = latest.created_by.name if latest.created_by else "the system"
        when = f"{latest.created_at.day} {latest.created_at:%B %Y at %H:%M}"
        super().__init__(
            f"{who} saved version {latest.version} of the codebook on {when} UTC, after you "
            "opened this page. Your change has not been saved. Check the theme as it is now, "
            "then make your change again."
        )
        self.latest = latest.version


class InvalidChange(CodebookChangeError):
    """The change has mistakes; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class NothingChanged(CodebookChangeError):
    """The form was saved with nothing different: no version is made."""


@dataclass(frozen=True)
class ThemeRow:
    """A theme as the editor lists it."""

    id: str
    label: str
    definition: str
    group: str
    concepts: list[str]
    patterns: int
    excludes: int
    retired: bool


@dataclass
class Saved:
    """What a change stored: the new version and the re-coding job it queued."""

    version: CodebookVersion
    job: RecodeJob
    changes: list[dict[str, Any]] = field(default_factory=list)


# --- reading ------------------------------------------------------------------


def current() -> CodebookVersion:
    """Return the latest version (the one the app codes with)."""
    row = latest_version()
    if row is None:
        raise CodebookChangeError("No codebook is stored yet: run 'flask reference load'.")
    return row


def theme_rows(content: dict[str, Any]) -> list[ThemeRow]:
    """Return every theme of a version, active and retired, in codebook order."""
    return [
        ThemeRow(
            id=t["id"],
            label=t["label"],
            definition=t.get("definition", ""),
            group=t.get("group", ""),
            concepts=list(t.get("concepts", [])),
            patterns=len(t.get("patterns", [])),
            excludes=len(t.get("excludes", [])),
            retired=bool(t.get("retired")),
        )
        for t in content["themes"]
    ]


def find_theme(content: dict[str, Any], theme_id: str) -> dict[str, Any] | None:
    """Return the theme `theme_id` of a version's content, or None."""
    return next((t for t in content["themes"] if t["id"] == theme_id), None)


def concept_choices() -> list[tuple[str, str]]:
    """Return (id, label) of the core concepts, in strategy order."""
    return [
        (c.id, c.label) for c in db.session.scalars(sa.select(Concept).order_by(Concept.position))
    ]


def patterns_as_text(patterns: Sequence[dict[str, Any]]) -> str:
    """Write patterns one per line, with a [score] only where it is not the default."""
    lines = []
    for item in patterns:
        score = float(item.get("score", DEFAULT_SCORE))
        lines.append(item["p"] if score == DEFAULT_SCORE else f"{item['p']} [{score:g}]")
    return "\n".join(lines)


def history(limit: int = 100) -> list[CodebookVersion]:
    """Return the most recent versions, newest first."""
    return list(
        db.session.scalars(
            sa.select(CodebookVersion).order_by(CodebookVersion.version.desc()).limit(limit)
        )
    )


def lexicon_names(content: dict[str, Any]) -> list[str]:
    """Return the names of the word lists patterns may use as @name."""
    return sorted(content.get("lexicons", {}))


# --- checking -----------------------------------------------------------------


def _check_pattern(text: str, content: dict[str, Any]) -> str | None:
    """Compile one pattern on its own; return what is wrong with it, or None."""
    probe = {
        "themes": [{"id": "probe", "label": "probe", "patterns": [{"p": text, "score": 0.9}]}],
        "lexicons": content.get("lexicons", {}),
        "variants": content.get("variants", {}),
    }
    try:
        analysis.build_coder(analysis.codebook_from_dict(probe), None)
    except analysis.CodebookError as problem:
        return _friendly(str(problem), content)
    return None


def _friendly(message: str, content: dict[str, Any]) -> str:
    unknown = re.match(r"unknown lexicon '@?([^']*)'", message)
    if unknown:
        names = ", ".join(f"@{name}" for name in lexicon_names(content))
        return f"there is no word list called @{unknown.group(1)}. The word lists are {names}"
    if "cannot end with a gap" in message:
        return "a pattern cannot end with a gap (~N): put a word after it"
    if "must follow a word" in message:
        return "a gap (~N) must come after a word, with N from 0 to 12"
    if "bad gap" in message:
        return "a gap is written ~ then a number, like ~2 (or ~~2 to cross commas)"
    if "empty element" in message:
        return "there is an empty alternative: write a|b with a word on each side of |"
    if "cannot nest" in message:
        return "a word list entry cannot use another word list"
    return message


def parse_patterns(
    text: str, content: dict[str, Any], known: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], list[str]]:
    """Read the patterns box: one pattern per line, optionally ending in a [score].

    Returns the patterns (without repeats) and a message for each bad line.
    Patterns in `known` (the theme's saved ones) compiled before and are not
    compiled again.
    """
    patterns: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if sum(1 for line in lines if line.strip()) > MAX_PATTERNS:
        return [], [f"Enter {MAX_PATTERNS:,} patterns or fewer"]
    for number, raw in enumerate(lines, start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        shown = line if len(line) <= 60 else line[:57] + "..."
        if len(line) > PATTERN_MAX:
            errors.append(
                f"Line {number} is too long: a pattern must be {PATTERN_MAX} characters or fewer"
            )
            continue
        score = DEFAULT_SCORE
        scored = _SCORED_LINE.match(line)
        if scored:
            line = scored.group("pattern").strip()
            try:
                score = float(scored.group("score"))
            except ValueError:
                score = -1.0
            if not 0.0 <= score <= 1.0 or not line:
                errors.append(
                    f"Line {number} ({shown}): the score in square brackets must be a number "
                    "from 0 to 1, like [0.6], after the pattern"
                )
                continue
        problem = None if line in known else _check_pattern(line, content)
        if problem:
            errors.append(f"Line {number} ({shown}): {problem}")
            continue
        if line in seen:
            continue
        seen.add(line)
        patterns.append({"p": line, "score": score})
    return patterns, errors


def _check_text(errors: dict[str, list[str]], name: str, value: str, what: str, limit: int) -> str:
    """Return `value` trimmed, noting an error when it is empty or too long."""
    value = value.strip()
    if not value:
        errors.setdefault(name, []).append(f"Enter a {what}")
    elif len(value) > limit:
        errors.setdefault(name, []).append(
            f"{what.capitalize()} must be {limit:,} characters or fewer"
        )
    return value


def _check_concepts(errors: dict[str, list[str]], concept_ids: Sequence[str]) -> list[str]:
    known = [concept_id for concept_id, _label in concept_choices()]
    chosen = [c for c in known if c in set(concept_ids)]
    if not chosen or len(set(concept_ids)) != len(chosen):
        errors.setdefault("concepts", []).append(
            "Select at least one core concept this theme feeds"
        )
    return chosen


# --- saving -------------------------------------------------------------------


def _start(based_on: int) -> tuple[CodebookVersion, dict[str, Any]]:
    latest = current()
    if latest.version != based_on:
        raise StaleVersion(latest)
    return latest, copy_content(latest.content)


def _summarise(changes: list[dict[str, Any]]) -> str:
    parts = []
    for change in changes:
        kind = change["field"]
        if kind in ("added", "retired", "reinstated"):
            parts.append(f"{kind.capitalize()} theme {change['label']}")
        elif kind == "patterns":
            parts.append(
                f"{change['label']}: patterns ({len(change['added'])} added, "
                f"{len(change['removed'])} removed)"
            )
        elif kind == "concepts":
            parts.append(f"{change['label']}: concepts")
        else:
            parts.append(f"{change['label']}: {kind}")
    return "; ".join(parts)


def _store(
    latest: CodebookVersion,
    content: dict[str, Any],
    changes: list[dict[str, Any]],
    by: User,
    note: str | None,
    action: str,
    theme_id: str,
) -> Saved:
    number = latest.version + 1
    content["version"] = number
    try:
        # The whole codebook's structure (each new pattern was compiled on its own).
        build_codebook(content)
    except analysis.CodebookError as problem:
        raise InvalidChange({"patterns": [f"The codebook would not work: {problem}"]}) from None
    row = new_version(content, summary=_summarise(changes), changes=changes, note=note, by=by)
    try:
        db.session.flush()
    except IntegrityError:
        # Another editor's save took this version number first (PostgreSQL;
        # SQLite's write lock serialises the two saves before this point).
        db.session.rollback()
        raise StaleVersion(current()) from None
    apply_to_themes(content, number, {theme_id})
    job = recoding.queue_job(number, by)
    audit.record(
        action,
        actor=by,
        target=row,
        details={
            "version": number,
            "theme": theme_id,
            "fields": sorted({c["field"] for c in changes}),
            "patterns_added": sum(len(c.get("added", [])) for c in changes),
            "patterns_removed": sum(len(c.get("removed", [])) for c in changes),
            "recode_job": job.id,
        },
    )
    return Saved(row, job, changes)


def edit_theme(
    theme_id: str,
    *,
    based_on: int,
    label: str,
    definition: str,
    patterns_text: str,
    concept_ids: Sequence[str],
    by: User,
    note: str | None = None,
) -> Saved:
    """Change a theme's label, definition, patterns and concepts as a new version."""
    latest, content = _start(based_on)
    theme = find_theme(content, theme_id)
    if theme is None:
        raise CodebookChangeError(f"There is no theme {theme_id}")
    errors: dict[str, list[str]] = {}
    label = _check_text(errors, "label", label, "label", LABEL_MAX)
    definition = _check_text(errors, "definition", definition, "definition", DEFINITION_MAX)
    saved = frozenset(p["p"] for p in theme.get("patterns", []))
    patterns, pattern_errors = parse_patterns(patterns_text, content, saved)
    if pattern_errors:
        errors["patterns"] = pattern_errors
    concepts = _check_concepts(errors, concept_ids)
    if errors:
        raise InvalidChange(errors)
    changes: list[dict[str, Any]] = []
    base = {"theme": theme_id, "label": label}
    for name, value in (("label", label), ("definition", definition)):
        if theme.get(name, "") != value:
            changes.append({**base, "field": name, "before": theme.get(name, ""), "after": value})
    if theme.get("concepts", []) != concepts:
        before = set(theme.get("concepts", []))
        changes.append(
            {
                **base,
                "field": "concepts",
                "added": [c for c in concepts if c not in before],
                "removed": [c for c in theme.get("concepts", []) if c not in set(concepts)],
            }
        )
    old_lines = patterns_as_text(theme.get("patterns", [])).split("\n")
    new_lines = patterns_as_text(patterns).split("\n")
    if old_lines != new_lines:
        changes.append(
            {
                **base,
                "field": "patterns",
                "added": [line for line in new_lines if line and line not in set(old_lines)],
                "removed": [line for line in old_lines if line and line not in set(new_lines)],
            }
        )
    if not changes:
        raise NothingChanged("Nothing was changed, so no new version was saved.")
    theme.update(label=label, definition=definition, concepts=concepts, patterns=patterns)
    return _store(latest, content, changes, by, note, "codebook_theme_edited", theme_id)


def add_theme(
    *,
    based_on: int,
    theme_id: str,
    label: str,
    definition: str,
    group: str,
    patterns_text: str,
    concept_ids: Sequence[str],
    by: User,
    note: str | None = None,
) -> Saved:
    """Add a theme (after the last theme of its group) as a new version."""
    latest, content = _start(based_on)
    errors: dict[str, list[str]] = {}
    theme_id = theme_id.strip()
    if not theme_id:
        errors["theme_id"] = ["Enter an id for the theme"]
    elif len(theme_id) > THEME_ID_MAX or not THEME_ID_RE.match(theme_id):
        errors["theme_id"] = [
            f"The id must start with a lower-case letter and use only lower-case letters a to z, "
            f"digits and underscores, up to {THEME_ID_MAX} characters, like young_carers"
        ]
    elif find_theme(content, theme_id) is not None or db.session.get(Theme, theme_id):
        errors["theme_id"] = [
            f"There is already a theme with the id {theme_id}: choose another id "
            "(to bring back a retired theme, reinstate it)"
        ]
    label = _check_text(errors, "label", label, "label", LABEL_MAX)
    definition = _check_text(errors, "definition", definition, "definition", DEFINITION_MAX)
    if group not in GROUPS:
        errors["group"] = ["Select what kind of theme this is"]
    patterns, pattern_errors = parse_patterns(patterns_text, content)
    if pattern_errors:
        errors["patterns"] = pattern_errors
    concepts = _check_concepts(errors, concept_ids)
    if errors:
        raise InvalidChange(errors)
    theme: dict[str, Any] = {
        "id": theme_id,
        "label": label,
        "definition": definition,
        "group": group,
        "concepts": concepts,
        "patterns": patterns,
        "excludes": [],
        "negation": "polarity" if group in ("provision", "strength") else "reject",
        "retired": False,
    }
    themes = content["themes"]
    same_group = [i for i, t in enumerate(themes) if t.get("group") == group]
    themes.insert(same_group[-1] + 1 if same_group else len(themes), theme)
    changes = [
        {
            "theme": theme_id,
            "label": label,
            "field": "added",
            "added": patterns_as_text(patterns).split("\n") if patterns else [],
            "removed": [],
        }
    ]
    return _store(latest, content, changes, by, note, "codebook_theme_added", theme_id)


def set_retired(
    theme_id: str, *, retired: bool, based_on: int, by: User, note: str | None = None
) -> Saved:
    """Retire a theme (no longer coded, hidden from summaries; its codes stay) or reinstate it."""
    latest, content = _start(based_on)
    theme = find_theme(content, theme_id)
    if theme is None:
        raise CodebookChangeError(f"There is no theme {theme_id}")
    if bool(theme.get("retired")) == retired:
        state = "retired" if retired else "in use"
        raise NothingChanged(f"{theme['label']} is already {state}.")
    if retired and sum(1 for t in content["themes"] if not t.get("retired")) <= 1:
        raise CodebookChangeError("The codebook needs at least one theme in use.")
    theme["retired"] = retired
    kind = "retired" if retired else "reinstated"
    changes = [{"theme": theme_id, "label": theme["label"], "field": kind}]
    return _store(latest, content, changes, by, note, f"codebook_theme_{kind}", theme_id)


def retry_recoding(by: User) -> RecodeJob:
    """Queue a fresh re-coding with the latest version (after a failed or stopped job)."""
    job = recoding.queue_job(current().version, by)
    audit.record("codebook_recode_requested", actor=by, target=job, details={"job": job.id})
    return job
