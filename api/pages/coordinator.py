"""Coordinator pages under ``/staff``: sign-in, overview, frames, designs and draws.

Server-rendered HTML that works with no JavaScript. Signing in stores an API token in the
httponly, SameSite=Lax cookie ``sipas_session`` (read by :mod:`api.deps` for the JSON API too, so
the download links are plain API links). Every form POST carries a token derived from the
session (HMAC with the secret key) against cross-site request forgery, and answers with a
redirect (post/redirect/get) or the same page with an error summary linking to each field.
Each route declares one policy of :mod:`api.policy` (``docs/access.md``): every staff account
reads the lists (a scoped coordinator: their own rows, filtered by the use cases), national
coordinators and administrators upload, design and draw, and only coordinators and
administrators download samples. Not signed in -> the sign-in page.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.datastructures import FormData, UploadFile

from api.deps import (
    SESSION_COOKIE,
    AddressDep,
    LifetimesDep,
    PasswordCheckerDep,
    RateLimitsDep,
    SessionDep,
    SettingsDep,
    SignInTurn,
    get_engine,
)
from api.formatting import NumberNotUnderstood, parse_number, province_name
from api.formatting import install as install_formatting
from api.formatting import plain as fmt_plain
from api.i18n import (
    choose_language,
    frame_import_texts,
    remember_language,
    requested_language,
    texts,
)
from api.policy import (
    AsNationalCoordinator,
    AsStaff,
    Caller,
    NationalCoordinator,
    Public,
)
from api.problem_text import install as install_problem_text
from api.problem_text import problem_text
from api.rate_limits import wait_words
from api.upload_limit import upload_display_name
from survey.designs import (
    DEFAULT_DOMAINS,
    PSU_COLUMNS,
    SORTABLE,
    STRATIFIABLE,
    AllocationPreview,
    AllocationSpec,
    DesignCreate,
    create_design,
    design_spec,
    get_design,
    list_designs,
    parse_design,
    preview_design,
)
from survey.draw_precision import draw_precision
from survey.draws import PHONE_ROLES, draw_units_summary, get_draw, list_draws, run_draw
from survey.errors import (
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    Problem,
    SipasError,
    TooManyRequests,
)
from survey.frame_staging import discard_staged_upload, import_staged_upload, stage_upload
from survey.frames import (
    frame_problem_kinds,
    frame_problems,
    get_frame,
    list_frames,
    parse_date,
)
from survey.geography import PROVINCES_2025
from survey.models import StaffUser
from survey.rate_limits import SignInLocked
from survey.settings import Settings
from survey.unit_names import agency_names
from survey.users import AccountDisabled, Scope
from survey.users import sign_in as open_session
from survey.users import sign_out as close_session

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
install_formatting(TEMPLATES)
install_problem_text(TEMPLATES.env.filters)
STAFF = "/staff"
CSRF_FIELD = "csrf"
EDITOR_ROLES = frozenset({"admin", "coordinator"})
# Form fields of the design form: a problem's loc names one of them, so the summary links to it.
DESIGN_FIELDS = (
    "name",
    "frame_id",
    "stratify_by",
    "geo_mapping",
    "selection",
    "sort_by",
    "psu_column",
    "method",
    "n_total",
    "margin",
    "margin_applies_to",
    "p",
    "confidence",
    "deff",
    "response_rate",
    "min_per_stratum",
    "max_per_stratum",
    "power_q",
    "m_per_psu",
    "size_rule",
    "domain_target",
    "reserve_per_stratum",
)
ALLOCATION_FIELDS = DESIGN_FIELDS[7:21]
DESIGN_DEFAULTS: dict[str, Any] = {
    "stratify_by": ["agency_code"],
    "selection": "srswor",
    "method": "proportional",
    "margin_applies_to": "total",
    "p": "0.5",
    "confidence": "0.95",
    "deff": "1",
    "response_rate": "1",
    "min_per_stratum": "0",
    "power_q": "0.5",
    "m_per_psu": "10",
    "size_rule": "cochran",
    "reserve_per_stratum": "0",
}


class SignInRequired(Exception):
    """Raised by page dependencies; turned into a redirect to the sign-in page."""


def csrf_token(settings: Settings, session_token: str) -> str:
    """Per-session form token: HMAC-SHA256 of the session token under the staff CSRF key."""
    message = ("staff-csrf:" + session_token).encode()
    return hmac.new(settings.keys.staff_csrf, message, hashlib.sha256).hexdigest()


async def form_data(request: Request) -> FormData:
    """The posted form (read in the event loop so the handler can stay synchronous)."""
    return await request.form(max_part_size=1 << 20)


FormDep = Annotated[FormData, Depends(form_data)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def _field_of(loc: Sequence[str | int], fields: Sequence[str]) -> str | None:
    for part in reversed(list(loc)):
        if isinstance(part, str) and part in fields:
            return part
    return None


def error_context(
    problems: Sequence[Problem], fields: Sequence[str]
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Messages by field (shown beside it) and the summary's links (to the field, or the form)."""
    by_field: dict[str, str] = {}
    links = []
    for problem in problems:
        field = _field_of(problem.loc, fields)
        where = ".".join(str(p) for p in problem.loc)
        text = problem.msg if field or not where else f"{where}: {problem.msg}"
        if field is not None:
            by_field.setdefault(field, problem.msg)
        links.append({"href": f"#f-{field}" if field else "#form", "text": text})
    return by_field, links


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    user: Caller | StaffUser | None,
    settings: Settings,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a staff page with the shared context (words, language, user, form token).

    ``can_edit`` (upload, design, draw) follows :data:`api.policy.NationalCoordinator`.
    """
    caller = user if isinstance(user, Caller) else None
    user = caller.user if caller is not None else user
    limited = caller is not None and caller.scope.limited
    lang = choose_language(request)
    session_token = request.cookies.get(SESSION_COOKIE, "")
    full: dict[str, Any] = {
        "t": texts(lang),
        "lang": lang,
        "timezone": settings.timezone,
        "other_lang": "en" if lang == "vi" else "vi",
        "user": user,
        "can_edit": user is not None and NationalCoordinator.allows(user.role, limited=limited),
        "scoped": limited,
        "csrf": csrf_token(settings, session_token) if session_token else "",
        "errors": {},
        "error_links": [],
        "path": request.url.path,
    }
    full.update(context)
    # Every page shows the use cases' problems through here: in the page's language.
    full["errors"] = {
        field: problem_text(text, lang) if isinstance(text, str) else text
        for field, text in dict(full["errors"] or {}).items()
    }
    full["error_links"] = [
        {**link, "text": problem_text(link["text"], lang)}
        if isinstance(link.get("text"), str)
        else link
        for link in full["error_links"] or []
    ]
    response = TEMPLATES.TemplateResponse(request, name, full, status_code=status_code)
    remember_language(request, response)
    return response


def check_form_token(request: Request, form: FormData, settings: Settings) -> None:
    """The one check of a staff form's token, in constant time (every staff page uses it)."""
    session_token = request.cookies.get(SESSION_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    expected = csrf_token(settings, session_token) if session_token else ""
    if (
        not session_token
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode())
    ):
        raise PermissionDenied("the form has expired: reload the page and send it again")


