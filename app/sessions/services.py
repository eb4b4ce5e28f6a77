"""Recording, editing, deleting and importing session notes.

Views validate input and call these functions; these functions enforce
which areas a person may touch, write in one transaction with the audit row,
and never commit half an import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import audit
from app.auth.permissions import can_read_area, can_write_area, readable_area_ids
from app.coding import ResponseText, code_responses, code_saved
from app.extensions import db
from app.models import (
    Area,
    ConversationSession,
    Question,
    Response,
    ResponseCode,
    User,
    utcnow,
)
from app.reference import QUESTION_IDS
from app.sessions.importing import ImportedSession, ImportRejected, RowError
from app.sessions.points import match_points

PAGE_SIZE = 25


class SessionNotFound(LookupError):
    """No such session, it was deleted, or it is in an area the person cannot see."""


class AreaNotAllowed(PermissionError):
    """The person may not record notes in this area."""


@dataclass(frozen=True)
class SessionDetails:
    """Where and when a session was held and who took part."""

    area_id: int
    held_on: date
    venue: str
    audience: str
    participants: int
    facilitator: str


@dataclass
class PointChanges:
    """What an edit did to a session's points."""

    added: int = 0
    kept: int = 0
    edited: int = 0
    removed: int = 0


@dataclass(frozen=True)
class SessionFilters:
    """Filters on the list of sessions."""

    area_id: int | None = None
    audience: str | None = None
    held_from: date | None = None
    held_to: date | None = None


@dataclass
class ImportSummary:
    """What an import saved."""

    sessions: int = 0
    responses: int = 0
    session_ids: list[int] = field(default_factory=list)


