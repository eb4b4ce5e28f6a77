"""Reference values shared by the models, the forms and the importers.

Kept free of Flask and SQLAlchemy imports so that plain functions (the session
importer, the demo loader, tests) can use them without an application.
"""

from __future__ import annotations

from typing import Final

# The four questions every community conversation was built on, in the order
# the strategy asks them. The ids are stable: imports and the codebook use them.
QUESTION_IDS: Final = ("what_where", "why", "impact", "help")

# Who took part in a session. The keys are stored; the labels are shown.
AUDIENCES: Final[dict[str, str]] = {
    "residents": "Residents",
    "young_people": "Young people",
    "parents_families": "Parents and families",
    "lived_experience": "People with lived experience",
    "professionals": "Professionals",
    "mixed": "Mixed",
}

# Staff roles, from most to least privileged.
ROLES: Final[dict[str, str]] = {
    "admin": "Administrator",
    "strategy": "Strategy team",
    "lead": "Community lead",
}

# Where a response came from.
SOURCES: Final[dict[str, str]] = {
    "session": "Community session",
    "survey": "Online survey",
}
