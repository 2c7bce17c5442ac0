"""Data-entry pages under ``/staff/entry``: clerks key returned paper forms; supervisors follow
the progress and settle the forms whose two keyings differ.

Built for the keyboard and without JavaScript: the form-number box and then the first field
have ``autofocus``, every field is a short text input in printed order (Tab moves on, Enter
saves), and after a save the form-number box is back for the next form. The second keying of a
form never shows the first. Every POST carries the staff form token and answers with a redirect
(post/redirect/get) or the same page with an error summary linking to each field.

Policies (``docs/access.md``): clerks key (:data:`api.policy.DataEntry`); coordinators in scope
and admins follow progress and resolve (:data:`api.policy.Coordinator`). The use cases in
:mod:`survey.data_entry` filter by the caller's scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import AddressDep, SessionDep, SettingsDep
from api.i18n import DATA_ENTRY_TEXT, choose_language
from api.pages.coordinator import FormDep, StaffRoute, check_form_token, render
from api.policy import AsClerk, AsCoordinator
from survey.campaigns import get_campaign, list_campaigns
from survey.data_entry import (
    KeyingField,
    KeyingInvalid,
    KeyingRefused,
    entry_progress,
    get_disagreement,
    key_form,
    keying_target,
    list_disagreements,
    resolve_disagreement,
)
from survey.errors import InvalidInput, NotFound, SipasError
from survey.paper_forms import format_form_number

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

ENTRY = "/staff/entry"
OUTCOMES = ("keyed_once", "completed", "disagreement")
# The supervisor's choice per differing field: keying 1, keying 2, or a typed value.
PICKS = ("1", "2", "typed")


def _words(request: Request) -> Mapping[str, str]:
    return DATA_ENTRY_TEXT[choose_language(request)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def field_label(field: KeyingField, words: Mapping[str, str], lang: str) -> str:
    """ "Câu 15" for a numbered question, else its text (short)."""
    if field.number:
        return words["question_no"].format(n=field.number)
    text = field.label.get(lang) or field.label.get("vi", field.code)
    return text if len(text) <= 60 else text[:59] + "…"


def key_hint(field: KeyingField, words: Mapping[str, str], lang: str) -> str:
    """The keys of a field, e.g. ``1 Nam · 2 Nữ · 9 = để trống``."""
    if field.kind == "text":
        return ""
    if field.kind == "scale":
        low, high = field.options[0].key, field.options[-2].key
        return f"{low}–{high} · {words['na_key']} · {words['blank_key']}"
    keys = [f"{o.key} {o.text.get(lang) or o.text.get('vi', o.code)}" for o in field.options]
    return " · ".join([*keys, words["blank_key"]])


def shown_value(field: KeyingField, typed: str, words: Mapping[str, str], lang: str) -> str:
    """A keyed value as the supervisor reads it: the key and the answer it stands for."""
    if typed == "":
        return words["blank_value"]
    if field.kind == "text":
        return typed
    if typed == "9":
        return f"9 {words['blank_value']}"
    texts = {o.key: o.text.get(lang) or o.text.get("vi", o.code) for o in field.options}
    return " · ".join(f"{key} {texts.get(key, '?')}" for key in typed.split())


def rule_messages(
    rules: Mapping[str, str], fields: Sequence[KeyingField], words: Mapping[str, str], lang: str
) -> dict[str, str]:
    """The page's sentence for each refused field (naming the question and the fix)."""
    by_code = {f.code: f for f in fields}
    messages = {}
    for code, rule in rules.items():
        field = by_code.get(code)
        if field is None:
            continue
        keys = ", ".join(o.key for o in field.options)
        messages[code] = words[f"rule_{rule}"].format(
            label=field_label(field, words, lang), keys=keys, limit=field.max_length
        )
    return messages


def _links(messages: Mapping[str, str], fields: Sequence[KeyingField]) -> list[dict[str, str]]:
    return [
        {"href": f"#f-{f.code}", "text": messages[f.code]} for f in fields if f.code in messages
    ]


def _number_problem(error: SipasError, words: Mapping[str, str], typed: str) -> str:
    if isinstance(error, KeyingRefused):
        return words[f"refused_{error.reason}"]
    if isinstance(error, NotFound):
        return words["number_unknown"].format(form=typed.strip())
    return words["number_invalid"]


