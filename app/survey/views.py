"""Survey pages: start, one page of questions at a time, check your answers, confirmation.

Every page works without JavaScript. Answers go to the server-side draft on
each page; the respondent's cookie only names the draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from app.database import session_in_transaction
from app.extensions import db, limiter
from app.models import utcnow
from app.survey import bp, services
from app.survey.page_cache import blank_pages, placeholder
from app.survey.services import Draft, IncompleteSurvey, SurveyNotFound
from surveys import (
    Page,
    SummaryRow,
    SurveyDefinition,
    SurveyFormMeta,
    answers_from_form,
    first_page,
    form_data_for,
    is_answered,
    missing_required,
    next_page,
    page_form_class,
    page_is_reachable,
    previous_page,
    prune_answers,
    summary_rows,
    visible_pages,
    visible_questions,
)

DRAFTS_KEY = "survey_drafts"
DONE_KEY = "survey_done"
PREVIEW_KEY = "survey_preview"


class SubmitForm(FlaskForm):
    """The check-your-answers page's submit button (a CSRF token that lasts a day)."""

    Meta = SurveyFormMeta


def _posts_limit() -> str:
    return str(current_app.config["SURVEY_POSTS_PER_ADDRESS"])


def _submissions_limit() -> str:
    return str(current_app.config["SURVEY_SUBMISSIONS_PER_ADDRESS"])


def _definition(survey_id: str) -> SurveyDefinition:
    try:
        return services.definition(survey_id)
    except SurveyNotFound:
        abort(404)


def _signed_in() -> bool:
    """Whether a member of staff is signed in (respondents never are).

    Loading `current_user` runs Flask-Login's session protection, a hash of
    the address and browser on every page; a respondent's cookie holds no
    user id, so there is nothing to load.
    """
    return "_user_id" in session and bool(current_user.is_authenticated)


def _commit() -> None:
    """Commit the request's transaction, if it began one.

    On PostgreSQL a page view reads its draft outside the session
    (app.database.create_draft_engine), and committing a session with
    nothing in it still costs a transaction's bookkeeping.
    """
    if session_in_transaction():
        db.session.commit()


def _previewing(survey_id: str) -> bool:
    previews = session.get(PREVIEW_KEY) or []
    return survey_id in previews and _signed_in() and current_user.role == "admin"


def _closed(defn: SurveyDefinition) -> ResponseReturnValue | None:
    """Return the closed page when the survey is not taking answers (unless previewing)."""
    if _previewing(defn.id) or services.survey_is_open(defn.id):
        # End the read (if the open state was re-read): on SQLite a page's
        # later draft read and save each begin a transaction of their own.
        _commit()
        return None
    survey = services.survey_row(defn.id)
    opens_later = bool(survey.accepting and survey.opens_at and utcnow() < survey.opens_at)
    _commit()
    return render_template(
        "survey/closed.html", title=defn.title, defn=defn, survey=survey, opens_later=opens_later
    )


def _draft(survey_id: str) -> Draft | None:
    return services.find_draft(survey_id, (session.get(DRAFTS_KEY) or {}).get(survey_id))


def _draft_or_new(survey_id: str, draft: Draft | None) -> Draft:
    if draft is None or draft.submitted_at is not None:
        draft, token = services.start_draft(survey_id)
        tokens = dict(session.get(DRAFTS_KEY) or {})
        tokens[survey_id] = token
        session[DRAFTS_KEY] = tokens
    return draft


def _answers(draft: Draft | None) -> dict[str, Any]:
    return dict(draft.answers or {}) if draft is not None and draft.submitted_at is None else {}


def _page(defn: SurveyDefinition, page_id: str) -> Page:
    try:
        return defn.page(page_id)
    except KeyError:
        abort(404)


def _page_url(defn: SurveyDefinition, page: Page, **args: Any) -> str:
    return url_for("survey.question_page", survey_id=defn.id, page_id=page.id, **args)


def _friendly_csrf_error(form: FlaskForm) -> None:
    """Say what to do, instead of WTForms' "The CSRF token is missing"."""
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        form.csrf_token.errors = [
            "This page had expired. Your earlier answers are saved: answer this page again."
        ]


def _cacheable() -> bool:
    """Whether this request's page may come from the page cache, filled in.

    Only an anonymous respondent's with no flashed message: a member of
    staff's page (a preview) carries their sign-out form and name.
    """
    return not _signed_in() and "_flashes" not in session


