"""The report "What the community told us", written the way the strategy's section 3.3 is.

For the current filters: an opening summary, then for each question the
leading themes with their shares and two or three redacted quotes each, the
roll-up into the five core concepts, and a short profile of each area. The
figures come from `summaries.overview`, so they match the overview page and
keep its small-number suppression; this module only chooses and words them.

Every share says what it is a share of. Quotes are redacted twice: on the
whole text before it is shortened (so a cut can never split a phone number
and leave half of it), and again by `highlight_redacted` on what is shown.
Responses flagged for safeguarding are never quoted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markupsafe import Markup

from analysis.redaction import PLACEHOLDERS, find_pii
from app.dashboard.quotes import highlight_redacted
from app.dashboard.summaries import Count, Filters, Overview, filtered_columns, overview
from app.extensions import db
from app.models import (
    ConversationSession,
    Question,
    Response,
    ResponseCode,
    SafeguardingFlag,
)
from app.reference import SOURCES

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# The PDF's own stylesheet: plain CSS that WeasyPrint reads from disk (the web
# page uses the compiled app.css, whose screen media queries WeasyPrint ignores).
PDF_STYLESHEET = Path(__file__).resolve().parent.parent / "assets_src" / "report_pdf.css"
PDF_STYLESHEET_PATH = "/assets/report-pdf.css"
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SUFFIXES = frozenset({".ttf", ".otf", ".ttc", ".woff", ".woff2"})
LEADING_THEMES = 3
QUOTES_PER_THEME = 3
# Long enough for a point to make sense, short enough to read in a report.
QUOTE_MAX_CHARS = 280
# Shares of an area this many percentage points or more from the city-wide
# share are called above or below it; closer ones are "close to" it.
NOTABLE_DIFFERENCE = 5
_CANDIDATES = 24
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class ReportQuote:
    """A redacted quote, with the words that carry the theme highlighted."""

    response_id: int
    html: Markup
    attribution: str
    reviewed: bool


@dataclass(frozen=True)
class LeadingTheme:
    """One of a question's leading themes, with quotes."""

    theme_id: str
    label: str
    count: Count
    quotes: list[ReportQuote]


@dataclass(frozen=True)
class QuestionSection:
    """What people said under one question."""

    question_id: str
    text: str
    total: int
    summary: Markup
    themes: list[LeadingTheme]


@dataclass(frozen=True)
class AreaTheme:
    """One of an area's top themes, against the city-wide share."""

    label: str
    count: Count
    city: Count
    comparison: str


@dataclass(frozen=True)
class AreaProfile:
    """A short profile of one area under the filters."""

    area_id: int
    name: str
    responses: int
    summary: str
    themes: list[AreaTheme]
    note: str = ""


@dataclass
class Report:
    """Everything the report shows for one set of filters."""

    generated_at: datetime
    filters: list[tuple[str, str]]
    survey_only: bool
    threshold: int
    overview: Overview
    opening: list[Markup]
    questions: list[QuestionSection]
    concepts_summary: Markup
    concepts: list[tuple[str, str, Count]]
    areas: list[AreaProfile]
    areas_without_responses: list[str] = field(default_factory=list)
    responses_without_area: int = 0

    @property
    def generated_label(self) -> str:
        """The generation time as people read it: "14 March 2026 at 10:32"."""
        return self.generated_at.strftime("%-d %B %Y at %H:%M")

    @property
    def generated_date(self) -> str:
        """The generation date for a file name: "2026-03-14"."""
        return self.generated_at.strftime("%Y-%m-%d")


class _Field(Protocol):
    """What `describe_filters` needs of a WTForms field."""

    data: Any

    @property
    def label(self) -> Any: ...


def describe_filters(form: Iterable[_Field], filters: Filters) -> list[tuple[str, str]]:
    """The filters applied, as (label, value) pairs people can read; [] when none.

    Only filters that took effect are listed: when the form did not validate
    the report covers everything, and so does this description.
    """
    if filters == Filters():
        return []
    applied = {key for key, value in asdict(filters).items() if value}
    names = {"area_id": "area", "question_id": "question"}
    wanted = {names.get(key, key) for key in applied}
    described = []
    for form_field in form:
        name = getattr(form_field, "name", "")
        if name not in wanted:
            continue
        value = form_field.data
        choices = getattr(form_field, "choices", None)
        if choices:
            shown = dict((str(k), v) for k, v in choices).get(str(value), str(value))
        elif name == "reviewed_only":
            shown = "Yes"
        elif hasattr(value, "strftime"):
            shown = value.strftime("%-d %B %Y")
        else:
            shown = str(value)
        described.append((str(form_field.label.text), str(shown)))
    return described


