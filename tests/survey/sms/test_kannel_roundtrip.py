"""A real round trip through Kannel: send, delivery report, inbound opt-out.

Kannel (bearerbox + smsbox) runs on loopback with its fake SMSC; ``fakesmsc`` plays the operator:
it prints the MT messages it receives and injects MO messages we write to it. The fake SMSC
produces delivery reports itself (8 "accepted by SMSC", then 1 "delivered"), which smsbox
delivers to the dlr-url KannelGateway built.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote_to_bytes

import pytest

from survey.sms.encoding import SmsEncoding, count_segments
from survey.sms.gateway import DeliveryStatus, SendOutcome, parse_delivery_report, parse_inbound
from survey.sms.kannel import KannelGateway, KannelSettings

if TYPE_CHECKING:
    from tests.survey.sms.conftest import Callback, CallbackServer, KannelInstance

pytestmark = pytest.mark.kannel


def gateway_for(kannel: KannelInstance, callbacks: CallbackServer) -> KannelGateway:
    settings = KannelSettings.from_state_file(
        kannel.state_file, dlr_url=f"{callbacks.base_url}/sms/dlr"
    )
    return KannelGateway(settings)


def is_report(message_id: str, status: DeliveryStatus) -> Callable[[Callback], bool]:
    def match(callback: Callback) -> bool:
        if callback.path != "/sms/dlr":
            return False
        report = parse_delivery_report(callback.query)
        return report.message_id == message_id and report.status is status

    return match


def test_send_ucs2_delivery_report_and_opt_out(
    kannel: KannelInstance, callback_server: CallbackServer
) -> None:
    text = "Mời Ông/Bà đánh giá dịch vụ công: https://sipas.vn/s/7Kq2"
    assert count_segments(text).encoding is SmsEncoding.UCS2
    assert count_segments(text).segments == 1
    message_id = uuid.uuid4().hex
    to = "+84912000001"

    with gateway_for(kannel, callback_server) as gateway:
        result = gateway.send(message_id, to, text)
    assert result.accepted, result.detail
    assert result.gateway_reference == message_id

    # The operator side receives one UCS-2 message from our brandname with our exact text.
    (line,) = kannel.wait_for_mt(to)
    sender, receiver, kind, payload = line.split(" ", 3)
    assert (sender, receiver, kind) == (kannel.state["BRANDNAME"], to, "ucs-2")
    assert unquote_to_bytes(payload.replace("+", "%20")).decode("utf-16-be") == text

    delivered = callback_server.wait_for(is_report(message_id, DeliveryStatus.DELIVERED))
    report = parse_delivery_report(delivered.query)
    assert report.status.final and not report.status.failed
    assert report.gateway_id
    assert report.reported_at is not None
    callback_server.wait_for(is_report(message_id, DeliveryStatus.SMSC_ACCEPTED))

    # The citizen answers "TU CHOI" without diacritics, national-format number.
    kannel.inject_mo("0912000001", "8099", "text", "TU CHOI")
    inbound = callback_server.wait_for(
        lambda c: c.path == "/sms/inbound" and "sender=0912000001" in c.query
    )
    message = parse_inbound(inbound.query)
    assert message.sender == to
    assert message.text == "TU CHOI"
    assert message.opt_out_keyword == "TU CHOI"
    assert message.gateway_id


def test_inbound_ucs2_opt_out_with_diacritics(
    kannel: KannelInstance, callback_server: CallbackServer
) -> None:
    payload = quote("Hủy nhận tin".encode("utf-16-be"))
    kannel.inject_mo("84912000002", "8099", "ucs2", payload)
    inbound = callback_server.wait_for(
        lambda c: c.path == "/sms/inbound" and "sender=84912000002" in c.query
    )
    message = parse_inbound(inbound.query)
    assert message.sender == "+84912000002"
    assert message.text == "Hủy nhận tin"
    assert message.opt_out_keyword == "HUY"


def test_long_message_is_concatenated(
    kannel: KannelInstance, callback_server: CallbackServer
) -> None:
    text = (
        "UBND phường Đông Hòa mời Ông/Bà đánh giá dịch vụ công tại https://sipas.vn/s/7Kq2 "
        "trước 30/11. Từ chối: soạn TU CHOI"
    )
    assert count_segments(text).segments == 2
    message_id = uuid.uuid4().hex
    to = "+84912000003"
    with gateway_for(kannel, callback_server) as gateway:
        assert gateway.send(message_id, to, text).accepted

    parts = kannel.wait_for_mt(to, count=2)
    assert len(parts) == 2
    # Each part: "SENDER RECEIVER udh UDH data UCS2"; UDH 05 00 03 ref total seq.
    pieces: dict[int, bytes] = {}
    for part in parts:
        _sender, _receiver, kind, udh, data_kind, data = part.split(" ")
        assert (kind, data_kind) == ("udh", "data")
        header = unquote_to_bytes(udh.replace("+", "%20"))
        assert header[:3] == bytes([0x05, 0x00, 0x03]) and header[4] == 2
        pieces[header[5]] = unquote_to_bytes(data.replace("+", "%20"))
    assert b"".join(pieces[i] for i in sorted(pieces)).decode("utf-16-be") == text
    callback_server.wait_for(is_report(message_id, DeliveryStatus.DELIVERED))


def test_probe_of_a_real_kannel_with_right_and_wrong_credentials(
    kannel: KannelInstance, callback_server: CallbackServer
) -> None:
    with gateway_for(kannel, callback_server) as gateway:
        up = gateway.probe()
        assert up.outcome is SendOutcome.ACCEPTED, up.detail
        wrong = KannelGateway(replace(gateway.settings, password="not-the-password"))
        with wrong:
            refused = wrong.probe()
        assert refused.outcome is SendOutcome.GATEWAY_UNAVAILABLE, refused.detail
        assert "credentials" in refused.detail
