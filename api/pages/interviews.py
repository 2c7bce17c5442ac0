"""Interview pages: the interviewer's call list, cases and questionnaire; the coordinator's
assignment page.

Plain HTML forms that work without JavaScript on a phone (post/redirect/get; errors re-render
the page with the error summary). An interviewer reaches only their own cases (another's is
"not found") and of each only the contact data its mode needs; the answers only while the
interview is open: once completed, the questionnaire pages of the case redirect to its summary,
which shows no answers. Each route declares one policy (docs/access.md): ``Interviewer`` for
the interviewer's pages, ``Coordinator`` (scoped) for assigning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.i18n import INTERVIEW_TEXT, choose_language
from api.pages.coordinator import FormDep, StaffRoute, check_form_token, render
from api.policy import AsCoordinator, AsInterviewer, Caller
from survey.campaigns import as_utc, get_campaign
from survey.errors import Conflict, InvalidInput, Problem
from survey.interviews import (
    CaseView,
    assign_cases,
    assignable_cases,
    call_list,
    campaign_assignments,
    complete_interview,
    contact_for,
    get_case,
    list_interviewers,
    open_interview,
    outcomes_for,
    parse_callback,
    record_attempt,
    save_interview_page,
)
from survey.questionnaires import (
    GRID_TYPES,
    AnswerPage,
    answer_pages,
    grid_options,
    page_shown,
    shown_codes,
)

router = APIRouter(route_class=StaffRoute, include_in_schema=False)
LIST = "/staff/interviews"


def _w(request: Request) -> Mapping[str, str]:
    return INTERVIEW_TEXT[choose_language(request)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _fields(form: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in form:
        values = [str(v) for v in form.getlist(key)]
        fields[key] = values if len(values) > 1 else values[0]
    return fields


def _label(value: Mapping[str, str] | None, lang: str) -> str:
    if not value:
        return ""
    return value.get(lang) or value.get("vi", "")


# ----------------------------------------------------------------------------- assigning


# Which words say what an assignment problem means (the use case writes English).
_REASONS = (
    ("assigned already", "reason_assigned"),
    ("already has a response", "reason_completed"),
    ("not to be contacted", "reason_opted_out"),
    ("revoked", "reason_revoked"),
    ("field period", "reason_expired"),
    ("no phone number", "reason_no_phone"),
    ("no postal address", "reason_no_address"),
    ("no case", "reason_unknown"),
)


def _assign_problem(problem: Problem, words: Mapping[str, str]) -> tuple[str, str]:
    """(field, message in the page's language) of one assignment problem."""
    field = str(problem.loc[0]) if problem.loc else ""
    if field == "invitation_ids":
        number = problem.loc[1] if len(problem.loc) > 1 else ""
        for fragment, key in _REASONS:
            if fragment in problem.msg:
                return "cases", words[key].format(n=number)
        return "cases", words["tick_one"]
    keys = {
        "interviewer_id": ("interviewer_id", "choose_interviewer"),
        "mode": ("mode", "choose_mode"),
        "max_attempts": ("max_attempts", "max_attempts_range"),
    }
    name, key = keys.get(field, ("cases", "tick_one"))
    return name, words[key]


def _assign_context(
    request: Request, session: SessionDep, caller: Caller, campaign_id: int
) -> dict[str, Any]:
    campaign = get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope)
    cases = []
    for invitation, dossier in assignable_cases(
        session=session, campaign_id=campaign_id, scope=caller.scope
    ):
        phone = contact_for(session, invitation, "phone").phone is not None
        address = contact_for(session, invitation, "face_to_face").address is not None
        cases.append(
            {
                "id": invitation.id,
                "dossier": dossier.dossier_code,
                "agency": dossier.agency_name or dossier.agency_code,
                "channel": invitation.channel,
                "phone": phone,
                "address": address,
            }
        )
    assigned = [
        {"a": a, "interviewer": name}
        for a, name in campaign_assignments(
            session=session, campaign_id=campaign_id, scope=caller.scope
        )
    ]
    return {
        "w": _w(request),
        "campaign": campaign,
        "interviewers": list_interviewers(session=session),
        "cases": cases,
        "assigned": assigned,
        "values": {"mode": "phone", "max_attempts": "6", "cases": []},
    }


