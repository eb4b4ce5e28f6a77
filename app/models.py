"""The data model: reference data, staff, conversation sessions, responses, audit.

`Response` is the unit everything else attaches to: one point made in a
session (and, later, one open answer in the survey). Theme codes, reviews and
safeguarding flags refer to a response by id, so a response keeps its id for
as long as its text is recognisably the same point.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.reference import AUDIENCES, ROLES, SOURCES


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a secret token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite has no time zone type and hands back naive values; without this,
    comparing a stored time with `utcnow()` would fail on SQLite only.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _enum_check(column: str, values: Any) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


# --- reference data ---------------------------------------------------------


class Area(db.Model):  # type: ignore[name-defined,misc]
    """One of the city's areas where conversations are held."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Area {self.name}>"


class Question(db.Model):  # type: ignore[name-defined,misc]
    """One of the four questions conversations and the survey are built on."""

    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    short_label: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)


theme_concepts = sa.Table(
    "theme_concepts",
    db.metadata,
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("concept_id", sa.ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True),
)


class Concept(db.Model):  # type: ignore[name-defined,misc]
    """One of the strategy's five core concepts."""

    __tablename__ = "concepts"

    id: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    themes: Mapped[list[Theme]] = relationship(
        secondary=theme_concepts, back_populates="concepts", order_by="Theme.position"
    )


class Theme(db.Model):  # type: ignore[name-defined,misc]
    """A codebook theme that responses are coded into."""

    __tablename__ = "themes"

    id: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    group: Mapped[str] = mapped_column(sa.String(40))
    definition: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=0)
    codebook_version: Mapped[int] = mapped_column(default=1)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    concepts: Mapped[list[Concept]] = relationship(
        secondary=theme_concepts, back_populates="themes", order_by="Concept.position"
    )


# --- staff ------------------------------------------------------------------