_check_csrf = check_form_token


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _scope_text(scope: Scope, lang: str) -> str:
    agency, province = ("cơ quan", "tỉnh") if lang == "vi" else ("agency", "province")
    parts = [f"{agency} {c}" for c in sorted(scope.agencies or ())]
    parts += [f"{province} {province_name(c)} ({c})" for c in sorted(scope.provinces or ())]
    return ", ".join(parts)


class StaffRoute(APIRoute):
    """Routes of the staff pages: no sign-in -> the sign-in page; errors -> an HTML page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (SignInRequired, NotAuthenticated):
                # A page policy found no (valid) session: sign in, then come back.
                target = quote(request.url.path)
                return RedirectResponse(f"{STAFF}/sign-in?next={target}", status_code=303)
            except SipasError as error:
                return _error_page(request, error)

        return handle


router = APIRouter(route_class=StaffRoute, include_in_schema=False)


# ----------------------------------------------------------------------------- sign-in


@router.get("/", dependencies=[Depends(Public)])
def root() -> RedirectResponse:
    """The service's front door leads staff to their pages."""
    return _see_other("/staff")


@router.get("/staff/sign-in", dependencies=[Depends(Public)])
def sign_in_form(request: Request, settings: SettingsDep, next: str = "/staff") -> HTMLResponse:
    return render(
        request,
        "coordinator/sign_in.html",
        {"next": _safe_next(next)},
        user=None,
        settings=settings,
    )


def _safe_next(url: str) -> str:
    # Only local paths, so the sign-in page cannot be used to send people elsewhere.
    return url if url.startswith("/staff") and "//" not in url else "/staff"


