"""The citizen's answer pages under ``/r/{token}``: plain HTML forms that work without JavaScript.

Flow: welcome -> one page per element (``/p/1`` .. ) -> extra questions -> review -> thank you.
Every POST answers with a 303 redirect (post/redirect/get), so reloading never re-submits. GETs
never change the invitation's validity; the welcome GET only records ``first_opened_at``.

Links that are unknown, expired, revoked, opted out or already used each get a clear page. An
unknown token and a known-but-used one cost the same work (see
:func:`survey.responses.resolve_link`), so response times do not reveal which tokens exist.
Each form carries a per-invitation HMAC in a hidden field against cross-site request forgery.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep, rate_limits_of
from api.formatting import install as install_formatting
from api.policy import Citizen
from api.rate_limits import citizen_refusal
from survey.errors import Conflict, InvalidInput, Problem, TooManyRequests
from survey.invitations import record_first_open
from survey.keys import derive_keys
from survey.models import Invitation
from survey.optouts import opt_out_invitation
from survey.questionnaires import (
    ANSWER_MINUTES,
    GRID_TYPES,
    AnswerPage,
    answer_pages,
    display_numbers,
    grid_options,
    page_shown,
    shown_codes,
)
from survey.responses import (
    AnswerLink,
    InvitationColumns,
    SubmitLink,
    lock_link_for_submit,
    questionnaire_for,
    rated_service,
    resolve_link,
    save_page,
    start_or_resume,
    submit_draft,
    submit_locked_draft,
)
from survey.settings import Settings

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
install_formatting(TEMPLATES)
LANG_COOKIE = "sipas_lang"
LANGUAGES = ("vi", "en")
CSRF_FIELD = "csrf"

# Status codes of the pages for links that cannot be answered.
STATE_STATUS = {
    "unknown": 404,
    "not_open": 403,
    "expired": 410,
    "revoked": 410,
    "opted_out": 410,
    "completed": 200,
}

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "service": "Khảo sát sự hài lòng (SIPAS)",
        "error_prefix": "Lỗi: ",
        "error_title": "Có lỗi",
        "part": "Phần {n}/{total}",
        "progress": "Câu {first}–{last} trong {total} câu",
        "back": "Quay lại",
        "continue": "Tiếp tục",
        "start": "Bắt đầu",
        "resume": "Tiếp tục từ chỗ đã dừng",
        "agency": "Cơ quan giải quyết hồ sơ",
        "procedure": "Thủ tục",
        "field": "Lĩnh vực",
        "completed_on": "Ngày trả kết quả",
        "rated": "Xin cho biết ý kiến về việc giải quyết hồ sơ sau:",
        "time": f"Khảo sát gồm {{total}} phần ngắn, mất khoảng {ANSWER_MINUTES} phút.",
        "anonymity": "Câu trả lời được giữ bí mật: cơ quan giải quyết hồ sơ không biết ai trả lời "
        "và trả lời thế nào. Số điện thoại của ông/bà chỉ dùng để gửi lời mời và sẽ bị xoá "
        "khi kết thúc khảo sát.",
        "opt_out_link": "Tôi không muốn tham gia",
        "choose_criterion": "Hãy chọn một mức, hoặc “Không áp dụng / Không biết”",
        "choose_option": "Hãy chọn trong các câu trả lời có sẵn",
        "too_long": "Hãy viết ngắn hơn {n} ký tự",
        "optional": "(không bắt buộc)",
        "choose_any": "Có thể chọn nhiều câu trả lời",
        "answer_required": "Hãy trả lời câu này",
        "max_chars": "Tối đa {n} ký tự",
        "review_title": "Kiểm tra câu trả lời",
        "review_intro": "Xin kiểm tra lại trước khi gửi. Sau khi gửi, câu trả lời không thể sửa.",
        "change": "Sửa",
        "no_answer": "Chưa trả lời",
        "submit": "Gửi câu trả lời",
        "missing": "Còn câu chưa trả lời: hãy bấm “Sửa” để trả lời",
        "thanks_title": "Cảm ơn ông/bà",
        "thanks_body": "Câu trả lời đã được ghi nhận. Ông/bà có thể đóng trang này.",
        "unknown_title": "Không tìm thấy đường dẫn",
        "unknown_body": "Đường dẫn này không đúng. Xin kiểm tra lại tin nhắn hoặc thư mời, "
        "chép đủ cả đường dẫn.",
        "not_open_title": "Khảo sát chưa bắt đầu",
        "not_open_body": "Khảo sát này chưa mở. Xin quay lại sau theo thời gian ghi trong lời mời.",
        "expired_title": "Khảo sát đã kết thúc",
        "expired_body": "Thời gian trả lời khảo sát này đã hết. Cảm ơn ông/bà đã quan tâm.",
        "revoked_title": "Đường dẫn không còn dùng được",
        "revoked_body": "Lời mời này đã bị huỷ. Nếu ông/bà nhận được lời mời mới, xin dùng "
        "đường dẫn trong lời mời mới.",
        "opted_out_title": "Ông/bà đã từ chối tham gia",
        "opted_out_body": "Chúng tôi sẽ không liên hệ lại với ông/bà về khảo sát này.",
        "completed_title": "Ông/bà đã trả lời khảo sát này",
        "completed_body": "Câu trả lời của ông/bà đã được ghi nhận trước đây. Cảm ơn ông/bà.",
        "opt_out_title": "Không tham gia khảo sát",
        "opt_out_body": "Nếu ông/bà không muốn tham gia, chúng tôi sẽ không gửi tin nhắn nhắc lại.",
        "opt_out_confirm": "Xác nhận không tham gia",
        "opt_out_cancel": "Quay lại khảo sát",
        "form_expired": "Trang đã cũ. Xin thử lại.",
        "language": "English",
    },
    "en": {
        "service": "Satisfaction survey (SIPAS)",
        "error_prefix": "Error: ",
        "error_title": "There is a problem",
        "part": "Part {n} of {total}",
        "progress": "Questions {first}–{last} of {total}",
        "back": "Back",
        "continue": "Continue",
        "start": "Start",
        "resume": "Continue where you stopped",
        "agency": "Agency that handled the dossier",
        "procedure": "Procedure",
        "field": "Field",
        "completed_on": "Result returned on",
        "rated": "Please tell us about how this dossier was handled:",
        "time": f"The survey has {{total}} short parts and takes about {ANSWER_MINUTES} minutes.",
        "anonymity": "Your answers are confidential: the agency that handled your dossier cannot "
        "see who answered or what. Your phone number is used only to invite you and is deleted "
        "when the survey ends.",
        "opt_out_link": "I do not want to take part",
        "choose_criterion": "Choose a level, or “Not applicable / Don't know”",
        "choose_option": "Choose one of the answers shown",
        "too_long": "Keep it under {n} characters",
        "optional": "(optional)",
        "choose_any": "Choose all that apply",
        "answer_required": "Please answer this question",
        "max_chars": "At most {n} characters",
        "review_title": "Check your answers",
        "review_intro": "Please check before sending. Answers cannot be changed once sent.",
        "change": "Change",
        "no_answer": "Not answered",
        "submit": "Send my answers",
        "missing": "Some questions are not answered yet: use “Change” to answer them",
        "thanks_title": "Thank you",
        "thanks_body": "Your answers have been recorded. You can close this page.",
        "unknown_title": "Link not found",
        "unknown_body": "This link is not correct. Check the message or letter and copy the "
        "whole link.",
        "not_open_title": "This survey has not started",
        "not_open_body": "This survey is not open yet. Please come back at the time given in "
        "the invitation.",
        "expired_title": "This survey has closed",
        "expired_body": "The time to answer this survey is over. Thank you for your interest.",
        "revoked_title": "This link no longer works",
        "revoked_body": "This invitation was cancelled. If you received a new invitation, use "
        "the link in it.",
        "opted_out_title": "You chose not to take part",
        "opted_out_body": "We will not contact you again about this survey.",
        "completed_title": "You have already answered this survey",
        "completed_body": "Your answers were recorded before. Thank you.",
        "opt_out_title": "Do not take part",
        "opt_out_body": "If you do not want to take part, we will not send you reminders.",
        "opt_out_confirm": "Confirm I do not take part",
        "opt_out_cancel": "Back to the survey",
        "form_expired": "This page was out of date. Please try again.",
        "language": "Tiếng Việt",
    },
}

# Citizen: a browser signed in to the staff pages is refused before any handler runs.
router = APIRouter(prefix="/r", include_in_schema=False, dependencies=[Depends(Citizen)])


def csrf_token(secret_key: str, invitation: InvitationColumns) -> str:
    """Per-invitation form token: HMAC-SHA256(answer-form key, "answer-form:" + salt) (RFC 2104).

    The key is derived from ``secret_key`` for this purpose only (:mod:`survey.keys`).
    """
    message = f"answer-form:{invitation.token_salt}".encode()
    return hmac.new(derive_keys(secret_key).answer_form, message, hashlib.sha256).hexdigest()


def _language(request: Request) -> tuple[str, bool]:
    """The page language and whether it came from ``?lang=`` (then it is remembered)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    return (remembered if remembered in LANGUAGES else "vi"), False