def _is_blank_view(page: Page, answers: Mapping[str, Any]) -> bool:
    """Return True for a first look at an unanswered page by an anonymous respondent.

    Such a page is the same for everyone but for its CSRF token and nonce,
    so it can come from the blank-page cache.
    """
    return (
        request.method == "GET"
        and _cacheable()
        and not any(is_answered(value) for value in form_data_for(page, answers).values())
    )


def _has_answers(page: Page, answers: Mapping[str, Any]) -> bool:
    """Return True when any visible question of `page` has an answer."""
    return any(is_answered(answers.get(q.id)) for q in visible_questions(page, answers))


def _has_open_question(page: Page) -> bool:
    return any(question.is_open for question in page.questions)


@bp.get("/")
def default_survey() -> ResponseReturnValue:
    """The survey's short address: go to the default survey's start page."""
    return redirect(url_for("survey.start", survey_id=current_app.config["DEFAULT_SURVEY"]))


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """The privacy notice, in plain language."""
    return render_template("survey/privacy.html", title="Privacy notice")


@bp.get("/<survey_id>/")
def start(survey_id: str) -> ResponseReturnValue:
    """What the survey is for, how long it takes, that it is anonymous, who sees it."""
    defn = _definition(survey_id)
    closed = _closed(defn)
    if closed is not None:
        return closed
    previewing = _previewing(survey_id)
    has_draft = bool((session.get(DRAFTS_KEY) or {}).get(survey_id))
    first = first_page(defn, _answers(_draft(survey_id)))
    _commit()

    def render() -> str:
        return render_template(
            "survey/start.html",
            title=defn.title,
            defn=defn,
            start_url=_page_url(defn, first),
            previewing=previewing,
        )

    if has_draft or not _cacheable():
        return render()
    # A new respondent's start page is the same for everyone but for its nonce.
    return blank_pages.render((defn.id, defn.version, "start"), render, form=False)


@bp.route("/<survey_id>/<page_id>", methods=["GET", "POST"])
@limiter.limit(_posts_limit, methods=["POST"])
def question_page(survey_id: str, page_id: str) -> ResponseReturnValue:
    """One page of questions; answers are saved to the draft before moving on."""
    defn = _definition(survey_id)
    closed = _closed(defn)
    if closed is not None:
        return closed
    page = _page(defn, page_id)
    draft = _draft(survey_id)
    # Pruned once: the flow questions below all take it as it is.
    answers = prune_answers(defn, _answers(draft))
    if not page_is_reachable(defn, page.id, answers):
        # Jumping ahead by URL, or a page now hidden by an earlier answer.
        return redirect(_page_url(defn, first_page(defn, answers)))
    changing = request.args.get("change") == "1"
    if request.method == "GET" and not changing and _is_blank_view(page, answers):
        # Most page views: a page not yet answered. It comes from the cache,
        # without building the form (the cached page already holds it).
        previous = previous_page(defn, page.id, answers)
        back_url = (
            _page_url(defn, previous) if previous else url_for("survey.start", survey_id=defn.id)
        )
        _commit()
        questions = visible_questions(page, answers)
        key = (defn.id, defn.version, page.id, back_url, tuple(q.id for q in questions))
        return blank_pages.render(key, lambda: _render_page(defn, page, questions, back_url))
    form_class = page_form_class(page)
    form = (
        form_class(data=form_data_for(page, answers)) if request.method == "GET" else form_class()
    )
    if form.validate_on_submit():
        draft = _draft_or_new(survey_id, draft)
        is_bot = bool(getattr(form, "website", None) and form.website.data)
        answers = prune_answers(defn, answers_from_form(page, form, _answers(draft)))
        services.save_answers(draft, answers, bot=is_bot)
        _commit()
        following = next_page(defn, page.id, answers)
        if following is None or (changing and _has_answers(following, answers)):
            return redirect(url_for("survey.check_answers", survey_id=defn.id))
        # A change can open a page not seen before (ticking the contact opt-in,
        # a new age band): show it, then carry on back to check your answers.
        return redirect(_page_url(defn, following, **({"change": 1} if changing else {})))
    _friendly_csrf_error(form)
    previous = previous_page(defn, page.id, answers)
    back_url = (
        url_for("survey.check_answers", survey_id=defn.id)
        if changing
        else (_page_url(defn, previous) if previous else url_for("survey.start", survey_id=defn.id))
    )
    _commit()
    return _render_page(defn, page, visible_questions(page, answers), back_url, form)


def _render_page(
    defn: SurveyDefinition,
    page: Page,
    questions: list[Any],
    back_url: str,
    form: FlaskForm | None = None,
) -> str:
    """Render a page of questions (`form` None: a blank form, as for the cache)."""
    if form is None:
        form = page_form_class(page)()
    return render_template(
        "survey/page.html",
        title=page.title or page.questions[0].label,
        defn=defn,
        page=page,
        questions=questions,
        form=form,
        back_url=back_url,
        show_help=_has_open_question(page),
    )