def list_sessions(
    user: User, filters: SessionFilters, page: int = 1
) -> tuple[list[ConversationSession], int]:
    """Return one page of the sessions `user` may read, newest first, and the total count."""
    query = sa.select(ConversationSession).where(ConversationSession.deleted_at.is_(None))
    allowed = readable_area_ids(user)
    if allowed is not None:
        query = query.where(ConversationSession.area_id.in_(allowed or {-1}))
    if filters.area_id:
        query = query.where(ConversationSession.area_id == filters.area_id)
    if filters.audience:
        query = query.where(ConversationSession.audience == filters.audience)
    if filters.held_from:
        query = query.where(ConversationSession.held_on >= filters.held_from)
    if filters.held_to:
        query = query.where(ConversationSession.held_on <= filters.held_to)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    counts = (
        sa.select(sa.func.count(Response.id))
        .where(Response.session_id == ConversationSession.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        query.add_columns(counts)
        .options(selectinload(ConversationSession.area))
        .order_by(ConversationSession.held_on.desc(), ConversationSession.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    sessions = []
    for conversation, response_count in rows:
        conversation.response_count = response_count
        sessions.append(conversation)
    return sessions, total


def get_session(user: User, session_id: int, *, for_change: bool = False) -> ConversationSession:
    """Return the live session `session_id` if `user` may read it (or change it)."""
    conversation = db.session.get(
        ConversationSession,
        session_id,
        # The detail page shows every point with its themes: load them in three queries.
        options=[
            selectinload(ConversationSession.responses)
            .selectinload(Response.codes)
            .selectinload(ResponseCode.theme)
        ],
    )
    if conversation is None or conversation.deleted_at is not None:
        raise SessionNotFound(session_id)
    allowed = can_write_area if for_change else can_read_area
    if not allowed(user, conversation.area_id):
        # Not found, rather than forbidden: a lead learns nothing about other areas.
        raise SessionNotFound(session_id)
    return conversation


def _check_area(user: User, area_id: int) -> None:
    if not can_write_area(user, area_id) or db.session.get(Area, area_id) is None:
        raise AreaNotAllowed(area_id)


def _apply_details(conversation: ConversationSession, details: SessionDetails) -> None:
    conversation.area_id = details.area_id
    conversation.held_on = details.held_on
    conversation.venue = details.venue
    conversation.audience = details.audience
    conversation.participants = details.participants
    conversation.facilitator = details.facilitator


def find_by_submission_key(user: User, key: str | None) -> ConversationSession | None:
    """Return the session `user` already saved from the form carrying `key`, if any."""
    if not key:
        return None
    return db.session.scalar(
        sa.select(ConversationSession).where(
            ConversationSession.submission_key == key,
            ConversationSession.created_by_id == user.id,
        )
    )


def create_session(
    user: User,
    details: SessionDetails,
    points: Mapping[str, Sequence[str]],
    submission_key: str | None = None,
) -> ConversationSession:
    """Record a new session with its points, audited, in the caller's transaction."""
    _check_area(user, details.area_id)
    conversation = ConversationSession(created_by=user, submission_key=submission_key or None)
    _apply_details(conversation, details)
    for question_id in QUESTION_IDS:
        for position, text in enumerate(points.get(question_id, ())):
            conversation.responses.append(_new_response(conversation, question_id, position, text))
    db.session.add(conversation)
    db.session.flush()
    code_saved(conversation.responses, new=True)
    audit.record(
        "session_created",
        target=conversation,
        details={"area_id": details.area_id, "responses": len(conversation.responses)},
    )
    return conversation


def _new_response(
    conversation: ConversationSession, question_id: str, position: int, text: str
) -> Response:
    return Response(
        source="session",
        question_id=question_id,
        area_id=conversation.area_id,
        position=position,
        text=text,
    )


def update_session(
    user: User,
    conversation: ConversationSession,
    details: SessionDetails,
    points: Mapping[str, Sequence[str]],
) -> PointChanges:
    """Change a session and its points, keeping the ids of points that did not change.

    A point whose text is unchanged or only lightly edited keeps its id (see
    `match_points`), so theme codes and reviews attached to it survive.
    """
    if not can_write_area(user, conversation.area_id):
        raise SessionNotFound(conversation.id)
    _check_area(user, details.area_id)
    _apply_details(conversation, details)
    changes = PointChanges()
    # New and reworded points are coded again; unchanged ones keep their codes.
    to_code: list[Response] = []
    for question_id in QUESTION_IDS:
        existing = conversation.responses_for(question_id)
        by_id = {response.id: response for response in existing}
        matched = match_points(
            [(response.id, response.text) for response in existing],
            list(points.get(question_id, ())),
        )
        kept_ids = set()
        for position, (response_id, text) in enumerate(matched):
            if response_id is None:
                response = _new_response(conversation, question_id, position, text)
                conversation.responses.append(response)
                to_code.append(response)
                changes.added += 1
                continue
            response = by_id[response_id]
            kept_ids.add(response_id)
            if response.text != text:
                response.text = text
                to_code.append(response)
                changes.edited += 1
            else:
                changes.kept += 1
            response.position = position
            response.area_id = details.area_id
        for response in existing:
            if response.id not in kept_ids:
                conversation.responses.remove(response)
                changes.removed += 1
    db.session.flush()
    code_saved(to_code)
    conversation.updated_at = utcnow()
    audit.record(
        "session_edited",
        target=conversation,
        details={
            "added": changes.added,
            "edited": changes.edited,
            "kept": changes.kept,
            "removed": changes.removed,
        },
    )
    return changes


def delete_session(user: User, conversation: ConversationSession) -> None:
    """Soft-delete a session: hidden everywhere, kept for the audit trail."""
    if not can_write_area(user, conversation.area_id):
        raise SessionNotFound(conversation.id)
    conversation.deleted_at = utcnow()
    conversation.deleted_by_id = user.id
    audit.record("session_deleted", target=conversation, details={"area_id": conversation.area_id})


def areas_by_name() -> dict[str, Area]:
    """Return every area keyed by its name."""
    return {area.name: area for area in db.session.scalars(sa.select(Area))}


def writable_area_names(user: User | None) -> list[str] | None:
    """Return the names of the areas `user` may import into (None: every area)."""
    if user is None or user.role == "admin":
        return None
    return sorted(area.name for area in user.areas if can_write_area(user, area.id))


def import_sessions(
    imported: Sequence[ImportedSession], user: User | None, filename: str
) -> ImportSummary:
    """Save parsed sessions in the caller's transaction, or raise ImportRejected.

    A session_ref that was imported before is refused, so importing the same
    file twice saves nothing the second time.
    """
    refs = [session.session_ref for session in imported]
    taken = set(
        db.session.scalars(
            sa.select(ConversationSession.reference).where(ConversationSession.reference.in_(refs))
        )
    )
    if taken:
        raise ImportRejected(
            [
                RowError(
                    session.row,
                    "session_ref",
                    f"Session {session.session_ref!r} has already been imported",
                )
                for session in imported
                if session.session_ref in taken
            ]
        )
    areas = areas_by_name()
    summary = ImportSummary()
    conversations = []
    for item in imported:
        area = areas[item.area]
        if user is not None and not can_write_area(user, area.id):
            raise AreaNotAllowed(area.id)
        conversation = ConversationSession(
            reference=item.session_ref,
            area=area,
            held_on=item.held_on,
            venue=item.venue,
            audience=item.audience,
            participants=item.participants,
            facilitator=item.facilitator,
            created_by=user,
        )
        db.session.add(conversation)
        conversations.append(conversation)
    db.session.flush()
    # The points go in as one multi-row INSERT: building 10,000 ORM objects
    # costs several seconds, which a large import should not.
    rows = []
    now = utcnow()
    for item, conversation in zip(imported, conversations, strict=True):
        positions: dict[str, int] = {}
        for point in item.points:
            position = positions.get(point.question, 0)
            positions[point.question] = position + 1
            rows.append(
                {
                    "source": "session",
                    "session_id": conversation.id,
                    "question_id": point.question,
                    "area_id": conversation.area_id,
                    "position": position,
                    "text": point.text,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        summary.session_ids.append(conversation.id)
    if rows:
        inserted = db.session.execute(
            sa.insert(Response).returning(
                Response.id, Response.text, Response.question_id, sort_by_parameter_order=True
            ),
            rows,
        )
        code_responses([ResponseText(*row) for row in inserted], new=True)
    summary.sessions = len(conversations)
    summary.responses = len(rows)
    audit.record(
        "sessions_imported",
        actor=user,
        actor_label=user.email if user else "command line",
        details={
            "filename": filename[:200],
            "sessions": summary.sessions,
            "responses": summary.responses,
        },
    )
    return summary


def questions_by_id() -> dict[str, Question]:
    """Return the four questions keyed by id."""
    return {question.id: question for question in db.session.scalars(sa.select(Question))}
