"""Back-check (phúc tra) pages under ``/staff/campaigns/{id}/backchecks``.

A supervisor (a coordinator within their scope, or an admin) sees, per collector, how many forms
were collected and drawn, and the drawn forms with the contact needed to re-contact the person
(never the answers); records each outcome; and excludes a failed form from the releases or keeps
it, with a reason (audited by :mod:`survey.backchecks`). The rate is a campaign setting, so only
national coordinators and admins change it. Every POST carries the staff form token and answers
with a redirect, or the page again with an error summary naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.i18n import BACKCHECK_TEXT, choose_language
from api.pages.coordinator import FormDep, StaffRoute, check_form_token, render
from api.policy import AsCoordinator, AsNationalCoordinator, Caller, NationalCoordinator
from survey.backchecks import (
    OUTCOMES,
    backcheck_rate,
    collector_summaries,
    decide_failed_form,
    excluded_count,
    list_backchecks,
    record_outcome,
    set_backcheck_rate,
)
from survey.campaigns import get_campaign
from survey.settings import Settings

router = APIRouter(route_class=StaffRoute, include_in_schema=False)


def _words(request: Request) -> Mapping[str, str]:
    return BACKCHECK_TEXT[choose_language(request)]


def _page_url(campaign_id: int) -> str:
    return f"/staff/campaigns/{campaign_id}/backchecks"


def _page(
    request: Request,
    caller: Caller,
    session: SessionDep,
    settings: Settings,
    campaign_id: int,
    *,
    errors: Mapping[str, str] | None = None,
    error_links: Sequence[Mapping[str, str]] = (),
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    campaign = get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope)
    context: dict[str, Any] = {
        "w": _words(request),
        "campaign": campaign,
        "rate_percent": round(backcheck_rate(session=session, campaign_id=campaign_id) * 100, 2),
        "can_set_rate": NationalCoordinator.allows(caller.role, limited=caller.scope.limited),
        "collectors": collector_summaries(
            session=session, campaign_id=campaign_id, scope=caller.scope
        ),
        "cases": list_backchecks(session=session, campaign_id=campaign_id, scope=caller.scope),
        "excluded": excluded_count(session=session, campaign_id=campaign_id),
        "outcomes": OUTCOMES,
        "errors": dict(errors or {}),
        "error_links": list(error_links),
        "values": dict(values or {}),
    }
    return render(
        request,
        "backchecks/campaign.html",
        context,
        user=caller,
        settings=settings,
        status_code=status_code,
    )


def _refuse(
    request: Request,
    caller: Caller,
    session: SessionDep,
    settings: Settings,
    campaign_id: int,
    field: str,
    message: str,
    values: Mapping[str, str],
) -> Response:
    """The page again (422) with one error beside ``field`` and in the summary."""
    return _page(
        request,
        caller,
        session,
        settings,
        campaign_id,
        errors={field: message},
        error_links=[{"href": f"#f-{field}", "text": message}],
        values=values,
        status_code=422,
    )


@router.get("/staff/campaigns/{campaign_id}/backchecks")
def backchecks_page(
    campaign_id: int,
    request: Request,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    return _page(request, caller, session, settings, campaign_id)


@router.post("/staff/campaigns/{campaign_id}/backchecks/rate")
def backcheck_rate_submit(
    campaign_id: int,
    request: Request,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    check_form_token(request, form, settings)
    text = str(form.get("rate_percent", "")).strip().replace(",", ".").rstrip("%").strip()
    try:
        percent = float(text)
    except ValueError:
        percent = -1.0
    if not 0 < percent <= 100:
        return _refuse(
            request,
            caller,
            session,
            settings,
            campaign_id,
            "rate_percent",
            _words(request)["rate_invalid"],
            {"rate_percent": text},
        )
    set_backcheck_rate(
        session=session, campaign_id=campaign_id, rate=percent / 100, actor=caller.user
    )
    return RedirectResponse(_page_url(campaign_id), status_code=303)


@router.post("/staff/campaigns/{campaign_id}/backchecks/{backcheck_id}/outcome")
def backcheck_outcome_submit(
    campaign_id: int,
    backcheck_id: int,
    request: Request,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    check_form_token(request, form, settings)
    outcome = str(form.get("outcome", ""))
    note = str(form.get("note", ""))
    if outcome not in OUTCOMES:
        return _refuse(
            request,
            caller,
            session,
            settings,
            campaign_id,
            f"outcome-{backcheck_id}",
            _words(request)["outcome_missing"],
            {f"note-{backcheck_id}": note},
        )
    record_outcome(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck_id,
        outcome=outcome,
        note=note[:500],
        actor=caller.user,
        scope=caller.scope,
    )
    return RedirectResponse(_page_url(campaign_id), status_code=303)


@router.post("/staff/campaigns/{campaign_id}/backchecks/{backcheck_id}/decision")
def backcheck_decision_submit(
    campaign_id: int,
    backcheck_id: int,
    request: Request,
    caller: AsCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    check_form_token(request, form, settings)
    reason = str(form.get("reason", "")).strip()
    decision = str(form.get("decision", ""))
    if not reason or decision not in ("exclude", "keep"):
        return _refuse(
            request,
            caller,
            session,
            settings,
            campaign_id,
            f"reason-{backcheck_id}",
            _words(request)["reason_missing"],
            {f"reason-{backcheck_id}": reason},
        )
    decide_failed_form(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck_id,
        exclude=decision == "exclude",
        reason=reason[:500],
        actor=caller.user,
        scope=caller.scope,
    )
    return RedirectResponse(_page_url(campaign_id), status_code=303)
