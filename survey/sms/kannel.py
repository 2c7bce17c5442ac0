"""A gateway to Kannel's HTTP sendsms interface.

One GET to ``/cgi-bin/sendsms`` per message (Kannel user guide, "Sending SMS via HTTP"): the
credentials of a ``sendsms-user`` group, ``from`` (our brandname), ``to``, ``text``; UCS-2 text is
sent as UTF-8 with ``charset=UTF-8`` and ``coding=2`` so that Kannel converts it; ``dlr-mask=31``
asks for every delivery report (delivered 1, undelivered 2, buffered 4, SMSC accepted 8, SMSC
rejected 16) at ``dlr-url``, which carries our message id and Kannel's escapes ``%d`` (status),
``%A`` (SMSC reply), ``%I`` (Kannel's id), ``%T`` (time); :func:`survey.sms.gateway.
parse_delivery_report` reads them back. Each dlr-url also carries ``sig``, an HMAC of the message
id under a key only the platform holds (:func:`dlr_signature`): Kannel stores and logs these
URLs, so they hold no reusable secret, and a report for another message cannot be forged from one.

Kannel answers ``202 0: Accepted for delivery`` or ``202 3: Queued for later delivery`` (older
versions ``200 Sent.``). Its sendsms answer carries no message id, so delivery reports are
matched on our own id and that id is the gateway reference.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import httpx

from survey.sms.encoding import SmsEncoding, detect_encoding
from survey.sms.gateway import SendOutcome, SendResult, validate_e164

__all__ = ["KannelGateway", "KannelSettings", "build_dlr_url", "dlr_signature"]

# Kannel expands %-escapes in the dlr-url, so our id must not contain '%' or other characters
# that would need percent-encoding.
_SAFE_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")

ALL_DELIVERY_REPORTS = 31


@dataclass(frozen=True)
class KannelSettings:
    """How to reach Kannel.

    Attributes
    ----------
    sendsms_url
        Full URL of smsbox's sendsms interface, e.g. ``http://127.0.0.1:13013/cgi-bin/sendsms``.
    username, password
        A ``sendsms-user`` of the Kannel configuration.
    sender
        Registered brandname (``from``).
    dlr_url
        Our delivery-report endpoint (no query string needed); ``None`` requests no reports.
    dlr_signing_key
        Key of the per-message ``sig`` parameter of each dlr-url (:func:`dlr_signature`);
        ``None`` sends unsigned URLs, which the platform's endpoint refuses.
    dlr_mask
        Kannel DLR mask; 31 asks for all five kinds of report.
    smsc
        Route through this smsc-id instead of Kannel's default routing.
    timeout
        Seconds for connecting to and hearing back from smsbox.
    """

    sendsms_url: str
    username: str
    password: str
    sender: str
    dlr_url: str | None = None
    dlr_signing_key: bytes | None = field(default=None, repr=False)
    dlr_mask: int = ALL_DELIVERY_REPORTS
    smsc: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.dlr_url is not None and "%" in self.dlr_url:
            raise ValueError(
                f"dlr_url {self.dlr_url!r} contains '%', which Kannel would expand as an escape; "
                "use a callback key made of letters and digits"
            )

    @classmethod
    def from_state_file(
        cls,
        path: str | Path,
        *,
        dlr_url: str | None = None,
        dlr_signing_key: bytes | None = None,
        timeout: float = 10.0,
    ) -> KannelSettings:
        """Read the settings written by ``scripts/kannel-start``.

        Parameters
        ----------
        path
            The state file (``KEY=value`` lines).
        dlr_url
            Our delivery-report endpoint.
        dlr_signing_key
            Key that signs each message's dlr-url.
        timeout
            Seconds for each request.

        Raises
        ------
        ValueError
            When a required key is missing from the file.
        """
        state = read_state_file(path)
        try:
            return cls(
                sendsms_url=state["SENDSMS_URL"],
                username=state["SENDSMS_USERNAME"],
                password=state["SENDSMS_PASSWORD"],
                sender=state.get("BRANDNAME", "SIPAS"),
                dlr_url=dlr_url,
                dlr_signing_key=dlr_signing_key,
                timeout=timeout,
            )
        except KeyError as error:
            raise ValueError(
                f"{path} has no {error.args[0]}; regenerate it with scripts/kannel-start"
            ) from error


def read_state_file(path: str | Path) -> dict[str, str]:
    """Read the ``KEY=value`` lines written by ``scripts/kannel-start``."""
    state: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            state[key.strip()] = value
    return state


def dlr_signature(key: bytes, message_id: str) -> str:
    """The ``sig`` of a message's dlr-url: hex HMAC-SHA256(key, "dlr:" + id), 128 bits.

    Hex has no ``%``, so Kannel leaves it as it is. Only the message id is signed: the other
    parameters are filled in by Kannel (``%d`` ...) when it calls back.
    """
    digest = hmac.new(key, f"dlr:{message_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def build_dlr_url(base: str, message_id: str, *, signing_key: bytes | None = None) -> str:
    """Build the dlr-url Kannel will call for ``message_id``.

    Parameters
    ----------
    base
        Our delivery-report endpoint; may already have a query string.
    message_id
        Our id; letters, digits and ``._~-`` only, because Kannel expands ``%`` escapes in
        the URL.
    signing_key
        When given, ``&sig=`` :func:`dlr_signature` follows the id.

    Returns
    -------
    str
        ``base?message_id=ID[&sig=S]&status=%d&reply=%A&gateway_id=%I&time=%T`` (Kannel user
        guide, escape codes of ``dlr-url``).

    Raises
    ------
    ValueError
        When ``message_id`` contains other characters.
    """
    if not _SAFE_ID.fullmatch(message_id):
        raise ValueError(
            f"message id {message_id!r} cannot travel in a Kannel dlr-url; use 1-128 letters, "
            "digits or '._~-' (a UUID or an integer id is fine)"
        )
    joiner = "&" if "?" in base else "?"
    signed = "" if signing_key is None else f"&sig={dlr_signature(signing_key, message_id)}"
    return (
        f"{base}{joiner}message_id={quote(message_id)}{signed}"
        "&status=%d&reply=%A&gateway_id=%I&time=%T"
    )


class KannelGateway:
    """Send SMS through Kannel's ``/cgi-bin/sendsms``.

    Parameters
    ----------
    settings
        Where Kannel is and who we are.
    client
        An :class:`httpx.Client` to use (tests, connection pooling); by default the gateway
        opens its own and closes it in :meth:`close`.
    """

    def __init__(self, settings: KannelSettings, *, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._own_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=settings.timeout)

    def close(self) -> None:
        """Close the HTTP client if the gateway opened it."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> KannelGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def request_params(self, message_id: str, to: str, text: str) -> dict[str, str]:
        """The sendsms CGI parameters for one message.

        Parameters
        ----------
        message_id, to, text
            As for :meth:`send`.

        Returns
        -------
        dict
            ``username``, ``password``, ``from``, ``to``, ``text``, ``charset=UTF-8``,
            ``coding`` (0 for GSM-7, 2 for UCS-2), and ``dlr-mask`` + ``dlr-url`` when a DLR
            endpoint is configured, ``smsc`` when routing is forced.
        """
        s = self.settings
        params = {
            "username": s.username,
            "password": s.password,
            "from": s.sender,
            "to": to,
            "text": text,
            "charset": "UTF-8",
            "coding": "2" if detect_encoding(text) is SmsEncoding.UCS2 else "0",
        }
        if s.dlr_url is not None:
            params["dlr-mask"] = str(s.dlr_mask)
            params["dlr-url"] = build_dlr_url(s.dlr_url, message_id, signing_key=s.dlr_signing_key)
        if s.smsc is not None:
            params["smsc"] = s.smsc
        return params

    def send(self, message_id: str, to: str, text: str) -> SendResult:
        """Hand one message to Kannel.

        Parameters
        ----------
        message_id
            Our id (see :func:`build_dlr_url` for the allowed characters).
        to
            Recipient in E.164 form.
        text
            Message text; Kannel splits it into concatenated parts when needed.

        Returns
        -------
        SendResult
            Accepted on HTTP 2xx. Permanent failure on 4xx other than 401/403 (bad number or
            parameters) and for a recipient that is not E.164: the message is at fault. The
            gateway is unavailable (nothing was sent; the message keeps its attempts) when the
            connection is refused or not made in time, on 5xx (Kannel down, queue full) and on
            401/403 (wrong credentials: fix the configuration). Uncertain when Kannel took the
            request but did not answer in time: it may still send the message.

        Raises
        ------
        ValueError
            When ``message_id`` cannot be carried in the dlr-url (a programming error).
        """
        try:
            validate_e164(to)
        except ValueError as error:
            return SendResult(SendOutcome.PERMANENT_FAILURE, None, str(error))
        params = self.request_params(message_id, to, text)
        try:
            response = self._client.get(self.settings.sendsms_url, params=params)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            return self._unreachable(error)
        except httpx.TimeoutException as error:
            return SendResult(
                SendOutcome.UNCERTAIN,
                None,
                f"no answer from Kannel at {self.settings.sendsms_url} within "
                f"{self.settings.timeout} s ({type(error).__name__}); it may still send the "
                "message",
            )
        except httpx.TransportError as error:
            return self._unreachable(error)
        return _result_from_response(message_id, response)

    def probe(self) -> SendResult:
        """Ask smsbox whether it would take a message, without sending one.

        A sendsms request with our credentials and no recipient: Kannel checks the credentials,
        then answers 4xx "Missing receiver number"; any answer other than 401/403/5xx means it
        is up and takes our credentials.
        """
        s = self.settings
        try:
            response = self._client.get(
                s.sendsms_url, params={"username": s.username, "password": s.password}
            )
        except httpx.TransportError as error:
            return self._unreachable(error)
        if response.status_code in (401, 403) or response.status_code >= 500:
            return _result_from_response("", response)
        return SendResult(
            SendOutcome.ACCEPTED, None, f"Kannel answers (HTTP {response.status_code})"
        )

    def _unreachable(self, error: httpx.TransportError) -> SendResult:
        # Nothing reached smsbox (refused, no route, no connection in time): safe to resend.
        return SendResult(
            SendOutcome.GATEWAY_UNAVAILABLE,
            None,
            f"cannot reach Kannel at {self.settings.sendsms_url}: {error!r}; is smsbox running?",
        )


def _result_from_response(message_id: str, response: httpx.Response) -> SendResult:
    body = response.text.strip()[:200]
    code = response.status_code
    if 200 <= code < 300:
        return SendResult(SendOutcome.ACCEPTED, message_id, body)
    if code in (401, 403):
        return SendResult(
            SendOutcome.GATEWAY_UNAVAILABLE,
            None,
            f"Kannel refused the credentials (HTTP {code}: {body}); fix the sendsms-user "
            "username/password in the settings, then retry",
        )
    if 400 <= code < 500:
        return SendResult(
            SendOutcome.PERMANENT_FAILURE,
            None,
            f"Kannel rejected the message (HTTP {code}: {body})",
        )
    return SendResult(
        SendOutcome.GATEWAY_UNAVAILABLE,
        None,
        f"Kannel could not take the message (HTTP {code}: {body})",
    )
