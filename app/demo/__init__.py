"""The demo data set: staff sign-ins and community sessions written for this project.

Used by `make run` so a newcomer has something to look at. Never loaded in
production: the passwords below are public.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from app.admin.services import create_user
from app.auth.passwords import hash_password
from app.extensions import db
from app.models import Area, ConversationSession, User
from app.sessions.importing import parse_session_rows, read_import_file
from app.sessions.services import import_sessions

DEMO_SESSIONS = Path(__file__).resolve().parent / "demo_sessions.csv"


@dataclass(frozen=True)
class DemoUser:
    """A demo sign-in."""

    email: str
    name: str
    role: str
    password: str
    areas: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("admin@demo.community-voice.org.uk", "Alex Admin", "admin", "demo-admin-pass-2026"),
    DemoUser(
        "strategy@demo.community-voice.org.uk",
        "Sam Strategy",
        "strategy",
        "demo-strategy-pass-2026",
    ),
    DemoUser(
        "lead@demo.community-voice.org.uk",
        "Lee Lead",
        "lead",
        "demo-lead-pass-2026",
        ("Belgrave", "Highfields"),
    ),
    DemoUser(
        "lead2@demo.community-voice.org.uk",
        "Robin Lead",
        "lead",
        "demo-lead2-pass-2026",
        ("Braunstone", "New Parks"),
    ),
)


def load_demo_data() -> dict[str, int]:
    """Create the demo users and import the demo sessions, once; return what was added."""
    added = {"users": 0, "sessions": 0, "responses": 0}
    areas = {area.name: area for area in db.session.scalars(sa.select(Area))}
    if not areas:
        raise RuntimeError("Load the reference data first: flask reference load")
    for demo in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == demo.email)) is None:
            create_user(
                email=demo.email,
                name=demo.name,
                role=demo.role,
                area_ids=[areas[name].id for name in demo.areas],
                password_hash=hash_password(demo.password),
            )
            added["users"] += 1
    rows = read_import_file(DEMO_SESSIONS.read_bytes(), DEMO_SESSIONS.name)
    parsed = parse_session_rows(rows, area_names=list(areas))
    existing = set(
        db.session.scalars(
            sa.select(ConversationSession.reference).where(
                ConversationSession.reference.is_not(None)
            )
        )
    )
    new = [session for session in parsed if session.session_ref not in existing]
    if new:
        summary = import_sessions(new, None, DEMO_SESSIONS.name)
        added["sessions"], added["responses"] = summary.sessions, summary.responses
    return added