def _number(count: int) -> str:
    """Small numbers in words, as a report writes them ("eight areas")."""
    return _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else str(count)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _plural_small(count: int, one: str, threshold: int, suppress: bool) -> str:
    """ "1 response", "8 responses", or "fewer than 5 responses" when suppressed."""
    if suppress and count < threshold:
        return f"fewer than {threshold} {one}s"
    return _plural(count, one)


def _in_sentence(label: str) -> str:
    """A theme label inside a sentence: "Fear and feeling unsafe" -> "fear and feeling unsafe".

    Only the first letter changes, and not when the label starts with an
    acronym ("ASB", "CCTV").
    """
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def _small(count: int, threshold: int, suppress: bool) -> str:
    """A count, or "fewer than N" when it is a suppressed small survey number."""
    if suppress and count < threshold:
        return f"fewer than {threshold}"
    return str(count)


def _leading(counts: Sequence[tuple[str, str, Count]], limit: int) -> list[tuple[str, str, Count]]:
    """The most frequent entries that can be shown: not suppressed, not zero."""
    shown = [item for item in counts if not item[2].suppressed and item[2].count > 0]
    shown.sort(key=lambda item: (-item[2].count, item[1]))
    return shown[:limit]


def _list_phrase(parts: Sequence[Markup]) -> Markup:
    """ "a and b", or "a; b; and c" (items can hold commas, as theme labels do)."""
    if len(parts) <= 1:
        return parts[0] if parts else Markup("")
    if len(parts) == 2:
        return parts[0] + Markup(" and ") + parts[1]
    return Markup("; ").join(parts[:-1]) + Markup("; and ") + parts[-1]


def _named(label: str, count: Count) -> Markup:
    """ "<strong>fear and feeling unsafe</strong>, 34% (120)"."""
    return Markup("<strong>{}</strong>, {}").format(_in_sentence(label), count.label)


# --- quotes -----------------------------------------------------------------


def _redact_first(
    text: str, evidence: Sequence[tuple[int, int]]
) -> tuple[str, list[tuple[int, int]]]:
    """Replace personal data in the whole text; move the evidence offsets to match."""
    spans: list[tuple[int, int, str]] = []
    for span in sorted(find_pii(text), key=lambda s: (s.start, -s.end)):
        if spans and span.start < spans[-1][1]:
            continue
        spans.append((span.start, span.end, span.kind))
    pieces: list[str] = []
    moved: list[tuple[int, int, int, int]] = []  # old start, old end, new start, new end
    position = 0
    length = 0
    for start, end, kind in spans:
        pieces.append(text[position:start])
        length += start - position
        placeholder = PLACEHOLDERS[kind]
        moved.append((start, end, length, length + len(placeholder)))
        pieces.append(placeholder)
        length += len(placeholder)
        position = end
    pieces.append(text[position:])

    def remap(offset: int, is_end: bool) -> int:
        shift = 0
        for old_start, old_end, new_start, new_end in moved:
            if offset >= old_end:
                shift = new_end - old_end
                continue
            if old_start < offset:
                return new_end if is_end else new_start
            break
        return offset + shift

    return "".join(pieces), [(remap(s, False), remap(e, True)) for s, e in evidence]