def _refusal_text(error: TooManyRequests, words: Mapping[str, str], lang: str) -> str:
    wait = wait_words(error.retry_after, lang)
    if isinstance(error, SignInLocked):
        key = "account_locked" if error.per == "account" else "address_locked"
        return words[key].format(wait=wait)
    return words["sign_in_busy"]


@router.post("/staff/sign-in", dependencies=[Depends(Public)])
def sign_in(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    limits: RateLimitsDep,
    checker: PasswordCheckerDep,
    lifetimes: LifetimesDep,
    address: AddressDep,
    turn: SignInTurn,
) -> Response:
    """Open a web session: limited per account and address, refused for disabled accounts."""
    lang = choose_language(request)
    words = texts(lang)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_url = _safe_next(str(form.get("next") or "/staff"))
    problems = []
    if not username:
        problems.append(Problem(("username",), words["enter_username"]))
    if not password:
        problems.append(Problem(("password",), words["enter_password"]))
    token = None
    status, headers = 422, {}
    if not problems and not turn:
        status, headers = 429, {"Retry-After": "2"}
        problems.append(Problem(("username",), words["sign_in_busy"]))
    if not problems:
        try:
            _user, token = open_session(
                session=session,
                username=username,
                password=password,
                address=address,
                limits=limits,
                checker=checker,
                lifetimes=lifetimes,
            )
        except TooManyRequests as error:
            status, headers = 429, {"Retry-After": str(error.retry_after)}
            problems.append(Problem(("username",), _refusal_text(error, words, lang)))
        except AccountDisabled:
            status = 401
            problems.append(Problem(("username",), words["account_disabled"]))
        except NotAuthenticated:
            status = 401
            problems.append(Problem(("username",), words["wrong_credentials"]))
    if problems or token is None:
        errors, links = error_context(problems, ("username", "password"))
        page = render(
            request,
            "coordinator/sign_in.html",
            {"next": next_url, "username": username, "errors": errors, "error_links": links},
            user=None,
            settings=settings,
            status_code=status,
        )
        page.headers.update(headers)
        return page
    if next_url == STAFF and _user.role == "interviewer":
        # Interviewers have one page of their own: their call list.
        next_url = "/staff/interviews"
    elif next_url == STAFF and _user.role == "clerk":
        # Clerks have one page of their own: the form-number box.
        next_url = "/staff/entry"
    response = _see_other(next_url)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        max_age=int(lifetimes.session_max.total_seconds()),
    )
    return response


