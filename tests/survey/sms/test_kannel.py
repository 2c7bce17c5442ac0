"""KannelGateway against a mocked smsbox: request parameters and the mapping of answers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from survey.sms.gateway import SendOutcome, parse_delivery_report
from survey.sms.kannel import (
    KannelGateway,
    KannelSettings,
    build_dlr_url,
    dlr_signature,
    read_state_file,
)

SETTINGS = KannelSettings(
    sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms",
    username="sipas",
    password="s3cret",
    sender="UBND-DONGHOA",
    dlr_url="http://127.0.0.1:8000/sms/dlr",
)


def gateway_answering(
    handler: Callable[[httpx.Request], httpx.Response], settings: KannelSettings = SETTINGS
) -> tuple[KannelGateway, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(record))
    return KannelGateway(settings, client=client), seen


def query_of(request: httpx.Request) -> dict[str, str]:
    return {
        k: v[-1] for k, v in parse_qs(request.url.query.decode(), keep_blank_values=True).items()
    }


def test_ucs2_request_parameters() -> None:
    gateway, seen = gateway_answering(
        lambda r: httpx.Response(202, text="0: Accepted for delivery")
    )
    result = gateway.send("5f0c2a", "+84912345678", "Mời Ông/Bà đánh giá")
    assert result.accepted and result.gateway_reference == "5f0c2a"
    assert result.detail == "0: Accepted for delivery"
    (request,) = seen
    assert request.method == "GET"
    assert request.url.path == "/cgi-bin/sendsms"
    params = query_of(request)
    assert params == {
        "username": "sipas",
        "password": "s3cret",
        "from": "UBND-DONGHOA",
        "to": "+84912345678",
        "text": "Mời Ông/Bà đánh giá",
        "charset": "UTF-8",
        "coding": "2",
        "dlr-mask": "31",
        "dlr-url": "http://127.0.0.1:8000/sms/dlr?message_id=5f0c2a"
        "&status=%d&reply=%A&gateway_id=%I&time=%T",
    }
    # What Kannel will call once it has expanded the escapes parses back to our id.
    expanded = urlsplit(
        params["dlr-url"]
        .replace("%d", "1")
        .replace("%A", "")
        .replace("%I", "x")
        .replace("%T", "1795452687")
    )
    assert parse_delivery_report(expanded.query).message_id == "5f0c2a"


def test_gsm7_text_without_dlr_and_with_forced_smsc() -> None:
    settings = KannelSettings(
        sendsms_url=SETTINGS.sendsms_url,
        username="u",
        password="p",
        sender="S",
        dlr_url=None,
        smsc="viettel",
    )
    gateway, seen = gateway_answering(lambda r: httpx.Response(200, text="Sent."), settings)
    assert gateway.send("m1", "+84912345678", "Moi Ong/Ba").accepted
    params = query_of(seen[0])
    assert params["coding"] == "0"
    assert params["smsc"] == "viettel"
    assert "dlr-url" not in params and "dlr-mask" not in params


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (202, "3: Queued for later delivery", SendOutcome.ACCEPTED),
        (400, "Invalid receiver number", SendOutcome.PERMANENT_FAILURE),
        (413, "Too many parts", SendOutcome.PERMANENT_FAILURE),
        (403, "Authorization failed for sendsms", SendOutcome.GATEWAY_UNAVAILABLE),
        (503, "Sending failed.", SendOutcome.GATEWAY_UNAVAILABLE),
        (500, "", SendOutcome.GATEWAY_UNAVAILABLE),
    ],
)
def test_http_answers_map_to_outcomes(status: int, body: str, outcome: SendOutcome) -> None:
    gateway, _ = gateway_answering(lambda r: httpx.Response(status, text=body))
    result = gateway.send("m1", "+84912345678", "x")
    assert result.outcome is outcome
    assert str(status) in result.detail or result.accepted
    assert (result.gateway_reference is not None) is (outcome is SendOutcome.ACCEPTED)


def test_connection_errors_say_the_gateway_is_down_not_the_message() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    def no_connection(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    refused = gateway_answering(refuse)[0].send("m1", "+84912345678", "x")
    assert refused.outcome is SendOutcome.GATEWAY_UNAVAILABLE and refused.outcome.gateway_down
    assert "smsbox running" in refused.detail
    unconnected = gateway_answering(no_connection)[0].send("m1", "+84912345678", "x")
    assert unconnected.outcome is SendOutcome.GATEWAY_UNAVAILABLE
    # Kannel had the request: it may send it, so the worker must not resend on its own.
    timed_out = gateway_answering(slow)[0].send("m1", "+84912345678", "x")
    assert timed_out.outcome is SendOutcome.UNCERTAIN and timed_out.outcome.gateway_down
    assert "may still send" in timed_out.detail
    assert not SendOutcome.TEMPORARY_FAILURE.gateway_down
    assert not SendOutcome.PERMANENT_FAILURE.gateway_down


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (400, "Missing receiver number", SendOutcome.ACCEPTED),
        (403, "Authorization failed for sendsms", SendOutcome.GATEWAY_UNAVAILABLE),
        (503, "", SendOutcome.GATEWAY_UNAVAILABLE),
    ],
)
def test_probe_sends_no_recipient_and_reads_kannels_answer(
    status: int, body: str, outcome: SendOutcome
) -> None:
    gateway, requests = gateway_answering(lambda r: httpx.Response(status, text=body))
    assert gateway.probe().outcome is outcome
    (request,) = requests
    assert "to" not in request.url.params and "text" not in request.url.params
    assert request.url.params["username"] == gateway.settings.username


def test_probe_of_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = KannelSettings(
        sendsms_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms",
        username="u",
        password="p",
        sender="S",
        timeout=2.0,
    )
    with KannelGateway(settings) as gateway:
        assert gateway.probe().outcome is SendOutcome.GATEWAY_UNAVAILABLE


def test_real_closed_port_is_the_gateway_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = KannelSettings(
        sendsms_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms",
        username="u",
        password="p",
        sender="S",
        timeout=2.0,
    )
    with KannelGateway(settings) as gateway:
        result = gateway.send("m1", "+84912345678", "x")
    assert result.outcome is SendOutcome.GATEWAY_UNAVAILABLE


def test_bad_number_is_permanent_without_a_request() -> None:
    gateway, seen = gateway_answering(lambda r: httpx.Response(202))
    assert gateway.send("m1", "0912345678", "x").outcome is SendOutcome.PERMANENT_FAILURE
    assert seen == []


def test_message_id_must_survive_kannel_escapes() -> None:
    with pytest.raises(ValueError, match="message id"):
        build_dlr_url("http://h/dlr", "50%d")
    assert build_dlr_url("http://h/dlr?k=1", "a-1").startswith("http://h/dlr?k=1&message_id=a-1&")


def test_settings_from_state_file(tmp_path: Path) -> None:
    path = tmp_path / "kannel.state"
    path.write_text(
        "SENDSMS_URL=http://127.0.0.1:5/cgi-bin/sendsms\nSENDSMS_USERNAME=u\n"
        "SENDSMS_PASSWORD=p=q\nBRANDNAME=SIPAS\n",
        encoding="utf-8",
    )
    settings = KannelSettings.from_state_file(path, dlr_url="http://127.0.0.1:6/dlr")
    assert (settings.username, settings.password, settings.sender) == ("u", "p=q", "SIPAS")
    assert read_state_file(path)["BRANDNAME"] == "SIPAS"
    path.write_text("SENDSMS_URL=x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="SENDSMS_USERNAME"):
        KannelSettings.from_state_file(path)


def test_dlr_url_with_percent_is_refused() -> None:
    with pytest.raises(ValueError, match="dlr_url"):
        KannelSettings("http://k/cgi-bin/sendsms", "u", "p", "S", dlr_url="http://h/dlr?k=a%20b")


def test_signed_dlr_url_carries_a_per_message_signature() -> None:
    key = bytes(range(32))
    url = build_dlr_url("http://h/sms/kannel/dlr", "42", signing_key=key)
    assert url.startswith(f"http://h/sms/kannel/dlr?message_id=42&sig={dlr_signature(key, '42')}&")
    assert url.endswith("&status=%d&reply=%A&gateway_id=%I&time=%T")
    signature = dlr_signature(key, "42")
    assert len(signature) == 32 and set(signature) <= set("0123456789abcdef")
    assert dlr_signature(key, "43") != signature
    assert dlr_signature(bytes(32), "42") != signature
    settings = KannelSettings(
        "http://k/cgi-bin/sendsms", "u", "p", "S", dlr_url="http://h/dlr", dlr_signing_key=key
    )
    assert key.hex() not in repr(settings) and str(key) not in repr(settings)
    with KannelGateway(settings) as gateway:
        params = gateway.request_params("7", "+8491", "x")
    assert f"sig={dlr_signature(key, '7')}" in params["dlr-url"]