def excerpt(text: str, evidence: Sequence[tuple[int, int]]) -> Markup:
    """The response as a short, redacted quote with its evidence highlighted.

    Text longer than `QUOTE_MAX_CHARS` is cut at word boundaries around the
    first piece of evidence, with an ellipsis where words were left out.
    """
    redacted, moved = _redact_first(text, evidence)
    start, end = 0, len(redacted)
    if end > QUOTE_MAX_CHARS:
        anchor = min((s for s, e in moved if e > s), default=0)
        start = max(0, anchor - QUOTE_MAX_CHARS // 4)
        if start > 0:
            space = _SPACE.search(redacted, start)
            start = space.end() if space and space.end() <= anchor else anchor
        end = min(len(redacted), start + QUOTE_MAX_CHARS)
        if end < len(redacted):
            cut = max(redacted.rfind(" ", start, end), redacted.rfind("\n", start, end))
            end = cut if cut > start else end
    window = redacted[start:end].strip()
    lead = len(redacted[start:end]) - len(redacted[start:end].lstrip())
    offset = start + lead
    spans = [
        (max(0, s - offset), min(len(window), e - offset))
        for s, e in moved
        if e > offset and s < offset + len(window)
    ]
    html = highlight_redacted(window, spans)
    prefix = Markup("…") if start > 0 else Markup("")
    suffix = Markup("…") if end < len(redacted) else Markup("")
    return prefix + html + suffix


def _attribution(response: Response, area: str | None) -> str:
    where = f", {area}" if area else ""
    return f"{SOURCES.get(response.source, response.source)}{where}"


_Candidates = dict[tuple[str, str], list[tuple[Response, ResponseCode]]]


def _quote_candidates(filters: Filters, wanted: dict[str, list[str]]) -> _Candidates:
    """The best quote candidates for each question's leading themes, in the order they are tried.

    `wanted` maps a question to the themes quoted under it. People's
    confirmed codes come first, then the coder's strongest; short responses
    before long ones among codes of the same kind. Flagged responses are left
    out. One query ranks the candidates of every (question, theme) at once,
    rather than one query for each, and a second loads the chosen few.
    """
    if not wanted:
        return {}
    human = sa.case((ResponseCode.source == "human", 0), else_=1)
    long = sa.case((sa.func.length(Response.text) > QUOTE_MAX_CHARS, 1), else_=0)
    order = (human, long, ResponseCode.score.desc(), Response.id)
    rank = sa.func.row_number().over(
        partition_by=(Response.question_id, ResponseCode.theme_id), order_by=order
    )
    # The filters joined in place and the flag as NOT EXISTS: PostgreSQL misjudged
    # an IN (subquery) and an outer join to the flags, and read every response.
    ranked = (
        filtered_columns(filters, ResponseCode.id.label("code_id"), rank.label("rank"))
        .join(
            ResponseCode,
            sa.and_(ResponseCode.response_id == Response.id, ResponseCode.applied.is_(True)),
        )
        .where(
            sa.or_(
                *(
                    sa.and_(Response.question_id == question_id, ResponseCode.theme_id.in_(themes))
                    for question_id, themes in wanted.items()
                )
            ),
            ~sa.exists().where(SafeguardingFlag.response_id == Response.id),
        )
        .subquery()
    )
    code_ids = list(
        db.session.scalars(sa.select(ranked.c.code_id).where(ranked.c.rank <= _CANDIDATES))
    )
    candidates: _Candidates = {}
    if not code_ids:
        return candidates
    for response, code in db.session.execute(
        sa.select(Response, ResponseCode)
        .join(ResponseCode, ResponseCode.response_id == Response.id)
        .where(ResponseCode.id.in_(code_ids))
        .order_by(*order)
    ).all():
        candidates.setdefault((response.question_id, code.theme_id), []).append((response, code))
    return candidates


def _quotes(
    rows: Sequence[tuple[Response, ResponseCode]], used: set[int], limit: int = QUOTES_PER_THEME
) -> list[ReportQuote]:
    """Quotes for a theme from its candidates (`_quote_candidates`), best first.

    A response already quoted under another theme is used again only when the
    theme would otherwise have fewer than two quotes.
    """
    fresh = [(r, c) for r, c in rows if r.id not in used and r.text.strip()]
    again = [(r, c) for r, c in rows if r.id in used and r.text.strip()]
    chosen = fresh[:limit]
    if len(chosen) < 2:
        chosen += again[: 2 - len(chosen)]
    quotes: list[ReportQuote] = []
    for response, code in chosen:
        used.add(response.id)
        spans = [(int(e["start"]), int(e["end"])) for e in (code.evidence or [])]
        quotes.append(
            ReportQuote(
                response_id=response.id,
                html=excerpt(response.text, spans),
                attribution=_attribution(response, response.area.name if response.area else None),
                reviewed=code.source == "human",
            )
        )
    return quotes


# --- sections ---------------------------------------------------------------


def _scope(summary: Overview, filters: Filters, area_totals: dict[int, int]) -> str:
    if filters.area_id:
        name = dict(summary.areas).get(filters.area_id, "the area")
        return f"In {name}"
    with_responses = sum(1 for area_id, _ in summary.areas if area_totals.get(area_id))
    if with_responses == len(summary.areas) and with_responses > 1:
        return f"Across the {_number(with_responses)} areas"
    if with_responses > 1:
        return f"Across the {_number(with_responses)} areas with responses"
    return "Across the city"


def _question_themes(
    question: Question, summary: Overview
) -> tuple[int, list[tuple[str, str, Count]]]:
    """A question's number of responses, and its themes with their counts."""
    theme_counts = [
        (row.theme_id, row.label, summary.question_matrix[(row.theme_id, question.id)])
        for row in summary.themes
    ]
    return next((c.total for _t, _l, c in theme_counts), 0), theme_counts


def _quoted_themes(
    questions: Sequence[Question], summary: Overview, survey_only: bool, threshold: int
) -> dict[str, list[str]]:
    """The themes `_question_section` will quote, by question: the leading ones it reports."""
    wanted: dict[str, list[str]] = {}
    for question in questions:
        total, theme_counts = _question_themes(question, summary)
        if total == 0 or (survey_only and total < threshold):
            continue
        leading = _leading(theme_counts, LEADING_THEMES)
        if leading:
            wanted[question.id] = [theme_id for theme_id, _label, _count in leading]
    return wanted


def _question_section(
    question: Question,
    summary: Overview,
    filters: Filters,
    scope: str,
    threshold: int,
    used: set[int],
    candidates: _Candidates,
) -> QuestionSection:
    total, theme_counts = _question_themes(question, summary)
    survey_only = filters.survey_only()
    if total == 0:
        text = Markup("No responses to this question match these filters.")
        return QuestionSection(question.id, question.text, 0, text, [])
    if survey_only and total < threshold:
        text = Markup(
            "Fewer than {} responses answered this question: too few to report "
            "themes without risking identifying someone."
        ).format(threshold)
        return QuestionSection(question.id, question.text, total, text, [])
    leading = _leading(theme_counts, LEADING_THEMES)
    if not leading:
        text = Markup(
            "{} answered this question; no theme was raised in {} or more of them, "
            "so none is reported."
        ).format(
            _plural_small(total, "response", threshold, survey_only),
            threshold if survey_only else 1,
        )
        return QuestionSection(question.id, question.text, total, text, [])
    first_id, first_label, first = leading[0]
    del first_id
    text = Markup(
        "{scope}, {n} answered this question. The most common theme was "
        "<strong>{theme}</strong>, raised in {percent} of the responses to this question "
        "({count} of {total})."
    ).format(
        scope=scope,
        n=_plural_small(total, "response", threshold, survey_only),
        theme=_in_sentence(first_label),
        percent=first.percent,
        count=first.count,
        total=total,
    )
    if len(leading) > 1:
        rest = [_named(label, count) for _id, label, count in leading[1:]]
        text += Markup(" It was followed by ") + _list_phrase(rest) + Markup(".")
    themes = [
        LeadingTheme(
            theme_id, label, count, _quotes(candidates.get((question.id, theme_id), []), used)
        )
        for theme_id, label, count in leading
    ]
    return QuestionSection(question.id, question.text, total, text, themes)


def _concepts_summary(summary: Overview) -> Markup:
    leading = _leading(summary.concepts, len(summary.concepts))
    if not leading:
        return Markup("No response under these filters was coded with a theme.")
    first = leading[0]
    text = Markup(
        "Grouping the themes into the strategy's five core concepts, the responses point most "
        "often to <strong>{}</strong>, in {} of responses ({})."
    ).format(_in_sentence(first[1]), first[2].percent, first[2].count)
    if len(leading) > 1:
        rest = [_named(label, count) for _id, label, count in leading[1:]]
        text += Markup(" Then come ") + _list_phrase(rest) + Markup(".")
    return text


@dataclass(frozen=True)
class _AreaTotals:
    responses: int = 0
    session_points: int = 0
    sessions: int = 0
    survey_answers: int = 0
    respondents: int = 0
    participants: int = 0


def _area_totals(filters: Filters) -> dict[int | None, _AreaTotals]:
    """Responses, sessions, people and respondents per area.

    One query counts the responses per area, source and session or survey
    submission; the distinct sessions and respondents are counted here, not
    with count(DISTINCT), which PostgreSQL sorts for. People are counted
    under their session's area.
    """
    keys = (Response.area_id, Response.source, Response.session_id, Response.submission_id)
    found: dict[int | None, dict[str, int]] = {}
    session_ids: set[int] = set()
    for area_id, source, session_id, submission_id, responses in db.session.execute(
        filtered_columns(filters, *keys, sa.func.count(Response.id)).group_by(*keys)
    ):
        entry = found.setdefault(area_id, {})
        entry["responses"] = entry.get("responses", 0) + responses
        if session_id is not None:
            session_ids.add(session_id)
        if source == "survey":
            entry["survey_answers"] = entry.get("survey_answers", 0) + responses
            if submission_id is not None:
                entry["respondents"] = entry.get("respondents", 0) + 1
        else:
            entry["session_points"] = entry.get("session_points", 0) + responses
            if session_id is not None:
                entry["sessions"] = entry.get("sessions", 0) + 1
    if session_ids:
        people: dict[int, int] = {}
        for session_id, area_id, participants in db.session.execute(
            sa.select(
                ConversationSession.id,
                ConversationSession.area_id,
                ConversationSession.participants,
            )
        ):
            if session_id in session_ids:
                people[area_id] = people.get(area_id, 0) + participants
        for area_id, count in people.items():
            found.setdefault(area_id, {})["participants"] = count
    return {area_id: _AreaTotals(**values) for area_id, values in found.items()}


def _comparison(area_share: float, city: Count) -> str:
    if city.share is None:
        return ""
    difference = round(100 * area_share) - round(100 * city.share)
    if abs(difference) < NOTABLE_DIFFERENCE:
        return f"close to the city-wide {city.percent}"
    direction = "above" if difference > 0 else "below"
    return f"{abs(difference)} percentage points {direction} the city-wide {city.percent}"


def _area_profiles(
    summary: Overview,
    city: Overview,
    totals: dict[int | None, _AreaTotals],
    threshold: int,
    survey_only: bool,
) -> list[AreaProfile]:
    city_counts = {row.theme_id: row.responses for row in city.themes}
    profiles = []
    for area_id, name in summary.areas:
        area = totals.get(area_id)
        if area is None or area.responses == 0:
            continue
        if survey_only and area.responses < threshold:
            profiles.append(
                AreaProfile(
                    area_id,
                    name,
                    area.responses,
                    f"Fewer than {threshold} responses: too few to profile.",
                    [],
                )
            )
            continue
        parts = []
        if area.session_points:
            parts.append(
                f"{_plural(area.session_points, 'point')} made in "
                f"{_plural(area.sessions, 'session')} "
                f"({_plural(area.participants, 'person', 'people')} taking part)"
            )
        if area.survey_answers:
            respondents = _small(area.respondents, threshold, True)
            parts.append(
                f"{_plural_small(area.survey_answers, 'survey answer', threshold, survey_only)} "
                f"from {respondents} respondent{'' if respondents == '1' else 's'}"
            )
        summary_text = f"{_plural(area.responses, 'response')}: {' and '.join(parts)}."
        counts = [
            (row.theme_id, row.label, summary.area_matrix[(row.theme_id, area_id)])
            for row in summary.themes
        ]
        themes = []
        for theme_id, label, count in _leading(counts, LEADING_THEMES):
            city_count = city_counts.get(theme_id, Count(0, 0))
            themes.append(
                AreaTheme(label, count, city_count, _comparison(count.share or 0.0, city_count))
            )
        note = "" if themes else "No theme can be reported for this area under these filters."
        profiles.append(AreaProfile(area_id, name, area.responses, summary_text, themes, note))
    return profiles


def _opening(
    summary: Overview,
    totals: dict[int | None, _AreaTotals],
    scope: str,
    threshold: int,
    survey_only: bool,
) -> list[Markup]:
    points = sum(t.session_points for t in totals.values())
    answers = sum(t.survey_answers for t in totals.values())
    if summary.total_responses == 0:
        return [Markup("No responses match these filters, so there is nothing to report yet.")]
    if survey_only and summary.total_responses < threshold:
        return [
            Markup(
                "Fewer than {} responses match these filters: too few to report without "
                "risking identifying someone."
            ).format(threshold)
        ]
    respondents = (
        f"fewer than {threshold}"
        if summary.total_respondents.suppressed
        else str(summary.total_respondents.count)
    )
    sources = []
    if points:
        sources.append(
            Markup("{} made in {} ({} taking part)").format(
                _plural(points, "point"),
                _plural(summary.total_sessions, "community session"),
                _plural(summary.total_participants, "person", "people"),
            )
        )
    if answers:
        sources.append(
            Markup("{} from {} {}").format(
                _plural_small(answers, "open survey answer", threshold, survey_only),
                respondents,
                "respondent" if respondents == "1" else "respondents",
            )
        )
    paragraphs = [
        Markup("This report draws on {}: {}.").format(
            _plural_small(summary.total_responses, "response", threshold, survey_only),
            _list_phrase(sources),
        )
    ]
    leading = _leading(
        [(row.theme_id, row.label, row.responses) for row in summary.themes], LEADING_THEMES
    )
    if leading:
        _id, label, count = leading[0]
        sentence = Markup(
            "{}, the theme raised most often was <strong>{}</strong>, in {} of responses ({})."
        ).format(scope, _in_sentence(label), count.percent, count.count)
        if len(leading) > 1:
            rest = [_named(label, count) for _id, label, count in leading[1:]]
            sentence += Markup(" Next came ") + _list_phrase(rest) + Markup(".")
        paragraphs.append(sentence)
    return paragraphs


def build_report(
    filters: Filters,
    described: list[tuple[str, str]],
    threshold: int = 5,
    now: datetime | None = None,
) -> Report:
    """Compute the report for `filters` (`described`: the same filters in words)."""
    summary = overview(filters, threshold)
    # With an area chosen, "city-wide" still means every area, under the other filters.
    city = overview(replace(filters, area_id=None), threshold) if filters.area_id else summary
    totals = _area_totals(filters)
    area_totals = {k: v.responses for k, v in totals.items() if k is not None}
    scope = _scope(summary, filters, area_totals)
    survey_only = filters.survey_only()
    questions = list(db.session.scalars(sa.select(Question).order_by(Question.position)))
    if filters.question_id:
        questions = [q for q in questions if q.id == filters.question_id]
    used: set[int] = set()
    sections = []
    if not (survey_only and summary.total_responses < threshold):
        candidates = _quote_candidates(
            filters, _quoted_themes(questions, summary, survey_only, threshold)
        )
        sections = [
            _question_section(q, summary, filters, scope, threshold, used, candidates)
            for q in questions
        ]
    small_total = survey_only and summary.total_responses < threshold
    return Report(
        generated_at=(now or datetime.now(LONDON)).astimezone(LONDON),
        filters=described,
        survey_only=survey_only,
        threshold=threshold,
        overview=summary,
        opening=_opening(summary, totals, scope, threshold, survey_only),
        questions=sections,
        concepts_summary=_concepts_summary(summary) if not small_total else Markup(""),
        concepts=summary.concepts if not small_total else [],
        areas=[] if small_total else _area_profiles(summary, city, totals, threshold, survey_only),
        areas_without_responses=[]
        if filters.area_id
        else [name for area_id, name in summary.areas if not area_totals.get(area_id)],
        responses_without_area=totals[None].responses if None in totals else 0,
    )


# --- the PDF ----------------------------------------------------------------


def _local_files(base_url: str) -> dict[str, Path]:
    """The app's own files the PDF renderer may read, by URL, and the files behind them."""
    return {urljoin(base_url, PDF_STYLESHEET_PATH): PDF_STYLESHEET}


def _system_font(url: str) -> Path | None:
    """The installed font file a file: URL names, or None for any other file.

    WeasyPrint reads a `local()` font face through the URL fetcher as a file:
    URL; only font files under the system's font folders are served.
    """
    if not url.startswith("file:"):
        return None
    path = Path(url2pathname(urlsplit(url).path)).resolve()
    if path.suffix.lower() not in FONT_SUFFIXES or not path.is_file():
        return None
    if not any(path.is_relative_to(folder) for folder in FONT_FOLDERS):
        return None
    return path


def pdf_url_fetcher(base_url: str) -> Any:
    """A WeasyPrint URL fetcher that reads only the app's own files, and fonts, from disk.

    It never opens a network connection: the report's stylesheet is served
    from disk under its URL, installed fonts (`local()` font faces) from the
    system's font folders, and every other URL is refused.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = _local_files(base_url)

    class LocalFilesOnly(URLFetcher):  # type: ignore[misc]
        """Serves the allowed files from disk; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            del headers
            path = allowed.get(url.split("?")[0].split("#")[0])
            if path is not None:
                return URLFetcherResponse(
                    url, path.read_bytes(), {"Content-Type": "text/css; charset=utf-8"}
                )
            font = _system_font(url)
            if font is not None:
                return URLFetcherResponse(url, font.read_bytes(), {"Content-Type": "font/ttf"})
            log.warning("report PDF: refused to fetch %s", url[:200])
            raise ValueError(f"not one of the app's own files: {url[:200]}")

    return LocalFilesOnly(allowed_protocols=("http", "https", "file"), allow_redirects=False)


def render_pdf(html: str, base_url: str) -> bytes:
    """Render the report's HTML as a tagged PDF (PDF/UA-1), fetching nothing over the network."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url, url_fetcher=pdf_url_fetcher(base_url))
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf
