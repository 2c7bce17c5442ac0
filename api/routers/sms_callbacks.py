"""Callbacks the SMS gateway (Kannel) calls: delivery reports and citizens' replies.

Both are GET requests carrying a shared secret, ``key`` (:func:`survey.outbox.callback_key`),
either as a query parameter or, for the inbound URL whose query string Kannel builds itself
(``deploy/kannel/kannel.conf``: ``get-url = "@INBOUND_URL@?sender=..."``), as the last path
segment: ``/sms/kannel/inbound/{key}``. Garbage input gets a 400 with the usual problem list,
never a 500; a report for a message we do not know is acknowledged (Kannel would otherwise
retry it forever) and ignored.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request

from api.deps import SessionDep, SettingsDep
from survey.errors import InvalidInput, PermissionDenied, Problem
from survey.optouts import handle_inbound
from survey.outbox import apply_delivery_report, callback_key
from survey.settings import Settings
from survey.sms.gateway import CallbackError, parse_delivery_report, parse_inbound

router = APIRouter(prefix="/sms/kannel", tags=["sms callbacks"])


def _check_key(request: Request, settings: Settings, path_key: str | None) -> None:
    given = path_key or request.query_params.get("key", "")
    if not hmac.compare_digest(given.encode(), callback_key(settings).encode()):
        raise PermissionDenied(
            "the callback key is missing or wrong",
            [Problem(("query", "key"), "configure the gateway with the URL shown by the worker")],
        )


def _raw_query(request: Request) -> bytes:
    return request.scope.get("query_string", b"")


@router.get("/dlr")
def delivery_report(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, str]:
    """Kannel's dlr-url: ``?key=K&message_id=ID&status=%d&reply=%A&gateway_id=%I&time=%T``."""
    _check_key(request, settings, None)
    try:
        report = parse_delivery_report(_raw_query(request))
    except (CallbackError, UnicodeDecodeError) as error:
        loc = getattr(error, "loc", ("query",))
        raise InvalidInput(str(error), [Problem(tuple(loc), str(error))]) from error
    matched = apply_delivery_report(session=session, report=report)
    return {"status": "recorded" if matched else "ignored"}


def _inbound(request: Request, session: SessionDep, settings: Settings) -> dict[str, str]:
    try:
        message = parse_inbound(_raw_query(request))
    except (CallbackError, UnicodeDecodeError) as error:
        loc = getattr(error, "loc", ("query",))
        raise InvalidInput(str(error), [Problem(tuple(loc), str(error))]) from error
    result = handle_inbound(session=session, settings=settings, message=message)
    return {"status": "opted_out" if result is not None else "ignored"}


@router.get("/inbound")
def inbound(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, str]:
    """A citizen's reply: ``?key=K&sender=%p&text=%a&...``; opt-out keywords are acted on."""
    _check_key(request, settings, None)
    return _inbound(request, session, settings)


@router.get("/inbound/{key}")
def inbound_with_path_key(
    key: str, request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, str]:
    """The same, with the key in the path (Kannel appends its own query string)."""
    _check_key(request, settings, key)
    return _inbound(request, session, settings)