@router.post("/staff/sign-out", dependencies=[Depends(Public)])
def sign_out(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, address: AddressDep
) -> RedirectResponse:
    """End the session on the server (its token is revoked), not only in the browser."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return _see_other("/staff/sign-in")  # nothing to end; no form token to check either
    check_form_token(request, form, settings)
    if token:
        close_session(session=session, token=token, address=address)
    response = _see_other("/staff/sign-in")
    response.delete_cookie(SESSION_COOKIE)
    return response


# ----------------------------------------------------------------------------- overview


@router.get("/staff")
def home(request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep) -> Response:
    scope = caller.scope
    context = {
        "n_frames": len(list_frames(session, scope=scope)),
        "n_designs": len(list_designs(session=session, scope=scope)),
        "n_draws": len(list_draws(session=session, scope=scope)),
        "scope_text": _scope_text(scope, choose_language(request)),
    }
    return render(request, "coordinator/home.html", context, user=caller, settings=settings)


# ----------------------------------------------------------------------------- frames


@router.get("/staff/frames")
def frames(
    request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(
        request,
        "coordinator/frames.html",
        {"frames": list_frames(session, scope=caller.scope)},
        user=caller,
        settings=settings,
    )


@router.get("/staff/frames/upload")
def upload_form(request: Request, caller: AsNationalCoordinator, settings: SettingsDep) -> Response:
    return render(
        request, "coordinator/frame_upload.html", {"form": {}}, user=caller, settings=settings
    )


@router.post("/staff/frames/upload")
def upload(
    request: Request,
    form: FormDep,
    caller: AsNationalCoordinator,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    check_form_token(request, form, settings)
    user = caller.user
    t = texts(choose_language(request))
    name = str(form.get("name") or "").strip()
    upload_file = form.get("file")
    accept = form.get("accept_valid_rows") == "yes"
    problems: list[Problem] = []
    if not name:
        problems.append(Problem(("name",), t["enter_frame_name"]))
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        problems.append(Problem(("file",), t["choose_file"]))
    period_text = {k: str(form.get(k) or "").strip() for k in ("period_start", "period_end")}
    period: dict[str, date | None] = {}
    for key, value in period_text.items():
        try:
            period[key] = parse_date(value) if value else None
        except (ValueError, OverflowError):
            problems.append(Problem((key,), t["period_day_invalid"].format(value=value[:40])))
    start, end = period.get("period_start"), period.get("period_end")
    if len(period) == 2 and (start is None) != (end is None):
        missing = "period_start" if start is None else "period_end"
        problems.append(Problem((missing,), t["period_incomplete"]))
    elif start is not None and end is not None and end < start:
        problems.append(Problem(("period_end",), t["period_reversed"]))
    report = None
    if not problems:
        assert isinstance(upload_file, UploadFile) and upload_file.filename
        assert user.id is not None
        filename = upload_display_name(upload_file.filename)
        try:
            # Kept under a random id, so a header that needs matching by hand is not lost.
            staged = stage_upload(
                source=upload_file.file,
                filename=filename,
                owner_id=user.id,
                name=name,
                period_start=period.get("period_start"),
                period_end=period.get("period_end"),
                accept_valid_rows=accept,
            )
            if staged.needs_mapping:
                asked = requested_language(request)
                suffix = f"?lang={asked}" if asked else ""
                return _see_other(f"/staff/frames/mapping/{staged.staging_id}{suffix}")
            try:
                report = import_staged_upload(
                    engine=engine, staging_id=staged.staging_id, owner_id=user.id, column_map={}
                )
            finally:
                discard_staged_upload(staging_id=staged.staging_id)
        except InvalidInput as error:
            problems.extend(
                p
                if p.loc[:1] in (("period_start",), ("period_end",))
                else Problem(("file", *p.loc), p.msg)
                if p.loc
                else Problem(("file",), p.msg)
                for p in error.problems
            )
    if report is None:
        lang = choose_language(request)
        problems = [Problem(p.loc, problem_text(p.msg, lang)) for p in problems]
        errors, links = error_context(problems, ("name", "file", "period_start", "period_end"))
        form_values = {"name": name, "accept": accept, **period_text}
        return render(
            request,
            "coordinator/frame_upload.html",
            {"form": form_values, "errors": errors, "error_links": links},
            user=user,
            settings=settings,
            status_code=422,
        )
    return _see_other(f"/staff/frames/{report.frame_id}")


@router.get("/staff/frames/{frame_id}")
def frame_report(
    frame_id: int, request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    frame = get_frame(session, frame_id, scope=caller.scope)
    # Problems quote row values: coordinators' business (their rows only), never analysts'.
    show_problems = caller.role in EDITOR_ROLES
    problems = (
        frame_problems(session, frame_id, limit=500, scope=caller.scope) if show_problems else []
    )
    # Counted in SQL, so the page says how many there are beyond the 500 it lists.
    kinds = frame_problem_kinds(session, frame_id, scope=caller.scope) if show_problems else ()
    return render(
        request,
        "coordinator/frame_report.html",
        {
            "frame": frame,
            "problems": problems,
            "show_problems": show_problems,
            "kinds": kinds,
            "problems_total": sum(k.count for k in kinds),
            "m": frame_import_texts(choose_language(request)),
        },
        user=caller,
        settings=settings,
    )


# ----------------------------------------------------------------------------- designs


@router.get("/staff/designs")
def designs(
    request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(
        request,
        "coordinator/designs.html",
        {"designs": list_designs(session=session, scope=caller.scope)},
        user=caller,
        settings=settings,
    )


def _design_form_context(session: SessionDep, values: Mapping[str, Any]) -> dict[str, Any]:
    ready = [f for f in list_frames(session) if f.status == "ready"]
    return {
        "form": {**DESIGN_DEFAULTS, **values},
        "frames": ready,
        "stratifiable_options": [(c, c) for c in STRATIFIABLE],
        "sortable_options": [(c, c) for c in SORTABLE],
        "psu_columns": PSU_COLUMNS,
    }


@router.get("/staff/designs/new")
def design_form(
    request: Request,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    frame_id: int | None = None,
) -> Response:
    values = {} if frame_id is None else {"frame_id": str(frame_id)}
    return render(
        request,
        "coordinator/design_form.html",
        _design_form_context(session, values),
        user=caller,
        settings=settings,
    )


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in DESIGN_FIELDS:
        if field in ("stratify_by", "sort_by"):
            values[field] = [str(v) for v in form.getlist(field)]
        else:
            values[field] = str(form.get(field) or "").strip()
    return values


WHOLE_FIELDS = ("n_total", "min_per_stratum", "max_per_stratum", "m_per_psu", "reserve_per_stratum")
DECIMAL_FIELDS = ("margin", "p", "confidence", "deff", "response_rate", "power_q", "domain_target")
# Shares may be typed as percentages ("5 %"); a design effect or an exponent may not.
PERCENT_FIELDS = ("margin", "p", "confidence", "response_rate", "domain_target")


def _bounds(field: str) -> list[tuple[str, float]]:
    """The model's own limits of a number (gt/ge/lt/le), so the page never drifts from them."""
    info = (
        AllocationSpec.model_fields.get(field)
        or DesignCreate.model_fields[field]  # reserve_per_stratum
    )
    found = []
    for item in info.metadata:
        for op in ("gt", "ge", "lt", "le"):
            limit = getattr(item, op, None)
            if limit is not None:
                found.append((op, float(limit)))
    return found