def _render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    lang, from_query = _language(request)
    page = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": TEXT[lang],
            "other_lang": "en" if lang == "vi" else "vi",
            "tr": lambda value: _label(value, lang),
            "errors": {},
            "error_links": [],
            **context,
        },
        status_code=status_code,
    )
    # Answers are private: no caching, no referrer carrying the token, no indexing.
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"
    page.headers["X-Robots-Tag"] = "noindex"
    page.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    if from_query:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return page


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _state_page(request: Request, link: AnswerLink) -> HTMLResponse:
    return _render(
        request,
        "answer/state.html",
        {"state": link.state},
        status_code=STATE_STATUS.get(link.state, 404),
    )


def _label(value: Mapping[str, str], lang: str) -> str:
    return value.get(lang) or value.get("vi", "")


def _problem_messages(
    definition: Mapping[str, Any], problems: list[Problem], lang: str
) -> dict[str, str]:
    """One message per item, in the page's language, keyed by the item's code."""
    text = TEXT[lang]
    questions = {q["code"]: q for q in definition.get("questions") or []}
    criteria = {c["code"] for e in definition["elements"] for c in e["criteria"]}
    messages: dict[str, str] = {}
    for problem in problems:
        code = str(problem.loc[0]) if problem.loc else ""
        question = questions.get(code)
        if question is None and code not in criteria:
            messages[code] = text["choose_option"]  # a grid row
        elif question is None:
            messages[code] = text["choose_criterion"]
        elif question["type"] == "text" and problem.msg.startswith("keep it"):
            messages[code] = text["too_long"].format(n=question.get("max_length", 500))
        elif question["type"] == "text":
            messages[code] = text["answer_required"]
        else:
            messages[code] = text["choose_option"]
    return messages