@router.get("/staff/interview-assignments/{campaign_id}")
def assign_page(
    request: Request,
    campaign_id: int,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The campaign's assignments and the form assigning more."""
    context = _assign_context(request, session, caller, campaign_id)
    return render(request, "interviews/assign.html", context, user=caller, settings=settings)


def _whole(text: Any) -> int | None:
    value = str(text or "").strip()
    return int(value) if value.isdigit() else None


@router.post("/staff/interview-assignments/{campaign_id}")
def assign_submit(
    request: Request,
    campaign_id: int,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Assign the ticked cases; problems come back beside the fields they concern."""
    check_form_token(request, form, settings)
    raw_cases = form.getlist("cases")
    ids = [n for n in (_whole(v) for v in raw_cases) if n is not None]
    mode = str(form.get("mode", ""))
    values: dict[str, Any] = {
        "interviewer_id": str(form.get("interviewer_id", "")),
        "mode": mode,
        "max_attempts": str(form.get("max_attempts", "")),
        "cases": [str(v) for v in raw_cases],
    }
    interviewer_id = _whole(values["interviewer_id"])
    max_attempts = _whole(values["max_attempts"])
    problems: list[Problem] = []
    if interviewer_id is None:
        problems.append(Problem(("interviewer_id",), "choose an interviewer"))
    if max_attempts is None:
        problems.append(Problem(("max_attempts",), "a whole number"))
    try:
        if problems:
            raise InvalidInput("fix the form", problems)
        assign_cases(
            session=session,
            campaign_id=campaign_id,
            invitation_ids=ids,
            interviewer_id=interviewer_id or 0,
            mode=mode,
            actor=caller.user,
            scope=caller.scope,
            max_attempts=max_attempts or 0,
        )
    except InvalidInput as error:
        context = _assign_context(request, session, caller, campaign_id)
        words = context["w"]
        errors: dict[str, str] = {}
        links = []
        for problem in error.problems:
            field, text = _assign_problem(problem, words)
            errors.setdefault(field, text)
            links.append({"href": f"#f-{field}", "text": text})
        context.update(values=values, errors=errors, error_links=links)
        return render(
            request,
            "interviews/assign.html",
            context,
            user=caller,
            settings=settings,
            status_code=422,
        )
    return _see_other(f"/staff/interview-assignments/{campaign_id}")


# ----------------------------------------------------------------------------- call list


def _interviewer_render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    caller: Caller,
    settings: SettingsDep,
    status_code: int = 200,
) -> Response:
    lang = choose_language(request)
    zone = ZoneInfo(settings.timezone)

    def when(moment: datetime) -> str:
        return as_utc(moment).astimezone(zone).strftime("%d/%m/%Y %H:%M")

    page = render(
        request,
        name,
        {"w": _w(request), "tr": lambda value: _label(value, lang), "when": when, **context},
        user=caller,
        settings=settings,
        status_code=status_code,
    )
    # Personal data and answers: never cached, never sent on as a referrer.
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@router.get(LIST)
def interviews_list(
    request: Request, caller: AsInterviewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """The interviewer's own cases in calling order (due callbacks first)."""
    cases = call_list(session=session, interviewer=caller.user)
    notice = request.query_params.get("notice", "")
    return _interviewer_render(
        request,
        "interviews/list.html",
        {"cases": cases, "notice": notice if notice in ("done", "answered_elsewhere") else ""},
        caller,
        settings,
    )


def _case_context(case: CaseView, lang: str) -> dict[str, Any]:
    assignment = case.assignment
    outcomes = outcomes_for(assignment.mode)
    labels = {o.code: o.label(lang) for o in outcomes}
    labels["1.1"] = "Hoàn thành phỏng vấn" if lang == "vi" else "Complete interview"
    return {
        "case": case,
        "a": assignment,
        "outcomes": [(o.code, o.label(lang), o.final) for o in outcomes],
        "labels": labels,
        "values": {},
    }


_ATTEMPT_WORDS = (
    ("not understood", "callback_format"),
    ("has passed", "callback_past"),
    ("after the field period", "callback_after"),
    ("no callback", "callback_final"),
)


@router.get(LIST + "/{assignment_id}")
def case_page(
    request: Request,
    assignment_id: int,
    caller: AsInterviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """One case: whom to call or visit, the attempts so far, the outcome form, the interview."""
    case = get_case(session=session, assignment_id=assignment_id, interviewer=caller.user)
    context = _case_context(case, choose_language(request))
    return _interviewer_render(request, "interviews/case.html", context, caller, settings)


@router.post(LIST + "/{assignment_id}/attempts")
def attempt_submit(
    request: Request,
    assignment_id: int,
    caller: AsInterviewer,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Record one attempt's outcome (and callback), then back to the list for the next case."""
    check_form_token(request, form, settings)
    code = str(form.get("code", ""))
    callback_text = str(form.get("callback_at", ""))
    try:
        callback = parse_callback(callback_text, settings.timezone)
        record_attempt(
            session=session,
            assignment_id=assignment_id,
            interviewer=caller.user,
            code=code,
            callback_at=callback,
        )
    except InvalidInput as error:
        words = _w(request)
        errors: dict[str, str] = {}
        for problem in error.problems:
            field = str(problem.loc[0]) if problem.loc else "code"
            key = next((k for f, k in _ATTEMPT_WORDS if f in error.msg), "choose_outcome")
            errors.setdefault(field, words[key if field == "callback_at" else "choose_outcome"])
        case = get_case(session=session, assignment_id=assignment_id, interviewer=caller.user)
        context = _case_context(case, choose_language(request))
        context.update(
            values={"code": code, "callback_at": callback_text},
            errors=errors,
            error_links=[{"href": f"#f-{f}", "text": t} for f, t in errors.items()],
        )
        return _interviewer_render(
            request, "interviews/case.html", context, caller, settings, status_code=422
        )
    except Conflict:
        return _see_other(f"{LIST}/{assignment_id}")
    return _see_other(LIST)


# ----------------------------------------------------------------------------- conducting


def _items(
    definition: Mapping[str, Any], page: AnswerPage, shown: set[str]
) -> list[dict[str, Any]]:
    """The page's criteria and questions as the interviewer reads them out."""
    criteria = {c["code"]: c for e in definition["elements"] for c in e["criteria"]}
    questions = {q["code"]: q for q in definition.get("questions") or []}
    items: list[dict[str, Any]] = []
    for code in page.display_codes or page.item_codes:
        if code in criteria:
            item: dict[str, Any] = {"kind": "criterion", **criteria[code]}
            keys = [code]
        else:
            question = questions[code]
            item = {"kind": question["type"], **question}
            keys = [code]
            if question["type"] in GRID_TYPES:
                item["grid_options"] = grid_options(question)
                keys = [row["code"] for row in question["rows"]]
        if any(key in shown for key in keys):
            items.append(item)
    return items


def _scale(definition: Mapping[str, Any]) -> list[tuple[str, Mapping[str, str], bool]]:
    """(value, label, do_not_read) of the scale; "not applicable / don't know" is never read
    out (the respondent offers it), as CATI scripts mark it."""
    scale = definition["scale"]
    levels = [
        (str(v), scale["labels"][str(v)], False) for v in range(scale["min"], scale["max"] + 1)
    ]
    return [*levels, ("0", scale["not_applicable"], True)]


def _selected(values: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        code: [str(v) for v in value] if isinstance(value, list) else [str(value)]
        for code, value in values.items()
    }


def _next_page(definition: dict[str, Any], answers: Mapping[str, Any], start: int) -> int | None:
    for page in answer_pages(definition)[start:]:
        if page_shown(definition, page, answers):
            return page.index
    return None


def _resume(assignment_id: int, definition: dict[str, Any], answers: Any, start: int) -> str:
    index = _next_page(definition, answers, start)
    base = f"{LIST}/{assignment_id}"
    return f"{base}/review" if index is None else f"{base}/p/{index + 1}"


def _page_problems(
    definition: Mapping[str, Any], problems: Sequence[Problem], words: Mapping[str, str]
) -> dict[str, str]:
    questions = {q["code"]: q for q in definition.get("questions") or []}
    criteria = {c["code"] for e in definition["elements"] for c in e["criteria"]}
    errors: dict[str, str] = {}
    for problem in problems:
        code = str(problem.loc[0]) if problem.loc else ""
        question = questions.get(code)
        if code in criteria:
            errors[code] = words["choose_criterion"]
        elif question is not None and question["type"] == "text":
            errors[code] = words["too_long" if "keep it" in problem.msg else "answer_required"]
        else:
            errors[code] = words["choose_option"]
    return errors


def _page_context(
    assignment_id: int,
    definition: dict[str, Any],
    number: int,
    earlier: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> dict[str, Any]:
    pages = answer_pages(definition)
    page = pages[number - 1]
    items = _items(definition, page, shown_codes(definition, earlier))
    back = f"{LIST}/{assignment_id}"
    for previous in reversed(pages[: number - 1]):
        if page_shown(definition, previous, earlier):
            back = f"{LIST}/{assignment_id}/p/{previous.index + 1}"
            break
    links = []
    for item in items:
        for entry in item["rows"] if item["kind"] in GRID_TYPES else [item]:
            if entry["code"] in errors:
                links.append({"href": f"#{entry['code']}", "text": errors[entry["code"]]})
    return {
        "assignment_id": assignment_id,
        "page": page,
        "number": number,
        "n_pages": len(pages),
        "items": items,
        "scale": _scale(definition),
        "values": _selected(values),
        "errors": errors,
        "error_links": links,
        "grid_types": GRID_TYPES,
        "back_url": back,
        "element_page": page.kind == "element",
    }


@router.get(LIST + "/{assignment_id}/p/{number}")
def interview_page(
    request: Request,
    assignment_id: int,
    number: int,
    caller: AsInterviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """One questionnaire page with the words to read out; only while the interview is open."""
    try:
        assignment, definition = open_interview(
            session=session, assignment_id=assignment_id, interviewer=caller.user
        )
    except Conflict:
        return _see_other(f"{LIST}/{assignment_id}")
    pages = answer_pages(definition)
    answers = assignment.answers
    reachable = 1 <= number <= len(pages) and all(
        not page_shown(definition, p, answers) for p in pages[assignment.current_page : number - 1]
    )
    if not reachable or not page_shown(definition, pages[number - 1], answers):
        return _see_other(_resume(assignment_id, definition, answers, assignment.current_page))
    context = _page_context(assignment_id, definition, number, answers, answers, {})
    return _interviewer_render(request, "interviews/page.html", context, caller, settings)


@router.post(LIST + "/{assignment_id}/p/{number}")
def interview_page_submit(
    request: Request,
    assignment_id: int,
    number: int,
    caller: AsInterviewer,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Save one page, then on to the next page asked (or the review)."""
    check_form_token(request, form, settings)
    fields = {k: v for k, v in _fields(form).items() if k != "csrf"}
    try:
        assignment, definition = open_interview(
            session=session, assignment_id=assignment_id, interviewer=caller.user
        )
    except Conflict:
        return _see_other(f"{LIST}/{assignment_id}")
    earlier = dict(assignment.answers)
    if not 1 <= number <= len(answer_pages(definition)):
        return _see_other(_resume(assignment_id, definition, earlier, assignment.current_page))
    try:
        saved = save_interview_page(
            session=session,
            assignment_id=assignment_id,
            interviewer=caller.user,
            page=number - 1,
            answers=fields,
        )
    except InvalidInput as error:
        errors = _page_problems(definition, error.problems, _w(request))
        context = _page_context(assignment_id, definition, number, earlier, fields, errors)
        return _interviewer_render(
            request, "interviews/page.html", context, caller, settings, status_code=422
        )
    except Conflict:
        return _see_other(f"{LIST}/{assignment_id}")
    return _see_other(_resume(assignment_id, definition, saved.answers, number))


def _review_context(
    assignment_id: int,
    definition: dict[str, Any],
    answers: Mapping[str, Any],
    lang: str,
    words: Mapping[str, str],
    *,
    show_missing: bool,
) -> dict[str, Any]:
    shown = shown_codes(definition, answers)
    scale = {value: label for value, label, _ in _scale(definition)}
    sections = []
    errors: dict[str, str] = {}
    links = []
    for page in answer_pages(definition):
        if not page_shown(definition, page, answers):
            continue
        rows = []
        for item in _items(definition, page, shown):
            grid = item["kind"] in GRID_TYPES
            for entry in item["rows"] if grid else [item]:
                if entry["code"] not in shown:
                    continue
                value = answers.get(entry["code"])
                if item["kind"] == "criterion":
                    text = _label(scale.get(str(value)), lang) if value is not None else ""
                elif grid:
                    options = {o["code"]: o["text"] for o in item["grid_options"]}
                    text = _label(options.get(str(value)), lang) if value is not None else ""
                elif item["kind"] == "text":
                    text = str(value or "")
                else:
                    options = {o["code"]: o["text"] for o in item.get("options") or []}
                    chosen = value if isinstance(value, list) else [value] if value else []
                    text = ", ".join(_label(options.get(str(v)), lang) for v in chosen)
                required = item["kind"] == "criterion" or bool(item.get("required", grid))
                href = f"{LIST}/{assignment_id}/p/{page.index + 1}#{entry['code']}"
                if show_missing and value is None and required:
                    errors[entry["code"]] = words["missing"]
                    links.append(
                        {
                            "href": href,
                            "text": f"{_label(entry['text'], lang)} – {words['no_answer']}",
                        }
                    )
                rows.append({"code": entry["code"], "text": entry["text"], "answer": text})
        sections.append({"number": page.index + 1, "title": page.title, "rows": rows})
    return {
        "assignment_id": assignment_id,
        "sections": sections,
        "errors": errors,
        "error_links": links,
    }


@router.get(LIST + "/{assignment_id}/review")
def interview_review(
    request: Request,
    assignment_id: int,
    caller: AsInterviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The answers so far with "change" links, and the button that records the interview."""
    try:
        assignment, definition = open_interview(
            session=session, assignment_id=assignment_id, interviewer=caller.user
        )
    except Conflict:
        return _see_other(f"{LIST}/{assignment_id}")
    lang = choose_language(request)
    context = _review_context(
        assignment_id, definition, assignment.answers, lang, _w(request), show_missing=False
    )
    return _interviewer_render(request, "interviews/review.html", context, caller, settings)


@router.post(LIST + "/{assignment_id}/complete")
def interview_complete(
    request: Request,
    assignment_id: int,
    caller: AsInterviewer,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Record the interview as a response (once); missing answers send it back to the review."""
    check_form_token(request, form, settings)
    try:
        result = complete_interview(
            session=session, assignment_id=assignment_id, interviewer=caller.user
        )
    except InvalidInput:
        assignment, definition = open_interview(
            session=session, assignment_id=assignment_id, interviewer=caller.user
        )
        lang = choose_language(request)
        context = _review_context(
            assignment_id, definition, assignment.answers, lang, _w(request), show_missing=True
        )
        return _interviewer_render(
            request, "interviews/review.html", context, caller, settings, status_code=422
        )
    except Conflict:
        return _see_other(f"{LIST}?notice=answered_elsewhere")
    notice = "done" if result.created else "answered_elsewhere"
    return _see_other(f"{LIST}?notice={notice}")
