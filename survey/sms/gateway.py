"""The SMS gateway contract and the parsing of gateway callbacks.

A gateway takes one message at a time (:class:`SmsGateway`) and says whether it accepted it, or
failed temporarily (retry later) or permanently (do not retry). Delivery reports and replies
come back later through HTTP callbacks; :func:`parse_delivery_report` and :func:`parse_inbound`
turn the callbacks' raw query strings into values, and :func:`detect_opt_out` recognises a
reply that asks to stop receiving messages.

The callback parameters are those our Kannel configuration asks for (``deploy/kannel/
kannel.conf`` and :mod:`survey.sms.kannel`); the delivery status codes are Kannel's DLR values
(1 delivered, 2 undelivered, 4 buffered at the SMSC, 8 accepted by the SMSC, 16 rejected by the
SMSC), which most HTTP SMS gateways in Vietnam copy.

The parsers take the raw query string rather than a decoded mapping because a reply in UCS-2
arrives as percent-encoded UTF-16BE bytes, which a framework decoding the query as UTF-8 would
destroy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qs

from survey.sms.encoding import strip_diacritics

__all__ = [
    "DEFAULT_OPT_OUT_KEYWORDS",
    "CallbackError",
    "DeliveryReport",
    "DeliveryStatus",
    "InboundMessage",
    "ProbingGateway",
    "SendOutcome",
    "SendResult",
    "SmsGateway",
    "detect_opt_out",
    "normalize_msisdn",
    "parse_delivery_report",
    "parse_inbound",
    "validate_e164",
]

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


class SendOutcome(StrEnum):
    """What a gateway did with a message.

    Only the message-level refusals (``TEMPORARY_FAILURE``, ``PERMANENT_FAILURE``) count against
    the message's attempts. ``GATEWAY_UNAVAILABLE`` says the gateway took nothing (connection
    refused, no connection in time, 5xx, credentials refused): the message is not at fault and
    the worker stops sending until a probe succeeds. ``UNCERTAIN`` says the gateway may have taken
    the message (it did not answer in time): at-most-once makes the message ``unknown``.
    """

    ACCEPTED = "accepted"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    UNCERTAIN = "uncertain"

    @property
    def gateway_down(self) -> bool:
        """Whether the gateway itself, not this message, is the problem."""
        return self in (SendOutcome.GATEWAY_UNAVAILABLE, SendOutcome.UNCERTAIN)


@dataclass(frozen=True)
class SendResult:
    """The answer of :meth:`SmsGateway.send`.

    Attributes
    ----------
    outcome
        Accepted; temporary failure (the same message may be retried later); permanent failure
        (retrying cannot help: bad number, rejected content).
    gateway_reference
        The identifier under which the gateway's delivery reports will refer to the message,
        when there is one.
    detail
        Human-readable reason, for the outbox record and the coordinator's screen.
    """

    outcome: SendOutcome
    gateway_reference: str | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        """Whether the gateway took the message."""
        return self.outcome is SendOutcome.ACCEPTED


@runtime_checkable
class SmsGateway(Protocol):
    """Something that sends one SMS.

    Implementations must not raise for per-message problems (bad number, gateway down): they
    return a :class:`SendResult` so that the outbox can record the attempt and decide on a retry.
    """

    def send(self, message_id: str, to: str, text: str) -> SendResult:
        """Send ``text`` to ``to`` (E.164, e.g. ``+84912345678``) under our ``message_id``."""
        ...


@runtime_checkable
class ProbingGateway(Protocol):
    """A gateway that can tell whether it is reachable without sending anything."""

    def probe(self) -> SendResult:
        """``ACCEPTED`` when the gateway would take a message now, else ``GATEWAY_UNAVAILABLE``
        with the reason."""
        ...


class CallbackError(ValueError):
    """A gateway callback could not be understood; ``loc`` names the parameter."""

    def __init__(self, message: str, *, loc: tuple[str, ...]) -> None:
        super().__init__(message)
        self.loc = loc


def validate_e164(to: str) -> str:
    """Check that ``to`` is an E.164 number.

    Parameters
    ----------
    to
        Destination number.

    Returns
    -------
    str
        ``to`` unchanged: ``+``, a country code not starting with 0, 8 to 15 digits in all
        (ITU-T E.164 §6).

    Raises
    ------
    ValueError
        When ``to`` is not in that form; the message says how to write it.
    """
    if not _E164.fullmatch(to):
        raise ValueError(
            f"recipient {to!r} is not an E.164 number; write it as +84 followed by the "
            "9-digit subscriber number, e.g. +84912345678"
        )
    return to


def normalize_msisdn(number: str) -> str:
    """Write a sender number reported by a gateway in E.164 form.

    Parameters
    ----------
    number
        As the operator reports it: ``+84912345678``, ``0084912345678``, ``84912345678`` or
        the national form ``0912345678``.

    Returns
    -------
    str
        ``+84912345678`` for all of the above. National numbers (leading 0) are taken to be
        Vietnamese; other digit strings are assumed to carry their country code. Short codes
        and alphanumeric senders are returned unchanged.
    """
    compact = re.sub(r"[\s.()-]", "", number)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        return compact
    if not compact.isdigit() or len(compact) < 9:
        return compact
    if compact.startswith("0"):
        return "+84" + compact[1:]
    return "+" + compact


class DeliveryStatus(IntEnum):
    """Kannel delivery report values (``%d``), also the bits of ``dlr-mask``."""

    DELIVERED = 1
    UNDELIVERED = 2
    BUFFERED = 4
    SMSC_ACCEPTED = 8
    SMSC_REJECTED = 16

    @property
    def final(self) -> bool:
        """Whether no further report is to be expected for the message."""
        return self in (
            DeliveryStatus.DELIVERED,
            DeliveryStatus.UNDELIVERED,
            DeliveryStatus.SMSC_REJECTED,
        )

    @property
    def failed(self) -> bool:
        """Whether the message will not reach the phone."""
        return self in (DeliveryStatus.UNDELIVERED, DeliveryStatus.SMSC_REJECTED)


@dataclass(frozen=True)
class DeliveryReport:
    """A parsed delivery report.

    Attributes
    ----------
    message_id
        Our message id, carried in the dlr-url we gave the gateway.
    status
        Kannel DLR value.
    smsc_reply
        The SMSC's own words, if any (``%A``), e.g. an SMPP ``stat:DELIVRD`` receipt.
    gateway_id
        The gateway's id for this report (``%I``), for log correlation.
    reported_at
        When the gateway produced the report (``%T``), if given.
    """

    message_id: str
    status: DeliveryStatus
    smsc_reply: str = ""
    gateway_id: str | None = None
    reported_at: datetime | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A reply (mobile-originated message) from a citizen.

    Attributes
    ----------
    sender
        The citizen's number in E.164 form (see :func:`normalize_msisdn`).
    text
        The reply text, decoded.
    receiver
        The number or brandname the reply was addressed to.
    opt_out_keyword
        The opt-out keyword recognised in ``text`` (:func:`detect_opt_out`), or ``None``.
    gateway_id
        The gateway's id for the message (``%I``).
    received_at
        When the gateway received it (``%T``), if given.
    """

    sender: str
    text: str
    receiver: str = ""
    opt_out_keyword: str | None = None
    gateway_id: str | None = None
    received_at: datetime | None = None

    @property
    def is_opt_out(self) -> bool:
        """Whether the citizen asked to receive no more messages."""
        return self.opt_out_keyword is not None


