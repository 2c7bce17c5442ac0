"""SMS for the fieldwork: encodings, templates, gateways and their callbacks.

- :mod:`survey.sms.encoding`: GSM-7 or UCS-2, segment counts, diacritic removal.
- :mod:`survey.sms.templates`: invitation templates with named variables.
- :mod:`survey.sms.gateway`: the :class:`SmsGateway` contract, delivery-report and reply parsing,
  opt-out keywords.
- :mod:`survey.sms.local_outbox`: the default gateway (the database outbox is the record).
- :mod:`survey.sms.kannel`: a Kannel gateway over its HTTP sendsms interface.
"""

from survey.sms.encoding import SegmentCount, SmsEncoding, count_segments, strip_diacritics
from survey.sms.gateway import (
    CallbackError,
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    SendOutcome,
    SendResult,
    SmsGateway,
    detect_opt_out,
    parse_delivery_report,
    parse_inbound,
)
from survey.sms.local_outbox import LocalOutboxGateway
from survey.sms.templates import RenderedSms, SmsTemplate, TemplateError

__all__ = [
    "CallbackError",
    "DeliveryReport",
    "DeliveryStatus",
    "InboundMessage",
    "LocalOutboxGateway",
    "RenderedSms",
    "SegmentCount",
    "SendOutcome",
    "SendResult",
    "SmsEncoding",
    "SmsGateway",
    "SmsTemplate",
    "TemplateError",
    "count_segments",
    "detect_opt_out",
    "parse_delivery_report",
    "parse_inbound",
    "strip_diacritics",
]
