"""The audit log page for administrators, ``/staff/audit``: a filter form and the entries.

The form is a GET (filters are in the address, so a filtered view can be bookmarked or sent to a
colleague); dates are whole days in the platform's time zone, shown times are local too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep
from api.i18n import choose_language, texts
from api.pages.coordinator import StaffRoute, error_context, render
from api.policy import AsAdmin
from survey.audit import (
    AUDIT_ACTIONS,
    MAX_OFFSET,
    AuditPage,
    day_start,
    list_events,
    verify_audit_chain,
)
from survey.errors import InvalidInput, Problem

router = APIRouter(route_class=StaffRoute, include_in_schema=False)
PAGE_SIZE = 50
FIELDS = ("action", "actor", "target", "since", "until")
ACTION_GROUPS = tuple(sorted({a.split(".", 1)[0] for a in AUDIT_ACTIONS}))

Text = Annotated[str, Query(max_length=200)]


def _day(field: str, value: str, problems: list[Problem], message: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem((field,), message))
        return None


@router.get("/staff/audit")
def audit_page(
    request: Request,
    caller: AsAdmin,
    session: SessionDep,
    settings: SettingsDep,
    action: Text = "",
    actor: Text = "",
    target: Text = "",
    since: Text = "",
    until: Text = "",
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    verify: Annotated[bool, Query()] = False,
) -> Response:
    words = texts(choose_language(request))
    form = {"action": action, "actor": actor, "target": target, "since": since, "until": until}
    problems: list[Problem] = []
    if action and action not in AUDIT_ACTIONS and action not in ACTION_GROUPS:
        problems.append(Problem(("action",), words["audit_bad_action"]))
    first = _day("since", since, problems, words["audit_bad_date"])
    last = _day("until", until, problems, words["audit_bad_date"])
    if first and last and last < first:
        problems.append(Problem(("until",), words["audit_until_before_since"]))
    page: AuditPage | None = None
    if not problems:
        try:
            page = list_events(
                session=session,
                action=action or None,
                actor=actor or None,
                target=target or None,
                since=day_start(first, settings.timezone) if first else None,
                until=day_start(last, settings.timezone, days_later=1) if last else None,
                limit=PAGE_SIZE,
                offset=offset,
            )
        except InvalidInput as error:
            problems.extend(error.problems)
    errors, links = error_context(problems, FIELDS)
    context: dict[str, Any] = {
        "form": form,
        "actions": AUDIT_ACTIONS,
        "groups": ACTION_GROUPS,
        "page": page,
        "rows": [_row(e.model_dump(), settings.timezone) for e in page.events] if page else [],
        "previous_url": _page_url(form, offset - PAGE_SIZE) if page and offset > 0 else None,
        "next_url": (
            _page_url(form, offset + PAGE_SIZE)
            if page and offset + PAGE_SIZE < page.total
            else None
        ),
        "verification": verify_audit_chain(session=session) if verify else None,
        "verify_url": _page_url(form, offset, verify=True),
        "errors": errors,
        "error_links": links,
    }
    status = 422 if problems else 200
    return render(
        request, "audit/list.html", context, user=caller.user, settings=settings, status_code=status
    )


def _row(event: dict[str, Any], timezone: str) -> dict[str, Any]:
    when: datetime = event["occurred_at"]
    details = ", ".join(f"{k}: {v}" for k, v in sorted(event["details"].items()))
    return {**event, "local_time": when.astimezone(ZoneInfo(timezone)), "details_text": details}


def _page_url(form: dict[str, str], offset: int, *, verify: bool = False) -> str:
    query = {k: v for k, v in form.items() if v}
    if offset > 0:
        query["offset"] = str(max(offset, 0))
    if verify:
        query["verify"] = "true"
    return "/staff/audit" + ("?" + urlencode(query) if query else "")
