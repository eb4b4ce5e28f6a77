"""Loading reference data (areas, questions, concepts, themes) from the codebook.

The codebook is the project's copy of the strategy's themes and concepts,
kept in analysis/data/codebook.yaml so the analysis and the app read the same
file. Loading is an upsert: running it again changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from app.codebook.versions import apply_to_themes, latest_version, seed_first_version
from app.extensions import db
from app.models import Area, Concept, Question

CODEBOOK_PATH = Path(__file__).resolve().parent.parent / "analysis" / "data" / "codebook.yaml"

# Short labels for the four questions, for table headings and filters.
QUESTION_SHORT_LABELS = {
    "what_where": "What and where",
    "why": "Why",
    "impact": "Impact",
    "help": "What would help",
}


class CodebookError(ValueError):
    """The codebook file is missing a part the app needs."""


def slugify(name: str) -> str:
    """Return a URL-friendly lower-case slug of `name`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def read_codebook(path: Path = CODEBOOK_PATH) -> dict[str, Any]:
    """Read and minimally check the codebook YAML."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    for key in ("concepts", "questions", "areas", "themes"):
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise CodebookError(f"{path}: the codebook has no '{key}' list")
    return data


def load_reference_data(path: Path = CODEBOOK_PATH) -> dict[str, int]:
    """Insert or update areas, questions, concepts and themes; return counts."""
    data = read_codebook(path)
    for position, name in enumerate(data["areas"]):
        area = db.session.scalar(sa.select(Area).where(Area.name == name))
        if area is None:
            area = Area(name=name, slug=slugify(name))
            db.session.add(area)
        area.position = position
    for position, item in enumerate(data["questions"]):
        question = db.session.get(Question, item["id"]) or Question(id=item["id"])
        question.text = item["text"]
        question.short_label = QUESTION_SHORT_LABELS.get(item["id"], item["id"])
        question.position = position
        db.session.add(question)
    concepts: dict[str, Concept] = {}
    for position, item in enumerate(data["concepts"]):
        concept = db.session.get(Concept, item["id"]) or Concept(id=item["id"])
        concept.label = item["label"]
        concept.position = position
        db.session.add(concept)
        concepts[concept.id] = concept
    for item in data["themes"]:
        missing = [c for c in item.get("concepts", []) if c not in concepts]
        if missing:
            raise CodebookError(f"theme {item['id']} names unknown concept {missing[0]!r}")
    # Themes follow the stored codebook: version 1 is this file (with its
    # patterns); after that the codebook editor's latest version wins, so
    # loading again never undoes an edit.
    db.session.flush()
    seeded = seed_first_version()
    latest = seeded or latest_version()
    assert latest is not None
    apply_to_themes(latest.content, latest.version, None if seeded else set())
    db.session.flush()
    return {
        "areas": len(data["areas"]),
        "questions": len(data["questions"]),
        "concepts": len(data["concepts"]),
        "themes": len(data["themes"]),
    }