def _within(value: float, op: str, limit: float) -> bool:
    return {
        "gt": value > limit,
        "ge": value >= limit,
        "lt": value < limit,
        "le": value <= limit,
    }[op]


def parse_design_numbers(
    values: Mapping[str, Any], lang: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The form's numbers as people type them ("0,10", "0.10", "5 %"), checked in ``lang``.

    Returns the values with numbers in place (empty boxes stay empty) and the problems, each
    naming the field in the page's words.
    """
    t = texts(lang)
    parsed = dict(values)
    problems: list[Problem] = []
    for field in (*WHOLE_FIELDS, *DECIMAL_FIELDS):
        text = values.get(field, "")
        if text == "":
            continue
        name = t.get(f"{field}_name", t[field])
        whole = field in WHOLE_FIELDS
        percent_sign = field in PERCENT_FIELDS
        try:
            number = parse_number(text, lang, whole=whole, percent_sign=percent_sign)
        except NumberNotUnderstood as error:
            example = t[
                "num_example_whole"
                if whole
                else ("num_example_percent" if percent_sign else "num_example_decimal")
            ]
            key = "num_not_whole" if error.kind == "whole" else "num_not_number"
            problems.append(
                Problem((field,), t[key].format(field=name, value=text, example=example))
            )
            continue
        bounds = _bounds(field)
        if not all(_within(number, op, limit) for op, limit in bounds):
            words = [
                t["num_" + op].format(x=fmt_plain(int(limit) if whole else limit, lang))
                for op, limit in bounds
            ]
            problems.append(
                Problem(
                    (field,),
                    t["num_out_of_range"].format(field=name, range=t["num_and"].join(words)),
                )
            )
            continue
        parsed[field] = number
    return parsed, problems


def design_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the design form's strings into design data; empty optional numbers are left out."""
    # An empty box means "the default" (or "none" for the optional sizes and bounds).
    allocation = {field: values[field] for field in ALLOCATION_FIELDS if values[field] != ""}
    data_reserve = values["reserve_per_stratum"] or 0
    return {
        "name": values["name"],
        "frame_id": values["frame_id"] or None,
        "stratify_by": values["stratify_by"],
        "geo_mapping": PROVINCES_2025 if values["geo_mapping"] == "yes" else None,
        "selection": values["selection"] or "srswor",
        "sort_by": values["sort_by"] if values["selection"] == "systematic" else [],
        "psu_column": (values["psu_column"] or None) if values["selection"] == "pps" else None,
        "allocation": allocation,
        "reserve_per_stratum": data_reserve,
    }


@router.post("/staff/designs/new")
def design_submit(
    request: Request,
    form: FormDep,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    check_form_token(request, form, settings)
    user = caller.user
    values = _form_values(form)
    action = str(form.get("action") or "preview")
    preview: AllocationPreview | None = None
    try:
        numbers, problems = parse_design_numbers(values, choose_language(request))
        if problems:
            raise InvalidInput("the design's numbers are not valid", problems)
        spec: DesignCreate = parse_design(design_data(numbers))
        if action == "save":
            design = create_design(session=session, spec=spec, created_by=user.id)
            return _see_other(f"/staff/designs/{design.id}")
        preview = preview_design(
            session=session,
            spec=spec,
            domains=DEFAULT_DOMAINS,
            scope=caller.scope,
        )
    except InvalidInput as error:
        errors, links = error_context(error.problems, DESIGN_FIELDS)
        context = _design_form_context(session, values)
        context.update({"errors": errors, "error_links": links})
        return render(
            request,
            "coordinator/design_form.html",
            context,
            user=caller,
            settings=settings,
            status_code=422,
        )
    context = _design_form_context(session, values)
    context["preview"] = preview
    if preview is not None:
        context.update(_name_context(session, spec.frame_id, spec.stratify_by))
    return render(request, "coordinator/design_form.html", context, user=caller, settings=settings)


def _name_context(session: SessionDep, frame_id: int, columns: Sequence[str]) -> dict[str, Any]:
    """What the ``stratum`` and ``unit`` filters need to name agencies, provinces and channels."""
    return {
        "stratum_columns": list(columns),
        "agency_names": agency_names(session=session, frame_id=frame_id),
    }


@router.get("/staff/designs/{design_id}")
def design_page(
    design_id: int, request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    design = get_design(session=session, design_id=design_id, scope=caller.scope)
    preview = preview_design(
        session=session, spec=design_spec(design), domains=DEFAULT_DOMAINS, scope=caller.scope
    )
    return render(
        request,
        "coordinator/design.html",
        {
            "design": design,
            "preview": preview,
            "draws": list_draws(session=session, design_id=design_id, scope=caller.scope),
            "seed": "",
            **_name_context(session, design.frame_id, design.stratify_by),
        },
        user=caller,
        settings=settings,
    )


@router.post("/staff/designs/{design_id}/draws")
def draw_submit(
    design_id: int,
    request: Request,
    form: FormDep,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    check_form_token(request, form, settings)
    user = caller.user
    seed_text = str(form.get("seed") or "").strip()
    problems = []
    seed: int | None = None
    if seed_text:
        if seed_text.isdigit():
            seed = int(seed_text)
        else:
            problems.append(Problem(("seed",), "the seed is a whole number, e.g. 20251001"))
    if not problems:
        try:
            draw = run_draw(session=session, design_id=design_id, seed=seed, created_by=user.id)
            return _see_other(f"/staff/draws/{draw.id}")
        except InvalidInput as error:
            problems = [Problem(("seed",), p.msg) for p in error.problems]
    design = get_design(session=session, design_id=design_id)
    errors, links = error_context(problems, ("seed",))
    preview = preview_design(session=session, spec=design_spec(design), domains=DEFAULT_DOMAINS)
    return render(
        request,
        "coordinator/design.html",
        {
            "design": design,
            "preview": preview,
            "draws": list_draws(session=session, design_id=design_id),
            "seed": seed_text,
            **_name_context(session, design.frame_id, design.stratify_by),
            "errors": errors,
            "error_links": links,
        },
        user=caller,
        settings=settings,
        status_code=422,
    )


# ----------------------------------------------------------------------------- draws


@router.get("/staff/draws")
def draws(
    request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(
        request,
        "coordinator/draws.html",
        {"draws": list_draws(session=session, scope=caller.scope)},
        user=caller,
        settings=settings,
    )


@router.get("/staff/draws/{draw_id}")
def draw_page(
    draw_id: int, request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    draw = get_draw(session=session, draw_id=draw_id, scope=caller.scope)
    return render(
        request,
        "coordinator/draw.html",
        {
            "draw": draw,
            "counts": draw_units_summary(session=session, draw_id=draw_id, scope=caller.scope),
            "duplicates": draw.design_snapshot.get("duplicate_contacts", {}),
            "precision": draw_precision(session=session, draw_id=draw_id, scope=caller.scope),
            # Samples (dossier codes, phones) go to coordinators and admins only.
            "phones_allowed": caller.role in PHONE_ROLES,
        },
        user=caller,
        settings=settings,
    )


# ----------------------------------------------------------------------------- errors


def _error_page(request: Request, error: SipasError) -> Response:
    settings: Settings = request.app.state.settings
    lang = choose_language(request)
    problems = [Problem(p.loc, problem_text(p.msg, lang)) for p in error.problems]
    _, links = error_context(problems, ())
    return render(
        request,
        "coordinator/error.html",
        {"error_links": links, "message": problem_text(error.msg, lang)},
        user=None,
        settings=settings,
        status_code=error.status_code,
    )


def staff_session_refusal(request: Request) -> Response:
    """The page a citizen's link shows in a browser signed in to the staff pages.

    Staff must not read or change a citizen's answers; the page says how to answer the survey
    oneself (sign out, or a private window) and offers the sign-out button.
    """
    settings: Settings = request.app.state.settings
    response = render(
        request,
        "coordinator/staff_on_citizen_page.html",
        {},
        user=None,
        settings=settings,
        status_code=403,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
