"""Callbacks the SMS gateway (Kannel) calls: delivery reports and citizens' replies.

Neither carries a key that could be reused from a log:

- a delivery report's URL is signed per message: ``sig`` is an HMAC of our message id under the
  derived delivery-report key (:func:`survey.sms.kannel.dlr_signature`), so a URL copied from
  Kannel's store or log can only report on that one message;
- a reply (MO) URL is written once into ``kannel.conf``, where Kannel builds the query string
  itself, so it carries the derived inbound credential as its last path segment,
  ``/sms/kannel/inbound/{key}`` (or ``?key=``); it opens nothing but this endpoint and our access
  log redacts it (:mod:`api.access_log`).

A wrong or missing signature or key is a 403 that changes nothing, as is a call from outside
``SIPAS_KANNEL_ALLOWED_ADDRESSES`` when that is set. Garbage input gets a 400 with the usual
problem list, never a 500; a report for a message we do not know is acknowledged (Kannel would
otherwise retry it forever) and ignored.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from api.deps import SessionDep, SettingsDep
from api.policy import Gateway
from survey.errors import InvalidInput, PermissionDenied, Problem
from survey.optouts import handle_inbound
from survey.outbox import apply_delivery_report
from survey.settings import Settings
from survey.sms.gateway import CallbackError, parse_delivery_report, parse_inbound
from survey.sms.kannel import dlr_signature

router = APIRouter(prefix="/sms/kannel", tags=["sms callbacks"], dependencies=[Depends(Gateway)])


def _check_address(request: Request, settings: Settings) -> None:
    allowed = settings.kannel_allowed_addresses
    if not allowed:
        return
    host = request.client.host if request.client else ""
    try:
        address = ip_address(host)
    except ValueError:
        address = None
    if address is None or not any(address in network for network in allowed):
        raise PermissionDenied(
            "callbacks are accepted only from the SMS gateway's addresses",
            [Problem(("client",), "add the gateway's address to SIPAS_KANNEL_ALLOWED_ADDRESSES")],
        )


def _check_key(request: Request, settings: Settings, path_key: str | None) -> None:
    _check_address(request, settings)
    given = path_key or request.query_params.get("key", "")
    expected = settings.keys.sms_inbound_credential
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied(
            "the callback key is missing or wrong",
            [
                Problem(
                    ("path", "key"),
                    "configure Kannel's get-url with the URL `sipas worker --print-inbound-url` "
                    "prints",
                )
            ],
        )


def _check_signature(request: Request, settings: Settings, message_id: str) -> None:
    given = request.query_params.get("sig", "")
    expected = dlr_signature(settings.keys.sms_delivery_report, message_id)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied(
            "the delivery report's signature is missing or wrong",
            [
                Problem(
                    ("query", "sig"),
                    "delivery reports must use the dlr-url the worker sent with the message",
                )
            ],
        )


def _raw_query(request: Request) -> bytes:
    return request.scope.get("query_string", b"")


@router.get("/dlr")
def delivery_report(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, str]:
    """Kannel's dlr-url: ``?message_id=ID&sig=S&status=%d&reply=%A&gateway_id=%I&time=%T``."""
    _check_address(request, settings)
    try:
        report = parse_delivery_report(_raw_query(request))
    except (CallbackError, UnicodeDecodeError) as error:
        # Unsigned garbage is refused as forged; only a signed report learns what is wrong.
        _check_signature(request, settings, request.query_params.get("message_id", ""))
        loc = getattr(error, "loc", ("query",))
        raise InvalidInput(str(error), [Problem(tuple(loc), str(error))]) from error
    # The signature is checked on the id exactly as the report will use it.
    _check_signature(request, settings, report.message_id)
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
    key: Annotated[str, Path(max_length=200)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, str]:
    """The same, with the key in the path (Kannel appends its own query string)."""
    _check_key(request, settings, key)
    return _inbound(request, session, settings)