@bp.route("/<survey_id>/check-your-answers", methods=["GET", "POST"])
@limiter.limit(_posts_limit, methods=["POST"])
@limiter.limit(_submissions_limit, methods=["POST"])
def check_answers(survey_id: str) -> ResponseReturnValue:
    """Every answer with a link to change it, then submit (once, however often it is sent)."""
    defn = _definition(survey_id)
    closed = _closed(defn)
    if closed is not None:
        return closed
    draft = _draft(survey_id)
    if draft is not None and draft.submitted_at is not None:
        # Sent again (a double tap, a second tab): this browser's cookie may
        # predate the first send, so name the submission again here.
        return _confirm(defn, services.reference_of(draft.id))
    answers = prune_answers(defn, _answers(draft))
    if draft is None or not answers:
        return redirect(url_for("survey.start", survey_id=defn.id))
    missing = missing_required(defn, answers)
    if missing:
        return redirect(_page_url(defn, missing[0][0]))
    form = SubmitForm()
    if form.validate_on_submit():
        save = not _previewing(survey_id)
        # A draft that tripped the honeypot is not saved: nothing to code.
        in_advance = (
            services.code_answers_in_advance(defn, answers)
            if save and not draft.suspected_bot
            else None
        )
        _commit()  # end the coder's read: the submission takes the write lock itself
        try:
            reference = services.submit(defn, draft.id, save=save, in_advance=in_advance)
            db.session.commit()
        except IncompleteSurvey as incomplete:
            db.session.rollback()
            return redirect(_page_url(defn, defn.page(incomplete.page_id)))
        except sa.exc.IntegrityError:
            # Another copy of this form was saved at the same moment: show that one.
            db.session.rollback()
            return _confirm(defn, services.reference_of(draft.id))
        return _confirm(defn, reference)
    _friendly_csrf_error(form)
    pages = visible_pages(defn, answers)
    _commit()
    rows = summary_rows(defn, answers)
    back_url = _page_url(defn, pages[-1])

    def render(shown: list[SummaryRow]) -> str:
        return render_template(
            "survey/check.html",
            title="Check your answers",
            defn=defn,
            rows=shown,
            form=form,
            back_url=back_url,
        )

    if form.errors or not _cacheable():
        return render(rows)
    # Every respondent shown the same questions sees the same page but for
    # the answers (and the token and nonce): render it once, answers left as
    # placeholders, and fill in each respondent's.
    return blank_pages.render(
        (defn.id, defn.version, "check", back_url, tuple(row.question_id for row in rows)),
        lambda: render([replace(row, value=placeholder(_answer_name(row))) for row in rows]),
        values={_answer_name(row): answer_html(row.value) for row in rows},
    )


def _answer_name(row: SummaryRow) -> str:
    return f"answer-{row.question_id}"


@bp.app_template_filter("answer_html")
def answer_html(value: str) -> Markup:
    """An answer as check your answers shows it: escaped, keeping the lines people typed.

    check.html uses it as a filter, and the cached page fills in each
    respondent's answers with it, so both show an answer the same way.
    """
    return Markup("<br>").join(value.split("\n")).strip()


def _confirm(defn: SurveyDefinition, reference: str | None) -> ResponseReturnValue:
    """Remember the reference for the confirmation page (None: not saved), and go there."""
    done = dict(session.get(DONE_KEY) or {})
    done[defn.id] = reference if reference is not None else "not-saved"
    session[DONE_KEY] = done
    _commit()
    return redirect(url_for("survey.confirmation", survey_id=defn.id))


@bp.get("/<survey_id>/confirmation")
def confirmation(survey_id: str) -> ResponseReturnValue:
    """The reference, what happens next, and where to get help now."""
    defn = _definition(survey_id)
    reference = (session.get(DONE_KEY) or {}).get(survey_id)
    if reference is None:
        return redirect(url_for("survey.start", survey_id=defn.id))
    previewing = _previewing(survey_id)

    def render(shown: str | None) -> str:
        return render_template(
            "survey/confirmation.html",
            title="Thank you",
            defn=defn,
            reference=shown,
            previewing=previewing,
        )

    if reference == "not-saved" or not _cacheable():
        return render(None if reference == "not-saved" else reference)
    # The same for every respondent but for the reference (and the nonce).
    return blank_pages.render(
        (defn.id, defn.version, "confirmation"),
        lambda: render(placeholder("reference")),
        form=False,
        values={"reference": reference},
    )
