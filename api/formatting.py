"""Numbers as people read and type them, and names instead of codes, in the page's language.

One formatter for every page: Babel (CLDR data) knows that Vietnamese writes ``12.345,6`` and
English ``12,345.6``. Percentages follow the house style: Vietnamese ``62,8 %`` (a space before the
sign, as Vietnamese typesetting and the official statistics do), English ``62.8%``.

Parsing is forgiving where people differ: a decimal typed with a comma or a point is the same
number in either language (``0,10`` = ``0.10``), since coordinators copy values from spreadsheets
set to either locale; whole numbers accept the language's thousands separator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from api.i18n import frame_import_texts, state_name
from survey.designs import LABEL_SEPARATOR
from survey.geography import PROVINCE_MERGER_2025

LOCALES = {"vi": "vi_VN", "en": "en_US"}
PERCENT_SUFFIX = {"vi": " %", "en": "%"}
DASH = "–"

_PROVINCE_NAMES: dict[str, str] = {
    old: unit.name for unit in PROVINCE_MERGER_2025 for old in unit.formed_from
}
CHANNEL_NAMES: Mapping[str, Mapping[str, str]] = {
    # Dossiers' channels, then invitations' (how the citizen was invited).
    "vi": {
        "direct": "Trực tiếp",
        "online": "Trực tuyến",
        "postal": "Bưu chính công ích",
        "sms": "Tin nhắn SMS",
        "letter": "Thư giấy",
    },
    "en": {
        "direct": "In person",
        "online": "Online",
        "postal": "By post",
        "sms": "SMS",
        "letter": "Letter",
    },
}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["vi"])


def number(value: float | int | Decimal | None, lang: str, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals and the language's separators; a dash for none."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def plain(value: float | int | Decimal, lang: str) -> str:
    """``value`` with as many decimals as it needs (up to 3): ``0,5``, ``1.200``."""
    return format_decimal(value, locale=_locale(lang))


def percent(share: float | Decimal | None, lang: str, digits: int = 1) -> str:
    """A share (0.628) as a percentage: vi ``62,8 %``, en ``62.8%``; a dash for none."""
    if share is None:
        return DASH
    return number(Decimal(str(share)) * 100, lang, digits) + PERCENT_SUFFIX.get(lang, " %")


class NumberNotUnderstood(ValueError):
    """The text is not a number of the asked kind; ``kind`` is 'number' or 'whole'."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def parse_number(text: str, lang: str, *, whole: bool = False, percent_sign: bool = False) -> Any:
    """The number a person typed: ``0,10``/``0.10``; with ``percent_sign`` also ``5%``/``5 %``.

    Returns an ``int`` when ``whole`` (``1.200`` in vi, ``1,200`` in en, or plain digits), else a
    ``float``. Raises :class:`NumberNotUnderstood`.
    """
    cleaned = text.strip()
    is_percent = False
    if percent_sign and cleaned.endswith("%"):
        cleaned, is_percent = cleaned[:-1], True
    cleaned = _SPACES.sub("", cleaned)
    if whole:
        if cleaned.isdigit():
            return int(cleaned)
        if _GROUPED.fullmatch(cleaned):
            return int(re.sub(r"[.,]", "", cleaned))
        raise NumberNotUnderstood("whole")
    marks = sum(cleaned.count(c) for c in ".,")
    try:
        if marks <= 1:
            value = Decimal(cleaned.replace(",", "."))
        else:
            # Both separators ("1.234,5"): only the language's own grouping makes sense.
            value = parse_decimal(cleaned, locale=_locale(lang), strict=True)
    except (InvalidOperation, NumberFormatError):
        raise NumberNotUnderstood("number") from None
    if not value.is_finite() or cleaned[:1] in "+":
        raise NumberNotUnderstood("number")
    return float(value / 100 if is_percent else value)


def province_name(code: str) -> str:
    """The 2025 name of a province code (pre- or post-merger); the code itself if unknown."""
    return _PROVINCE_NAMES.get(code.zfill(2) if code.isdigit() else code, code)