def _start_page(
    request: Request,
    caller: Any,
    settings: Any,
    *,
    typed: str = "",
    message: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    errors = {"form_number": message} if message else {}
    links = [{"href": "#f-form_number", "text": message}] if message else []
    return render(
        request,
        "data_entry/start.html",
        {
            "w": _words(request),
            "typed": typed,
            "notice": notice,
            "errors": errors,
            "error_links": links,
        },
        user=caller,
        settings=settings,
        status_code=status_code,
    )


@router.get(ENTRY)
def start(
    request: Request,
    caller: AsClerk,
    settings: SettingsDep,
    done: str = "",
    form: str = "",
    n: int = 0,
) -> Response:
    """The form-number box, with the outcome of the keying just saved."""
    words = _words(request)
    notice = ""
    if done in OUTCOMES and form.isdigit():
        notice = words[f"done_{done}"].format(form=format_form_number(form), n=n)
    return _start_page(request, caller, settings, notice=notice)


@router.post(ENTRY)
def open_form(
    request: Request, caller: AsClerk, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    """Check the typed number (and that this clerk may key it) before any field is typed."""
    check_form_token(request, form, settings)
    typed = str(form.get("form_number") or "")
    try:
        target = keying_target(
            session=session, form_number=typed, clerk=caller.user, scope=caller.scope
        )
    except (InvalidInput, NotFound, KeyingRefused) as error:
        status = error.status_code
        words = _words(request)
        return _start_page(
            request,
            caller,
            settings,
            typed=typed,
            message=_number_problem(error, words, typed),
            status_code=status,
        )
    return _see_other(f"{ENTRY}/forms/{target.form_number}")


def _form_page(
    request: Request,
    caller: Any,
    settings: Any,
    target: Any,
    *,
    values: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = choose_language(request)
    words = _words(request)
    messages = dict(messages or {})
    fields = list(target.fields)
    focus = next((f.code for f in fields if f.code in messages), fields[0].code if fields else "")
    rows = [
        {
            "field": f,
            "label": field_label(f, words, lang),
            "text": f.label.get(lang) or f.label.get("vi", ""),
            "hint": key_hint(f, words, lang),
            "group": f.group.get(lang) or f.group.get("vi", ""),
        }
        for f in fields
    ]
    return render(
        request,
        "data_entry/form.html",
        {
            "w": words,
            "target": target,
            "number": format_form_number(target.form_number),
            "rows": rows,
            "values": dict(values or {}),
            "errors": messages,
            "error_links": _links(messages, fields),
            "focus": focus,
        },
        user=caller,
        settings=settings,
        status_code=status_code,
    )


@router.get(ENTRY + "/forms/{form_number}")
def form_page(
    request: Request, form_number: str, caller: AsClerk, session: SessionDep, settings: SettingsDep
) -> Response:
    """The whole questionnaire as compact inputs, empty (a second keying never sees the first)."""
    try:
        target = keying_target(
            session=session, form_number=form_number, clerk=caller.user, scope=caller.scope
        )
    except (InvalidInput, NotFound, KeyingRefused) as error:
        words = _words(request)
        message = _number_problem(error, words, form_number)
        return _start_page(
            request,
            caller,
            settings,
            typed=form_number,
            message=message,
            status_code=error.status_code,
        )
    return _form_page(request, caller, settings, target)


@router.post(ENTRY + "/forms/{form_number}")
def save_keying(
    request: Request,
    form_number: str,
    caller: AsClerk,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    """Save the keying; the form comes back with the values and the errors, or the box for
    the next form with what this keying led to."""
    check_form_token(request, form, settings)
    values = {k: str(v) for k, v in form.items() if k != "csrf" and isinstance(v, str)}
    words = _words(request)
    try:
        outcome = key_form(
            session=session,
            form_number=form_number,
            clerk=caller.user,
            scope=caller.scope,
            form=values,
            address=address,
        )
    except KeyingInvalid as error:
        target = keying_target(
            session=session, form_number=form_number, clerk=caller.user, scope=caller.scope
        )
        lang = choose_language(request)
        messages = rule_messages(error.rules, target.fields, words, lang)
        return _form_page(
            request, caller, settings, target, values=values, messages=messages, status_code=422
        )
    except (InvalidInput, NotFound, KeyingRefused) as error:
        message = _number_problem(error, words, form_number)
        return _start_page(
            request,
            caller,
            settings,
            typed=form_number,
            message=message,
            status_code=error.status_code,
        )
    query = urlencode(
        {"done": outcome.status, "form": outcome.form_number, "n": outcome.differing_items}
    )
    return _see_other(f"{ENTRY}?{query}")


# ----------------------------------------------------------------------------- supervisors


@router.get(ENTRY + "/campaigns")
def campaigns(
    request: Request, caller: AsCoordinator, session: SessionDep, settings: SettingsDep
) -> Response:
    """Every campaign in scope with its paper-form counts."""
    rows = [
        (c, entry_progress(session=session, campaign_id=c.id or 0, scope=caller.scope))
        for c in list_campaigns(session=session, scope=caller.scope)
    ]
    return render(
        request,
        "data_entry/campaigns.html",
        {"w": _words(request), "rows": rows},
        user=caller,
        settings=settings,
    )


@router.get(ENTRY + "/campaigns/{campaign_id}")
def progress(
    request: Request,
    campaign_id: int,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    resolved: str = "",
) -> Response:
    """Counts by entry state, each clerk's disagreement and error rates, and the forms waiting
    for a supervisor with the questions their keyings differ on."""
    lang = choose_language(request)
    words = _words(request)
    campaign = get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope)
    waiting = list_disagreements(session=session, campaign_id=campaign_id, scope=caller.scope)
    rows = [
        {
            "entry_id": row.entry_id,
            "number": format_form_number(row.form_number) if row.form_number else "",
            "labels": [field_label(f, words, lang) for f in row.fields],
        }
        for row in waiting
    ]
    notice = ""
    if resolved.isdigit():
        notice = words["resolved_notice"].format(form=format_form_number(resolved))
    return render(
        request,
        "data_entry/progress.html",
        {
            "w": words,
            "campaign": campaign,
            "progress": entry_progress(
                session=session, campaign_id=campaign_id, scope=caller.scope
            ),
            "waiting": rows,
            "notice": notice,
        },
        user=caller,
        settings=settings,
    )


def _disagreement_page(
    request: Request,
    caller: Any,
    settings: Any,
    shown: Any,
    *,
    form: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
    status_code: int = 200,
) -> Response:
    lang = choose_language(request)
    words = _words(request)
    messages = dict(messages or {})
    by_code = {f.code: f for f in shown.fields}
    values = [(v.field, v.first, v.second) for v in shown.values]
    # A field both keyings left empty that the chosen answers now ask: typed only.
    values += [(by_code[c], "", "") for c in extra if c in by_code]
    rows = [
        {
            "field": field,
            "label": field_label(field, words, lang),
            "text": field.label.get(lang) or field.label.get("vi", ""),
            "hint": key_hint(field, words, lang),
            "first": first,
            "second": second,
            "first_text": shown_value(field, first, words, lang),
            "second_text": shown_value(field, second, words, lang),
        }
        for field, first, second in values
    ]
    codes = [field.code for field, _, _ in values]
    links = [{"href": f"#f-{c}", "text": messages[c]} for c in codes if c in messages]
    return render(
        request,
        "data_entry/disagreement.html",
        {
            "w": words,
            "shown": shown,
            "number": format_form_number(shown.form_number) if shown.form_number else "",
            "rows": rows,
            "form": dict(form or {}),
            "errors": messages,
            "error_links": links,
        },
        user=caller,
        settings=settings,
        status_code=status_code,
    )


@router.get(ENTRY + "/disagreements/{entry_id}")
def disagreement(
    request: Request,
    entry_id: int,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Both keyed values side by side, only where they differ, with a choice per item."""
    shown = get_disagreement(session=session, entry_id=entry_id, scope=caller.scope)
    return _disagreement_page(request, caller, settings, shown)


def _chosen_values(
    form: Mapping[str, str], shown: Any, codes: Sequence[str]
) -> tuple[dict[str, str], list[str]]:
    """The value per field the supervisor chose, and the fields with no (usable) choice."""
    first = {v.field.code: v.first for v in shown.values}
    second = {v.field.code: v.second for v in shown.values}
    chosen: dict[str, str] = {}
    missing: list[str] = []
    for code in codes:
        pick = form.get(f"pick-{code}", "typed" if code not in first else "")
        typed = form.get(f"typed-{code}", "")
        if pick == "1" and code in first:
            chosen[code] = first[code]
        elif pick == "2" and code in second:
            chosen[code] = second[code]
        elif pick == "typed" and typed.strip():
            chosen[code] = typed
        else:
            missing.append(code)
    return chosen, missing


@router.post(ENTRY + "/disagreements/{entry_id}")
def resolve(
    request: Request,
    entry_id: int,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    """Make the response from the supervisor's choices, or show what is still to choose."""
    check_form_token(request, form, settings)
    lang = choose_language(request)
    words = _words(request)
    shown = get_disagreement(session=session, entry_id=entry_id, scope=caller.scope)
    posted = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    extra = [c for c in posted.get("extra", "").split() if c]
    codes = [v.field.code for v in shown.values] + extra
    chosen, missing = _chosen_values(posted, shown, codes)
    by_code = {f.code: f for f in shown.fields}
    if missing:
        messages = {
            c: words["choose_value"].format(label=field_label(by_code[c], words, lang))
            for c in missing
            if c in by_code
        }
        return _disagreement_page(
            request,
            caller,
            settings,
            shown,
            form=posted,
            messages=messages,
            extra=extra,
            status_code=422,
        )
    try:
        resolve_disagreement(
            session=session,
            entry_id=entry_id,
            supervisor=caller.user,
            scope=caller.scope,
            values=chosen,
            address=address,
        )
    except KeyingInvalid as error:
        messages = rule_messages(error.rules, shown.fields, words, lang)
        shown_codes = set(codes)
        extra += [c for c in error.rules if c not in shown_codes]
        return _disagreement_page(
            request,
            caller,
            settings,
            shown,
            form=posted,
            messages=messages,
            extra=extra,
            status_code=422,
        )
    return _see_other(
        f"{ENTRY}/campaigns/{shown.campaign_id}?" + urlencode({"resolved": shown.form_number})
    )