def _raw_params(query: str | bytes) -> dict[str, bytes]:
    # latin-1 maps every byte to one code point, so percent-decoded bytes survive unchanged
    # whatever their charset; the real charset is applied per field afterwards.
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    parsed = parse_qs(text.lstrip("?"), keep_blank_values=True, encoding="latin-1")
    return {key: values[-1].encode("latin-1") for key, values in parsed.items()}


def _text(params: dict[str, bytes], name: str) -> str:
    return params.get(name, b"").decode("utf-8", "replace")


def _required(params: dict[str, bytes], name: str, what: str) -> str:
    value = _text(params, name).strip()
    if not value:
        raise CallbackError(
            f"callback has no {name!r} parameter ({what}); check the gateway's URL template",
            loc=("query", name),
        )
    return value


def _timestamp(params: dict[str, bytes], name: str) -> datetime | None:
    value = _text(params, name).strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError) as error:
        raise CallbackError(
            f"callback parameter {name!r}={value!r} is not a Unix time in seconds",
            loc=("query", name),
        ) from error


def parse_delivery_report(query: str | bytes) -> DeliveryReport:
    """Parse a delivery-report callback.

    Parameters
    ----------
    query
        The raw query string of the callback, as built from the dlr-url that
        :class:`survey.sms.kannel.KannelGateway` sends: ``message_id`` (ours), ``status``
        (Kannel ``%d``), ``reply`` (``%A``), ``gateway_id`` (``%I``), ``time`` (``%T``).

    Returns
    -------
    DeliveryReport

    Raises
    ------
    CallbackError
        When ``message_id`` or ``status`` is missing, or ``status`` is not a Kannel DLR value
        (1, 2, 4, 8 or 16; Kannel user guide, "Delivery reports").
    """
    params = _raw_params(query)
    message_id = _required(params, "message_id", "our message id")
    raw_status = _required(params, "status", "the DLR value %d")
    try:
        status = DeliveryStatus(int(raw_status))
    except ValueError as error:
        raise CallbackError(
            f"delivery status {raw_status!r} is not one of "
            f"{', '.join(str(int(s)) for s in DeliveryStatus)}",
            loc=("query", "status"),
        ) from error
    return DeliveryReport(
        message_id=message_id,
        status=status,
        smsc_reply=_text(params, "reply"),
        gateway_id=_text(params, "gateway_id") or None,
        reported_at=_timestamp(params, "time"),
    )