def _items(
    definition: Mapping[str, Any], page: AnswerPage, shown: set[str] | None = None
) -> list[dict[str, Any]]:
    """The page's criteria and questions as shown (only those in ``shown`` when given); a grid
    carries its rows and their options."""
    criteria = {c["code"]: c for e in definition["elements"] for c in e["criteria"]}
    questions = {q["code"]: q for q in definition.get("questions") or []}
    numbers = display_numbers(dict(definition))
    items: list[dict[str, Any]] = []
    for code in page.display_codes or page.item_codes:
        if code in criteria:
            item: dict[str, Any] = {"kind": "criterion", **criteria[code]}
            keys = [code]
        else:
            question = questions[code]
            item = {"kind": question["type"], **question}
            if question["type"] in GRID_TYPES:
                item["grid_options"] = grid_options(question)
                keys = [row["code"] for row in question["rows"]]
            else:
                keys = [code]
        item["number"] = numbers[code]
        if shown is None or any(key in shown for key in keys):
            items.append(item)
    return items


def _next_shown(definition: dict[str, Any], answers: Mapping[str, Any], start: int) -> int | None:
    """The first page index from ``start`` asked of this respondent, or ``None`` (review)."""
    pages = answer_pages(definition)
    for page in pages[start:]:
        if page_shown(definition, page, answers):
            return page.index
    return None


def _previous_url(
    token: str, definition: dict[str, Any], answers: Mapping[str, Any], number: int
) -> str:
    for page in reversed(answer_pages(definition)[: number - 1]):
        if page_shown(definition, page, answers):
            return f"/r/{token}/p/{page.index + 1}"
    return f"/r/{token}"


