"""Callback parsing, number normalisation and opt-out detection."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest

from survey.sms.gateway import (
    CallbackError,
    DeliveryStatus,
    SendOutcome,
    SmsGateway,
    detect_opt_out,
    normalize_msisdn,
    parse_delivery_report,
    parse_inbound,
    validate_e164,
)
from survey.sms.local_outbox import LocalOutboxGateway


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop!",
        "HUY",
        "huy",
        "Hủy",
        "HỦY",
        "hủy.",
        "TU CHOI",
        "tu choi",
        "Từ chối",
        "TỪ CHỐI",
        "từ  chối nhận tin",
        "tuchoi",
        " Hủy ",
        "huỷ",
    ],
)
def test_opt_out_keywords_are_recognised(text: str) -> None:
    assert detect_opt_out(text) is not None


@pytest.mark.parametrize(
    "text", ["", "OK", "Đồng ý", "Tôi không muốn hủy", "Tu van giup toi", "STOPPED", "huyện"]
)
def test_other_replies_are_not_opt_outs(text: str) -> None:
    assert detect_opt_out(text) is None


def test_opt_out_returns_the_keyword_and_accepts_custom_lists() -> None:
    assert detect_opt_out("Từ chối") == "TU CHOI"
    assert detect_opt_out("KHONG nhan", ("KHÔNG",)) == "KHÔNG"
    assert detect_opt_out("STOP", ("KHONG",)) is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+84912345678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("8099", "8099"),
        ("SIPAS", "SIPAS"),
    ],
)
def test_normalize_msisdn(raw: str, e164: str) -> None:
    assert normalize_msisdn(raw) == e164


def test_validate_e164() -> None:
    assert validate_e164("+84912345678") == "+84912345678"
    for bad in ["0912345678", "84912345678", "+0912345678", "+84 912 345 678", "+84"]:
        with pytest.raises(ValueError, match=r"E\.164"):
            validate_e164(bad)


def test_parse_delivery_report() -> None:
    # The query Kannel produces from our dlr-url after expanding %d, %A, %I and %T.
    query = (
        "message_id=5f0c2a&status=1&reply=id%3A42+stat%3ADELIVRD&gateway_id="
        "d2d38af2-c0ba-44b5-bc88-6998913709fb&time=1795452687"
    )
    report = parse_delivery_report(query)
    assert report.message_id == "5f0c2a"
    assert report.status is DeliveryStatus.DELIVERED
    assert report.status.final and not report.status.failed
    assert report.smsc_reply == "id:42 stat:DELIVRD"
    assert report.gateway_id == "d2d38af2-c0ba-44b5-bc88-6998913709fb"
    assert report.reported_at == datetime(2026, 11, 23, 16, 51, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "final", "failed"),
    [(1, True, False), (2, True, True), (4, False, False), (8, False, False), (16, True, True)],
)
def test_delivery_status_meaning(status: int, final: bool, failed: bool) -> None:
    report = parse_delivery_report(f"?message_id=m1&status={status}&reply=&time=")
    assert (report.status.final, report.status.failed) == (final, failed)
    assert report.reported_at is None


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("status=1", ("query", "message_id")),
        ("message_id=m1", ("query", "status")),
        ("message_id=m1&status=3", ("query", "status")),
        ("message_id=m1&status=%25d", ("query", "status")),
        ("message_id=m1&status=1&time=yesterday", ("query", "time")),
    ],
)
def test_bad_delivery_reports_name_the_parameter(query: str, loc: tuple[str, str]) -> None:
    with pytest.raises(CallbackError) as info:
        parse_delivery_report(query)
    assert info.value.loc == loc


def test_parse_inbound_utf8_from_mo_recode() -> None:
    query = urlencode(
        {
            "sender": "84912345678",
            "receiver": "8099",
            "text": "Từ chối",
            "coding": "0",
            "charset": "UTF-8",
            "gateway_id": "abc",
            "time": "1795452691",
        }
    )
    message = parse_inbound(query)
    assert message.sender == "+84912345678"
    assert message.text == "Từ chối"
    assert message.receiver == "8099"
    assert message.is_opt_out and message.opt_out_keyword == "TU CHOI"
    assert message.received_at == datetime(2026, 11, 23, 16, 51, 31, tzinfo=UTC)


def test_parse_inbound_raw_ucs2_bytes() -> None:
    # Without mo-recode Kannel passes UCS-2 text through as UTF-16BE bytes.
    text = quote("Hủy giúp tôi".encode("utf-16-be"))
    message = parse_inbound(f"sender=%2B84987654321&text={text}&coding=2&charset=UTF-16BE")
    assert message.text == "Hủy giúp tôi"
    assert message.sender == "+84987654321"
    assert message.opt_out_keyword == "HUY"


def test_parse_inbound_plain_reply_and_errors() -> None:
    message = parse_inbound(b"sender=0912345678&text=Cam+on&coding=0&charset=")
    assert (message.sender, message.text, message.is_opt_out) == ("+84912345678", "Cam on", False)
    with pytest.raises(CallbackError) as info:
        parse_inbound("text=STOP")
    assert info.value.loc == ("query", "sender")
    with pytest.raises(CallbackError, match="odd number"):
        parse_inbound("sender=84912345678&text=%00H%00&charset=UTF-16BE")


def test_local_outbox_gateway() -> None:
    gateway = LocalOutboxGateway()
    assert isinstance(gateway, SmsGateway)
    result = gateway.send("m-1", "+84912345678", "Xin chào")
    assert result.accepted and result.gateway_reference == "local:m-1"
    refused = gateway.send("m-2", "0912345678", "Xin chào")
    assert refused.outcome is SendOutcome.PERMANENT_FAILURE
    assert "E.164" in refused.detail