lead_areas = sa.Table(
    "lead_areas",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A member of staff: an administrator, the strategy team or a community lead."""

    __tablename__ = "users"
    __table_args__ = (_enum_check("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20))
    # May see and act on safeguarding flags (administrators always may).
    safeguarding: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Empty until the person follows their invitation and chooses a password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    areas: Mapped[list[Area]] = relationship(secondary=lead_areas, order_by="Area.position")

    @property
    def session_token(self) -> str | None:
        """The token of the session this request is signed in with.

        Set at sign-in or when a request's session is loaded; Flask-Login
        stores it in the cookie in place of the user id, so the cookie names a
        server-side session that can be revoked.
        """
        return self.__dict__.get("_session_token")

    @session_token.setter
    def session_token(self, token: str | None) -> None:
        self.__dict__["_session_token"] = token

    def get_id(self) -> str | None:
        """Return the token of the signed-in session (what the cookie carries)."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        """Deactivated staff cannot sign in, and their sessions stop working."""
        return self.active

    @property
    def role_label(self) -> str:
        """Return the role as people read it."""
        return ROLES.get(self.role, self.role)

    @property
    def area_ids(self) -> set[int]:
        """Return the ids of the areas this person leads."""
        return {area.id for area in self.areas}

    @property
    def can_safeguard(self) -> bool:
        """True for administrators and staff given the safeguarding permission."""
        return self.active and (self.role == "admin" or self.safeguarding)

    def has_role(self, *roles: str) -> bool:
        """Return True when this person holds one of `roles`."""
        return self.role in roles


class StaffSession(db.Model):  # type: ignore[name-defined,misc]
    """A signed-in browser session, so that signing out can revoke it for good."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))

    user: Mapped[User] = relationship()


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    """A one-time link with which a person sets their password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


# --- what was said ----------------------------------------------------------


class ConversationSession(db.Model):  # type: ignore[name-defined,misc]
    """A community conversation: where and when it was held and who took part."""

    __tablename__ = "conversation_sessions"
    __table_args__ = (
        _enum_check("audience", AUDIENCES),
        sa.CheckConstraint("participants >= 1", name="participants_positive"),
        sa.Index("ix_conversation_sessions_area_held_on", "area_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The session_ref of an imported file, so that importing it twice is refused.
    reference: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    # A random key put in the "record a session" form, so that a double click
    # or a resubmitted form saves the session once.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    held_on: Mapped[date] = mapped_column(sa.Date)
    venue: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[str] = mapped_column(sa.String(40))
    participants: Mapped[int]
    facilitator: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    area: Mapped[Area] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    responses: Mapped[list[Response]] = relationship(
        back_populates="session",
        order_by="(Response.question_id, Response.position)",
        cascade="all, delete-orphan",
    )

    @property
    def audience_label(self) -> str:
        """Return the audience as people read it."""
        return AUDIENCES.get(self.audience, self.audience)

    def responses_for(self, question_id: str) -> list[Response]:
        """Return this session's points under one question, in order."""
        return sorted(
            (r for r in self.responses if r.question_id == question_id),
            key=lambda r: r.position,
        )


class Response(db.Model):  # type: ignore[name-defined,misc]
    """One point someone made: the unit that is coded, reviewed and quoted.

    A response comes from a source (a session now, the survey later). Its area
    and question are stored on the row itself so that summaries never need to
    know where a response came from.
    """

    __tablename__ = "responses"
    __table_args__ = (
        _enum_check("source", SOURCES),
        sa.Index("ix_responses_area_question", "area_id", "question_id"),
        # Covers the dashboard's pass over every selected response, so the
        # database reads this narrow index rather than rows holding the text.
        sa.Index(
            "ix_responses_summary", "id", "session_id", "submission_id", "area_id", "question_id"
        ),
        sa.CheckConstraint("(session_id IS NULL) OR (submission_id IS NULL)", name="one_origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversation_sessions.id", ondelete="CASCADE"), index=True
    )
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_submissions.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(sa.ForeignKey("questions.id"))
    # Survey respondents may prefer not to say where they live.
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Which coder last coded this text; re-coding picks the responses whose
    # version differs from the current coder's.
    coder_version: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    coded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The text with personal details replaced, stored when the response is
    # coded so that exports of 100,000 responses need not redact each again.
    # Used only while `redaction_key` matches the text and the redactor
    # (analysis.redaction.redaction_key); otherwise the text is redacted afresh.
    redacted_text: Mapped[str | None] = mapped_column(sa.Text)
    redaction_key: Mapped[str | None] = mapped_column(sa.String(64))
    # Set when a person has checked this response's themes; its codes are then theirs.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    session: Mapped[ConversationSession | None] = relationship(back_populates="responses")
    submission: Mapped[SurveySubmission | None] = relationship(back_populates="responses")
    question: Mapped[Question] = relationship()
    area: Mapped[Area | None] = relationship()
    codes: Mapped[list[ResponseCode]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )
    safeguarding_flag: Mapped[SafeguardingFlag | None] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


CODE_SOURCES = {"auto": "Automatic", "human": "Reviewed by a person"}


class ResponseCode(db.Model):  # type: ignore[name-defined,misc]
    """A theme given to a response, with the evidence for it.

    Automatic codes come from the analysis and are replaced when the response
    is re-coded. A person's decision (source "human") is never overwritten:
    `applied` False records that a person removed the theme, so re-coding
    does not put it back.
    """

    __tablename__ = "response_codes"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "theme_id"),
        _enum_check("source", CODE_SOURCES),
        sa.Index("ix_response_codes_theme_applied", "theme_id", "applied"),
        # A response's applied themes without reading the rows (their evidence is large).
        sa.Index("ix_response_codes_response_applied", "response_id", "applied", "theme_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[str] = mapped_column(sa.ForeignKey("themes.id", ondelete="CASCADE"))
    applied: Mapped[bool] = mapped_column(default=True)
    score: Mapped[float] = mapped_column(default=1.0)
    # [{"start": 0, "end": 12, "text": "scared to go"}]: offsets into the
    # response text, with the words, so a quote can be highlighted even
    # after the coder changes.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    source: Mapped[str] = mapped_column(sa.String(10), default="auto")
    coder_version: Mapped[str | None] = mapped_column(sa.String(120))
    # On a person's decision: the score the coder had given this theme, or None
    # if the coder had not coded it. Agreement between coder and people is
    # measured from this.
    coder_score: Mapped[float | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="codes")
    theme: Mapped[Theme] = relationship()
    decided_by: Mapped[User | None] = relationship()


class SafeguardingFlag(db.Model):  # type: ignore[name-defined,misc]
    """A response that may disclose a current risk to someone, for a person to act on."""

    __tablename__ = "safeguarding_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    score: Mapped[float] = mapped_column(default=0.0)
    detector_version: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actioned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    action_note: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="safeguarding_flag")


# --- the residents' survey --------------------------------------------------