def _reachable(
    definition: dict[str, Any], answers: Mapping[str, Any], current_page: int, number: int
) -> bool:
    """Pages are answered in order: page ``number`` (from 1) is open when every page before it
    was saved or is not asked of this respondent."""
    pages = answer_pages(definition)
    if not 1 <= number <= len(pages):
        return False
    return all(
        not page_shown(definition, page, answers) for page in pages[current_page : number - 1]
    )


def _scale(definition: Mapping[str, Any]) -> list[tuple[str, Mapping[str, str]]]:
    scale = definition["scale"]
    levels = [(str(v), scale["labels"][str(v)]) for v in range(scale["min"], scale["max"] + 1)]
    return [*levels, ("0", scale["not_applicable"])]


def _answer_text(
    definition: Mapping[str, Any], item: Mapping[str, Any], value: Any, lang: str
) -> str:
    if value is None:
        return ""
    if item["kind"] == "criterion":
        labels = dict(_scale(definition))
        label = labels.get(str(value))
        return _label(label, lang) if label else str(value)
    if item["kind"] == "text":
        return str(value)
    if item["kind"] in GRID_TYPES:
        levels = {o["code"]: _label(o["text"], lang) for o in item["grid_options"]}
        return levels.get(str(value), str(value))
    options = {o["code"]: _label(o["text"], lang) for o in item.get("options") or []}
    values = value if isinstance(value, list) else [value]
    return ", ".join(options.get(v, str(v)) for v in values)


def _open_link(session: SessionDep, settings: SettingsDep, token: str) -> AnswerLink:
    return resolve_link(session=session, secret_key=settings.secret_key, token=token)


def _invitation(link: AnswerLink) -> Invitation:
    # Only called once the state is known; every known state carries its invitation.
    assert link.invitation is not None
    return link.invitation


async def _posted_form(request: Request) -> FormData:
    # Read the body on the event loop; the handlers themselves are plain functions that FastAPI
    # runs in its thread pool, so their database calls never block other requests.
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


def _checked_form(
    form: FormData, settings: SettingsDep, invitation: InvitationColumns
) -> dict[str, Any] | None:
    """The posted fields (lists for repeated names), or ``None`` when the CSRF token is wrong."""
    expected = csrf_token(settings.secret_key, invitation)
    sent = str(form.get(CSRF_FIELD, ""))
    if not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
        return None
    fields: dict[str, Any] = {}
    for key in form:
        values = [str(v) for v in form.getlist(key)]
        fields[key] = values if len(values) > 1 else values[0]
    return fields


def _csrf_failed(request: Request, token: str) -> HTMLResponse:
    return _render(
        request, "answer/state.html", {"state": "form_expired", "token": token}, status_code=400
    )


def _resume_url(
    token: str, current_page: int, definition: dict[str, Any], answers: Mapping[str, Any]
) -> str:
    """The first page not yet saved that is asked of this respondent, else the review."""
    index = _next_shown(definition, answers, current_page)
    return f"/r/{token}/review" if index is None else f"/r/{token}/p/{index + 1}"