def _decode_text(raw: bytes, coding: str, charset: str) -> str:
    charset = charset.strip().upper().replace("_", "-")
    # Kannel reports UCS-2 either as coding 2 or through the charset name (%C).
    if charset in {"UTF-16BE", "UTF16-BE", "UCS-2", "UCS2", "UTF-16"} or (
        coding.strip() == "2" and not charset
    ):
        if len(raw) % 2:
            raise CallbackError(
                f"UCS-2 text has an odd number of bytes ({len(raw)})", loc=("query", "text")
            )
        return raw.decode("utf-16-be", "replace")
    if charset in {"ISO-8859-1", "LATIN1", "LATIN-1", "WINDOWS-1252"}:
        return raw.decode("latin-1")
    return raw.decode("utf-8", "replace")


def parse_inbound(query: str | bytes, *, keywords: tuple[str, ...] | None = None) -> InboundMessage:
    """Parse an inbound-message (MO) callback.

    Parameters
    ----------
    query
        The raw query string built from the sms-service ``get-url`` of
        ``deploy/kannel/kannel.conf``: ``sender`` (``%p``), ``receiver`` (``%P``), ``text``
        (``%a``), ``coding`` (``%c``), ``charset`` (``%C``), ``gateway_id`` (``%I``),
        ``time`` (``%T``).
    keywords
        Opt-out keywords for :func:`detect_opt_out` (default :data:`DEFAULT_OPT_OUT_KEYWORDS`).

    Returns
    -------
    InboundMessage

    Raises
    ------
    CallbackError
        When ``sender`` is missing or the text cannot be decoded.
    """
    params = _raw_params(query)
    sender = normalize_msisdn(_required(params, "sender", "the citizen's number %p"))
    text = _decode_text(params.get("text", b""), _text(params, "coding"), _text(params, "charset"))
    return InboundMessage(
        sender=sender,
        text=text,
        receiver=_text(params, "receiver"),
        opt_out_keyword=detect_opt_out(
            text, DEFAULT_OPT_OUT_KEYWORDS if keywords is None else keywords
        ),
        gateway_id=_text(params, "gateway_id") or None,
        received_at=_timestamp(params, "time"),
    )


# Vietnamese "HỦY" (cancel) and "TỪ CHỐI" (refuse) are matched through diacritic removal; the
# spaceless forms are how people type on small keyboards.
DEFAULT_OPT_OUT_KEYWORDS: tuple[str, ...] = ("STOP", "HUY", "TU CHOI", "TUCHOI")


def _fold(text: str) -> str:
    words = re.sub(r"[^0-9A-Z]+", " ", strip_diacritics(text).upper())
    return " ".join(words.split())


def detect_opt_out(text: str, keywords: tuple[str, ...] = DEFAULT_OPT_OUT_KEYWORDS) -> str | None:
    """Recognise a request to receive no more messages.

    Parameters
    ----------
    text
        The reply.
    keywords
        Opt-out keywords; compared without case, diacritics or punctuation.

    Returns
    -------
    str or None
        The keyword (as given in ``keywords``) when the reply starts with it as whole word(s),
        e.g. "Hủy", "huy.", "TỪ CHỐI nhận tin", "stop!"; otherwise ``None``.

    Notes
    -----
    Only the start of the reply is examined so that "không muốn hủy" is not taken as an
    opt-out. A reply that merely begins with the name Huy is read as an opt-out: wrongly
    dropping one invitation costs less than messaging someone who refused.
    """
    folded = _fold(text)
    for keyword in keywords:
        key = _fold(keyword)
        if key and (folded == key or folded.startswith(key + " ")):
            return keyword
    return None
