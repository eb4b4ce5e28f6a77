"""Stored codebook versions: what each holds, and how the app's themes follow the latest.

A version's content is the whole codebook in the shape
`analysis.codebook_from_dict` reads: themes (each with its own patterns,
exclusions and negation mode), concepts, questions and the shared rule data
(word lists, spellings, rejection cues). Storing it whole means any version
can be rebuilt into exactly the coder that coded with it, whatever later
happens to the shipped files. Version 1 is the shipped codebook.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

import analysis
from app.extensions import db
from app.models import CodebookVersion, Concept, Theme, User, utcnow

# The score a pattern written without one gives (as in analysis/data/patterns.yaml).
DEFAULT_SCORE = 0.9


def theme_content(theme: analysis.Theme) -> dict[str, Any]:
    """Return one parsed theme as stored in a version's content."""
    return {
        "id": theme.id,
        "label": theme.label,
        "definition": theme.definition,
        "group": theme.group,
        "concepts": list(theme.concepts),
        "patterns": [{"p": p.text, "score": p.score} for p in theme.patterns],
        "excludes": list(theme.excludes),
        "negation": theme.negation,
        "retired": theme.retired,
    }


def content_of(codebook: analysis.Codebook, version: int) -> dict[str, Any]:
    """Return a parsed codebook as a version's content, numbered `version`."""
    return {
        "version": version,
        "patterns_version": codebook.patterns_version,
        "concepts": [{"id": key, "label": label} for key, label in codebook.concepts.items()],
        "questions": [{"id": key, "text": text} for key, text in codebook.questions.items()],
        "themes": [theme_content(theme) for theme in codebook.themes],
        "lexicons": {name: list(words) for name, words in codebook.lexicons.items()},
        "variants": dict(codebook.variants),
        "rejection_cues": list(codebook.rejection_cues),
        "rejection_after": list(codebook.rejection_after),
        "rejection_cues_reject_mode": list(codebook.rejection_cues_reject_mode),
    }


@lru_cache(maxsize=1)
def _shipped_json() -> str:
    # Parsing the shipped YAML takes ~0.3 s; the files do not change while a process runs.
    return json.dumps(content_of(analysis.load_codebook(), 1))


def shipped_content() -> dict[str, Any]:
    """Return the shipped codebook (codebook.yaml plus patterns.yaml) as version 1's content."""
    return dict(json.loads(_shipped_json()))


def copy_content(content: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy of a version's content (JSON data: ten times quicker than deepcopy)."""
    return dict(json.loads(json.dumps(content)))


def digest_of(content: dict[str, Any]) -> str:
    """Return the SHA-256 of a version's content (key order does not matter)."""
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def build_codebook(content: dict[str, Any]) -> analysis.Codebook:
    """Rebuild the analysis codebook a version's content describes.

    The content carries every theme's patterns itself, so no shipped pattern
    data is merged in. Raises `analysis.CodebookError` on malformed content.
    """
    return analysis.codebook_from_dict(
        content, {"version": str(content.get("patterns_version", "0"))}
    )


# Built once and run without the ORM layer: every survey submission asks,
# and building the statement cost more than running it.
_LATEST_KEY = (
    sa.select(CodebookVersion.__table__.c.version, CodebookVersion.__table__.c.digest)
    .order_by(CodebookVersion.__table__.c.version.desc())
    .limit(1)
)


def latest_key() -> tuple[int, str] | None:
    """Return the latest version's number and digest (one small query), or None."""
    row = db.session.connection().execute(_LATEST_KEY).first()
    return (row.version, row.digest) if row is not None else None


def latest_version() -> CodebookVersion | None:
    """Return the latest stored version (with its content), or None before seeding."""
    return db.session.scalar(
        sa.select(CodebookVersion).order_by(CodebookVersion.version.desc()).limit(1)
    )


def get_version(number: int) -> CodebookVersion | None:
    """Return version `number`, or None."""
    return db.session.scalar(sa.select(CodebookVersion).where(CodebookVersion.version == number))


def new_version(
    content: dict[str, Any],
    *,
    summary: str,
    changes: list[dict[str, Any]] | None = None,
    note: str | None = None,
    by: User | None = None,
) -> CodebookVersion:
    """Add a version (numbered by `content["version"]`) to the caller's transaction."""
    row = CodebookVersion(
        version=int(content["version"]),
        content=copy_content(content),
        digest=digest_of(content),
        summary=summary[:500],
        changes=changes or [],
        note=note or None,
        created_by=by,
        created_at=utcnow(),
    )
    db.session.add(row)
    return row


def seed_first_version() -> CodebookVersion | None:
    """Store the shipped codebook as version 1 unless a version exists; return it if added."""
    if db.session.scalar(sa.select(CodebookVersion.id).limit(1)) is not None:
        return None
    return new_version(shipped_content(), summary="The codebook as shipped with Community Voice")


def apply_to_themes(content: dict[str, Any], version: int, changed: set[str] | None) -> None:
    """Make the theme rows (labels, definitions, concept links, retirement) match `content`.

    Themes named in `changed` (every theme when None) are marked as last
    changed in `version`. Theme rows are never deleted: codes refer to them.
    """
    concepts = {concept.id: concept for concept in db.session.scalars(sa.select(Concept))}
    themes = {
        theme.id: theme
        for theme in db.session.scalars(sa.select(Theme).options(selectinload(Theme.concepts)))
    }
    now = utcnow()
    with db.session.no_autoflush:
        for position, item in enumerate(content["themes"]):
            theme = themes.get(item["id"])
            if theme is None:
                theme = Theme(id=item["id"], concepts=[])
                db.session.add(theme)
            theme.label = item["label"]
            theme.definition = item.get("definition", "")
            theme.group = item.get("group", "")
            theme.position = position
            linked = [concepts[c] for c in item.get("concepts", []) if c in concepts]
            if [c.id for c in theme.concepts] != [c.id for c in linked]:
                theme.concepts = linked
            if item.get("retired"):
                if theme.retired_at is None:
                    theme.retired_at = now
            else:
                theme.retired_at = None
            if changed is None or item["id"] in changed or theme.codebook_version is None:
                theme.codebook_version = version