@router.get("/{token}", response_class=HTMLResponse)
def welcome(request: Request, token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The welcome page: what is rated, the anonymity promise, start or resume, opt out."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link)
    invitation = _invitation(link)
    if invitation.first_opened_at is None:
        assert invitation.id is not None
        record_first_open(session=session, invitation_id=invitation.id)
    questionnaire = questionnaire_for(session=session, invitation=invitation)
    definition = questionnaire.definition
    return _render(
        request,
        "answer/welcome.html",
        {
            "token": token,
            "csrf": csrf_token(settings.secret_key, invitation),
            "title": definition["title"],
            "service": rated_service(session=session, invitation=invitation),
            "resuming": link.response is not None,
            "n_pages": len(answer_pages(definition)),
        },
    )


@router.post("/{token}/start")
def start(
    request: Request, token: str, session: SessionDep, settings: SettingsDep, form: PostedForm
) -> Response:
    """Create (or find) the draft response and go to the first unanswered page."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link)
    if _checked_form(form, settings, _invitation(link)) is None:
        return _csrf_failed(request, token)
    lang, _ = _language(request)
    response = start_or_resume(session=session, invitation=_invitation(link), language=lang)
    questionnaire = questionnaire_for(session=session, invitation=_invitation(link))
    return _redirect(
        _resume_url(token, response.current_page, questionnaire.definition, response.answers)
    )


def _error_link_text(item: Mapping[str, Any], message: str, lang: str) -> str:
    if item.get("number"):
        return f"{item['number']}. {message}"
    return f"{_label(item['text'], lang)} – {message}"


def _error_links(
    items: list[dict[str, Any]], errors: Mapping[str, str], lang: str, prefix: str = ""
) -> list[dict[str, str]]:
    """Links of the error summary, one per item (or grid row) in error, in page order."""
    links = []
    for item in items:
        entries: list[dict[str, Any]] = item["rows"] if item["kind"] in GRID_TYPES else [item]
        for entry in entries:
            if entry["code"] in errors:
                links.append(
                    {
                        "href": f"{prefix}#{entry['code']}",
                        "text": _error_link_text(entry, errors[entry["code"]], lang),
                    }
                )
    return links


def _page_context(
    token: str,
    settings: SettingsDep,
    link: AnswerLink,
    definition: dict[str, Any],
    number: int,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    back_to_review: bool,
    lang: str,
    earlier: Mapping[str, Any],
) -> dict[str, Any]:
    pages = answer_pages(definition)
    page = pages[number - 1]
    # Questions whose condition rests on earlier pages are left out of this one.
    items = _items(definition, page, shown_codes(definition, earlier))
    return {
        "token": token,
        "csrf": csrf_token(settings.secret_key, _invitation(link)),
        "page": page,
        "number": number,
        "n_pages": len(pages),
        "progress": _progress(definition, items),
        "items": items,
        "scale": _scale(definition),
        "values": values,
        "errors": errors,
        "error_links": _error_links(items, errors, lang),
        "grid_types": GRID_TYPES,
        "back_to_review": back_to_review,
        "back_url": f"/r/{token}/review"
        if back_to_review
        else _previous_url(token, definition, earlier, number),
    }


def _progress(definition: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, int]:
    """Where this page's questions sit in the whole form, for the progress bar and its words."""
    total = len(display_numbers(definition))
    numbers = [item["number"] for item in items] or [total]
    return {"first": min(numbers), "last": max(numbers), "total": total}


def _selected(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Form values as lists of strings, for checking radios and boxes in the template."""
    selected: dict[str, list[str]] = {}
    for code, value in values.items():
        selected[code] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return selected


@router.get("/{token}/p/{number}", response_class=HTMLResponse)
def answer_page(
    request: Request, token: str, number: int, session: SessionDep, settings: SettingsDep
) -> Response:
    """One element's criteria (or the extra questions), pre-filled with saved answers."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link)
    if link.response is None:
        return _redirect(f"/r/{token}")
    definition = questionnaire_for(session=session, invitation=_invitation(link)).definition
    answers = link.response.answers
    current = link.response.current_page
    if not _reachable(definition, answers, current, number):
        # Pages are answered in order; a later page sends the citizen to where they are.
        return _redirect(_resume_url(token, current, definition, answers))
    if not page_shown(definition, answer_pages(definition)[number - 1], answers):
        # Not asked of this respondent (a display condition): on to the next page asked.
        return _redirect(_resume_url(token, number, definition, answers))
    context = _page_context(
        token,
        settings,
        link,
        definition,
        number,
        _selected(link.response.answers),
        {},
        request.query_params.get("from") == "review",
        _language(request)[0],
        answers,
    )
    return _render(request, "answer/page.html", context)


@router.post("/{token}/p/{number}")
def post_answer_page(
    request: Request,
    token: str,
    number: int,
    session: SessionDep,
    settings: SettingsDep,
    form: PostedForm,
) -> Response:
    """Save one page (post/redirect/get); errors re-render the page with an error summary."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link)
    fields = _checked_form(form, settings, _invitation(link))
    if fields is None:
        return _csrf_failed(request, token)
    if link.response is None:
        return _redirect(f"/r/{token}")
    definition = questionnaire_for(session=session, invitation=_invitation(link)).definition
    earlier = link.response.answers
    if not _reachable(definition, earlier, link.response.current_page, number):
        # Pages are answered in order, by POST as by GET: no skipping ahead.
        return _redirect(_resume_url(token, link.response.current_page, definition, earlier))
    back_to_review = fields.get("from") == "review"
    try:
        response = save_page(
            session=session, invitation=_invitation(link), page=number - 1, answers=fields
        )
    except InvalidInput as error:
        lang, _ = _language(request)
        context = _page_context(
            token,
            settings,
            link,
            definition,
            number,
            _selected({k: v for k, v in fields.items() if k != CSRF_FIELD}),
            _problem_messages(definition, error.problems, lang),
            back_to_review,
            lang,
            earlier,
        )
        return _render(request, "answer/page.html", context, status_code=422)
    except Conflict:
        return _redirect(f"/r/{token}")
    if back_to_review:
        return _redirect(_resume_url(token, response.current_page, definition, response.answers))
    # The next page asked, given the answers just saved (a "no" in Q8 skips its blocks).
    return _redirect(_resume_url(token, number, definition, response.answers))


def _review_context(
    token: str,
    settings: SettingsDep,
    link: AnswerLink,
    definition: dict[str, Any],
    lang: str,
    *,
    show_missing: bool = False,
) -> dict[str, Any]:
    assert link.response is not None
    answers = link.response.answers
    sections = []
    errors: dict[str, str] = {}
    error_links: list[dict[str, str]] = []
    shown = shown_codes(definition, answers)
    for page in answer_pages(definition):
        if not page_shown(definition, page, answers):
            continue  # not asked of this respondent: nothing to review or require
        rows = []
        for item in _items(definition, page, shown):
            grid = item["kind"] in GRID_TYPES
            for entry in item["rows"] if grid else [item]:
                if entry["code"] not in shown:
                    continue
                value = answers.get(entry["code"])
                required = item["kind"] == "criterion" or bool(item.get("required", grid))
                if show_missing and value is None and required:
                    errors[entry["code"]] = TEXT[lang]["missing"]
                    error_links.append(
                        {
                            "href": f"/r/{token}/p/{page.index + 1}?from=review#{entry['code']}",
                            "text": _error_link_text(entry, TEXT[lang]["no_answer"], lang),
                        }
                    )
                text = entry["text"]
                if grid:
                    text = {
                        k: f"{_label(item['text'], k)} {_label(entry['text'], k)}"
                        for k in LANGUAGES
                    }
                rows.append(
                    {
                        "code": entry["code"],
                        "number": entry.get("number"),
                        "text": text,
                        "answer": _answer_text(definition, item, value, lang),
                    }
                )
        sections.append({"number": page.index + 1, "title": page.title, "rows": rows})
    return {
        "token": token,
        "csrf": csrf_token(settings.secret_key, _invitation(link)),
        "sections": sections,
        "errors": errors,
        "error_links": error_links,
    }


@router.get("/{token}/review", response_class=HTMLResponse)
def review(request: Request, token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """Every answer with a "change" link, and the one button that submits."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link)
    if link.response is None:
        return _redirect(f"/r/{token}")
    definition = questionnaire_for(session=session, invitation=_invitation(link)).definition
    lang, _ = _language(request)
    return _render(
        request, "answer/review.html", _review_context(token, settings, link, definition, lang)
    )


@router.post("/{token}/submit")
async def submit(request: Request, token: str, settings: SettingsDep, form: PostedForm) -> Response:
    """Submit the saved answers once; a retried POST lands on the same thank-you page.

    The busiest POST of a campaign: its session is opened, used and closed in one worker
    thread, where a plain handler with the session dependency takes three thread-pool hops.
    """
    return await run_in_threadpool(_submit_in_session, request, token, settings, form)


def _submit_in_session(
    request: Request, token: str, settings: Settings, form: FormData
) -> Response:
    engine: Engine = request.app.state.engine
    with engine.connect() as connection:
        if request.client is not None:
            # The per-address limit, counted here rather than in RateLimitMiddleware
            # (api.rate_limits.counted_in_route): before any other work, committed on its own,
            # on the connection the submission then uses.
            limits = rate_limits_of(request.app)
            try:
                with limits.storage.lent(connection):
                    limits.hit_citizen_page(address=request.client.host)
            except TooManyRequests as error:
                return citizen_refusal(request, error)
        # Use cases commit themselves; closing rolls back whatever they left open.
        with Session(bind=connection) as session:
            return _submit(request, token, session, settings, form)


def _submit(
    request: Request, token: str, session: Session, settings: Settings, form: FormData
) -> Response:
    if session.get_bind().dialect.name == "postgresql":
        return _submit_locked(request, token, session, settings, form)
    link = _open_link(session, settings, token)
    if link.state == "completed":
        return _redirect(f"/r/{token}/thanks")
    if link.state != "ok":
        return _state_page(request, link)
    if _checked_form(form, settings, _invitation(link)) is None:
        return _csrf_failed(request, token)
    if link.response is None:
        return _redirect(f"/r/{token}")
    try:
        # The draft as stored when locked, not as read above: a save from another window
        # either makes it in or is refused.
        submit_draft(session=session, invitation=_invitation(link))
    except InvalidInput:
        definition = questionnaire_for(session=session, invitation=_invitation(link)).definition
        lang, _ = _language(request)
        context = _review_context(token, settings, link, definition, lang, show_missing=True)
        return _render(request, "answer/review.html", context, status_code=422)
    except Conflict:
        return _redirect(f"/r/{token}")
    return _redirect(f"/r/{token}/thanks")


def _submit_locked(
    request: Request, token: str, session: Session, settings: Settings, form: FormData
) -> Response:
    """:func:`_submit` on PostgreSQL: the link read and the draft's lock are one statement
    (:func:`survey.responses.lock_link_for_submit`), the same checks in the same order."""
    link: SubmitLink = lock_link_for_submit(
        session=session, secret_key=settings.secret_key, token=token
    )
    if link.state == "completed":
        return _redirect(f"/r/{token}/thanks")
    if link.state != "ok":
        return _render(
            request,
            "answer/state.html",
            {"state": link.state},
            status_code=STATE_STATUS.get(link.state, 404),
        )
    assert link.invitation is not None
    if _checked_form(form, settings, link.invitation) is None:
        return _csrf_failed(request, token)
    if link.answers is None:
        # No draft in progress: never started, or submitted meanwhile (the welcome page says).
        return _redirect(f"/r/{token}")
    try:
        submit_locked_draft(session=session, link=link)
    except InvalidInput:
        # Rare (the review page lists what is missing): rendered from the full link as before.
        full = _open_link(session, settings, token)
        if full.state != "ok" or full.response is None:
            return _redirect(f"/r/{token}")
        definition = questionnaire_for(session=session, invitation=_invitation(full)).definition
        lang, _ = _language(request)
        context = _review_context(token, settings, full, definition, lang, show_missing=True)
        return _render(request, "answer/review.html", context, status_code=422)
    except Conflict:
        return _redirect(f"/r/{token}")
    return _redirect(f"/r/{token}/thanks")


@router.get("/{token}/thanks", response_class=HTMLResponse)
def thanks(request: Request, token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The thank-you page, shown only once the response is completed."""
    link = _open_link(session, settings, token)
    if link.state != "completed":
        return _redirect(f"/r/{token}") if link.state == "ok" else _state_page(request, link)
    return _render(request, "answer/thanks.html", {})


@router.get("/{token}/opt-out", response_class=HTMLResponse)
def opt_out_page(
    request: Request, token: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """Ask to confirm "do not contact me again" (a GET never opts anyone out: link scanners)."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link)
    csrf = csrf_token(settings.secret_key, _invitation(link))
    return _render(request, "answer/opt_out.html", {"token": token, "csrf": csrf})


@router.post("/{token}/opt-out")
def post_opt_out(
    request: Request, token: str, session: SessionDep, settings: SettingsDep, form: PostedForm
) -> Response:
    """Record the opt-out (the number gets no reminder from any campaign), then confirm it."""
    link = _open_link(session, settings, token)
    if link.state != "ok":
        return _state_page(request, link) if link.state != "opted_out" else _redirect(f"/r/{token}")
    if _checked_form(form, settings, _invitation(link)) is None:
        return _csrf_failed(request, token)
    opt_out_invitation(session=session, settings=settings, invitation=_invitation(link))
    return _redirect(f"/r/{token}")