class Survey(db.Model):  # type: ignore[name-defined,misc]
    """A survey residents can answer; its questions live in a definition file in surveys/."""

    __tablename__ = "surveys"

    id: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # An administrator can close a survey at once, or give it dates.
    accepting: Mapped[bool] = mapped_column(default=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_open(self, now: datetime | None = None) -> bool:
        """Return True while the survey takes answers."""
        now = now or utcnow()
        if not self.accepting:
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at


class SurveyDraft(db.Model):  # type: ignore[name-defined,misc]
    """Answers kept on the server between pages, until the respondent submits.

    The respondent's cookie holds a random token; only its hash is stored.
    """

    __tablename__ = "survey_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    survey_id: Mapped[str] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # A filled-in honeypot marks the draft as automated: it is never saved as a submission.
    suspected_bot: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveySubmission(db.Model):  # type: ignore[name-defined,misc]
    """One completed survey: its closed answers. Open answers are responses.

    Nothing here identifies the respondent: no IP address, browser details or
    contact details (those, if offered, are in survey_contacts, unlinked).
    """

    __tablename__ = "survey_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[str] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    survey_version: Mapped[int] = mapped_column(default=1)
    # Shown to the respondent on the confirmation page.
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    # The draft it came from: a resubmitted form finds this row instead of
    # making a second one.
    draft_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_drafts.id", ondelete="SET NULL"), unique=True
    )
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    area_answer: Mapped[str | None] = mapped_column(sa.String(60))
    age_band: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    area: Mapped[Area | None] = relationship()
    responses: Mapped[list[Response]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", passive_deletes=True
    )


class SurveyContact(db.Model):  # type: ignore[name-defined,misc]
    """Contact details a respondent offered for follow-up, kept apart from their answers.

    The id is random and only the date is kept, so neither the order of rows
    nor a timestamp can tie a contact to a submission.
    """

    __tablename__ = "survey_contacts"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    contact: Mapped[str] = mapped_column(sa.String(254))
    created_on: Mapped[date] = mapped_column(sa.Date, index=True)


# --- accountability ---------------------------------------------------------


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """Who did what, when. Never holds passwords or the text of notes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # For a failed sign-in there may be no user: the address typed is kept here.
    actor_label: Mapped[str | None] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(60))
    target_id: Mapped[str | None] = mapped_column(sa.String(60))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A personal token with which a strategy user reads the JSON API.

    Only the SHA-256 digest is stored: the token is shown once, when made.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


# --- the codebook as staff edit it --------------------------------------------


class CodebookVersion(db.Model):  # type: ignore[name-defined,misc]
    """One saved state of the whole codebook; every change in the editor adds one.

    `content` is the full codebook (themes with their patterns, concepts,
    questions and the shared rule data) in the shape `analysis.codebook_from_dict`
    reads, so any version can be rebuilt into a coder. Rows are never edited.
    """

    __tablename__ = "codebook_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3, ...: unique, so two editors saving at once cannot both make version N.
    version: Mapped[int] = mapped_column(unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # SHA-256 of the content: a process's cached coder is reused only for the same digest.
    digest: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(500))
    # What changed, field by field: [{"theme": "fear", "field": "label", ...}].
    changes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


RECODE_STATUSES = {
    "queued": "Waiting to start",
    "running": "Re-coding",
    "done": "Finished",
    "failed": "Failed",
    "superseded": "Replaced by a newer change",
}


class RecodeJob(db.Model):  # type: ignore[name-defined,misc]
    """Re-coding stored responses with one codebook version, batch by batch.

    A runner claims the job (status "running", its own `runner` id) and
    beats `heartbeat_at` with every batch; a job whose runner stopped beating
    can be taken over, and carries on after `last_response_id`.
    """

    __tablename__ = "recode_jobs"
    __table_args__ = (_enum_check("status", RECODE_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    codebook_version: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued", index=True)
    # Every response, not only those coded by another coder.
    everything: Mapped[bool] = mapped_column(default=False)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    codes: Mapped[int] = mapped_column(default=0)
    flagged: Mapped[int] = mapped_column(default=0)
    last_response_id: Mapped[int] = mapped_column(default=0)
    runner: Mapped[str | None] = mapped_column(sa.String(64))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        """Return the status as people read it."""
        return RECODE_STATUSES.get(self.status, self.status)

    @property
    def active(self) -> bool:
        """True while the job is waiting or running."""
        return self.status in ("queued", "running")

    @property
    def percent(self) -> int:
        """How far through the job is, 0-100 (100 once finished)."""
        if self.status == "done":
            return 100
        if self.total <= 0:
            return 0
        return min(100, (100 * self.done) // self.total)