def channel_name(channel: str, lang: str) -> str:
    """``direct``/``online`` in the page's words."""
    return CHANNEL_NAMES.get(lang, CHANNEL_NAMES["vi"]).get(channel, channel)


def unit_name(column: str, code: str, lang: str, agencies: Mapping[str, str]) -> str:
    """A frame value as a person reads it: agency and province names, channel words."""
    if column == "agency_code":
        return agencies.get(code) or code
    if column == "province_code":
        return province_name(code)
    if column == "channel":
        return channel_name(code, lang)
    return code


def stratum_name(label: str, columns: Sequence[str], lang: str, agencies: Mapping[str, str]) -> str:
    """A stratum label ("01.SCT | 24") with each part named by its column."""
    parts = label.split(LABEL_SEPARATOR)
    if len(parts) != len(columns):
        return label
    return LABEL_SEPARATOR.join(
        unit_name(column, part, lang, agencies) for column, part in zip(columns, parts, strict=True)
    )


# Day first with the year in full, as Vietnamese forms write it; English spells the month out
# so that 02/12 is never read as February.
DAY_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
TIME_PATTERNS = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def day_text(value: date | None, lang: str) -> str:
    """A date as the page's language writes it (``02/12/2026``, ``2 Dec 2026``)."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.date()
    return str(format_date(value, DAY_PATTERNS.get(lang, DAY_PATTERNS["vi"]), locale=_locale(lang)))


def time_text(value: datetime | None, lang: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """A moment in local time (stored values are UTC; SQLite hands them back naive)."""
    if value is None:
        return DASH
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    pattern = TIME_PATTERNS.get(lang, TIME_PATTERNS["vi"])
    return str(format_datetime(aware, pattern, tzinfo=ZoneInfo(timezone), locale=_locale(lang)))


def _lang(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else "vi"


@pass_context
def _number_filter(context: Context, value: Any, digits: int = 0) -> str:
    return number(value, _lang(context), digits)


@pass_context
def _percent_filter(context: Context, value: Any, digits: int = 1) -> str:
    return percent(value, _lang(context), digits)


@pass_context
def _channel_filter(context: Context, value: str) -> str:
    return channel_name(value, _lang(context))


@pass_context
def _day_filter(context: Context, value: date | None) -> str:
    return day_text(value, _lang(context))


@pass_context
def _time_filter(context: Context, value: datetime | None) -> str:
    timezone = context.get("timezone")
    return time_text(
        value, _lang(context), timezone if isinstance(timezone, str) else DEFAULT_TIMEZONE
    )


@pass_context
def _field_filter(context: Context, name: str) -> str:
    """A frame column's name (``level`` -> "Cấp giải quyết"); anything else unchanged."""
    return frame_import_texts(_lang(context)).get(f"field_{name}", name)


@pass_context
def _state_filter(context: Context, state: str) -> str:
    return state_name(state, _lang(context))


def _agencies(context: Context) -> Mapping[str, str]:
    names = context.get("agency_names")
    return names if isinstance(names, Mapping) else {}


@pass_context
def _unit_filter(context: Context, code: str, column: str) -> str:
    return unit_name(column, str(code), _lang(context), _agencies(context))


@pass_context
def _stratum_filter(context: Context, label: str) -> str:
    columns = context.get("stratum_columns") or ()
    return stratum_name(str(label), list(columns), _lang(context), _agencies(context))


def install(templates: Jinja2Templates) -> None:
    """Give a template set the filters ``num``, ``pct``, ``day``, ``when``, ``province``,
    ``channel``, ``field`` (a frame column's name), ``state`` (a status word), ``unit``
    (a code of a column, e.g. ``code|unit("agency_code")``) and ``stratum`` (reading the page's
    ``stratum_columns`` and ``agency_names``)."""
    filters = templates.env.filters
    filters["unit"] = _unit_filter
    filters["stratum"] = _stratum_filter
    filters["num"] = _number_filter
    filters["pct"] = _percent_filter
    filters["day"] = _day_filter
    filters["when"] = _time_filter
    filters["province"] = province_name
    filters["channel"] = _channel_filter
    filters["field"] = _field_filter
    filters["state"] = _state_filter
