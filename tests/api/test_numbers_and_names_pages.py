"""Issue 14: numbers as people write them (vi/en) and names instead of codes on the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.formatting import (
    NumberNotUnderstood,
    channel_name,
    number,
    parse_number,
    percent,
    province_name,
    stratum_name,
)
from api.pages.coordinator import parse_design_numbers
from survey.settings import Settings
from survey.unit_names import agency_names
from tests.api.test_coordinator_pages import csrf_of, sign_in
from tests.survey.design_frames import frame_rows, import_rows


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_percent_and_number_in_each_language() -> None:
    assert percent(0.628, "vi") == "62,8 %"
    assert percent(0.628, "en") == "62.8%"
    assert percent(None, "vi") == "–"
    assert number(12345, "vi") == "12.345"
    assert number(12345, "en") == "12,345"
    assert number(0.01234, "vi", 4) == "0,0123"


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    ("text", "value"),
    [("0,10", 0.10), ("0.10", 0.10), ("5%", 0.05), ("5 %", 0.05), (" 2,5 % ", 0.025)],
)
def test_decimals_typed_with_comma_point_or_percent(lang: str, text: str, value: float) -> None:
    assert parse_number(text, lang, percent_sign=True) == pytest.approx(value)


def test_whole_numbers_with_thousands_and_bad_numbers() -> None:
    assert parse_number("1.200", "vi", whole=True) == 1200
    assert parse_number("1,200", "en", whole=True) == 1200
    assert parse_number("1 200", "vi", whole=True) == 1200
    for text in ("12,5", "abc", "1.2.3"):
        with pytest.raises(NumberNotUnderstood):
            parse_number(text, "vi", whole=True)
    for text in ("abc", "0,1,2", "", "nan", "inf", "5%"):
        with pytest.raises(NumberNotUnderstood):
            parse_number(text, "vi")  # no percent sign where none is asked


def test_design_numbers_refused_in_the_page_language_naming_the_field() -> None:
    values = {"margin": "năm", "deff": "0", "n_total": "12,5", "p": "0,5", "confidence": "95 %"}
    parsed, problems = parse_design_numbers(values, "vi")
    by_field = {p.loc[0]: p.msg for p in problems}
    assert set(by_field) == {"margin", "deff", "n_total"}
    assert by_field["margin"].startswith("Sai số mục tiêu: không hiểu “năm”")
    assert "0,05 hoặc 5 %" in by_field["margin"]
    assert by_field["deff"] == "Hiệu ứng thiết kế: nhập một số lớn hơn 0"
    assert by_field["n_total"].startswith("Tổng cỡ mẫu: “12,5” không phải số nguyên")
    assert parsed["p"] == 0.5 and parsed["confidence"] == pytest.approx(0.95)
    _, problems = parse_design_numbers({"confidence": "1.5"}, "en")
    assert [p.msg for p in problems] == [
        "Confidence level: type a number greater than 0.5 and less than 1"
    ]


def test_names_of_provinces_channels_and_strata() -> None:
    assert province_name("24") == "Bắc Ninh"
    assert province_name("02") == "Tuyên Quang"  # Hà Giang's code, merged in 2025
    assert province_name("XX") == "XX"
    assert channel_name("direct", "vi") == "Trực tiếp"
    assert channel_name("online", "en") == "Online"
    label = "01.SCT | 24"
    assert (
        stratum_name(label, ["agency_code", "province_code"], "vi", {"01.SCT": "Sở Công Thương"})
        == "Sở Công Thương | Bắc Ninh"
    )
    assert stratum_name(label, ["agency_code"], "vi", {}) == label  # parts do not match columns


def _design_fields(client: TestClient, frame_id: int, **changes: str) -> dict[str, str]:
    form = client.get(f"/staff/designs/new?frame_id={frame_id}")
    fields = {
        "csrf": csrf_of(form.text),
        "name": "Thiết kế",
        "frame_id": str(frame_id),
        "stratify_by": "agency_code",
        "selection": "srswor",
        "method": "proportional",
        "n_total": "",
        "margin": "",
        "margin_applies_to": "total",
        "p": "0,5",
        "confidence": "0,95",
        "deff": "1",
        "response_rate": "1",
        "min_per_stratum": "0",
        "max_per_stratum": "",
        "power_q": "0.5",
        "m_per_psu": "10",
        "reserve_per_stratum": "0",
        "action": "preview",
    }
    fields.update(changes)
    return fields


def test_design_form_takes_comma_point_and_percent_and_shows_names(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = import_rows(engine, tmp_path, frame_rows({("A", "01"): 300, ("B", "24"): 200}))
    assert agency_names(session=session, frame_id=frame_id) == {"A": "Cơ quan A", "B": "Cơ quan B"}
    sign_in(client, session, "admin")
    tables = []
    for margin in ("0,10", "0.10", "10%", "10 %"):
        page = client.post(
            "/staff/designs/new", data=_design_fields(client, frame_id, margin=margin)
        )
        assert page.status_code == 200, (margin, page.text[:3000])
        table = re.search(r"<tbody>(.*?)</tbody>", page.text, re.S)
        assert table is not None
        tables.append(table.group(1))
    assert len(set(tables)) == 1  # the same design whichever way the margin was typed
    assert '<th scope="row">Cơ quan A <small class="muted">A</small></th>' in tables[0]
    assert "Bắc Ninh" in page.text  # the province domain by its name
    margins = re.findall(r'<td class="num">(\d+,\d %)</td>', page.text)
    assert margins, "margins are shown as vi percentages"

    english = client.post(
        "/staff/designs/new?lang=en", data=_design_fields(client, frame_id, margin="0.10")
    )
    assert re.search(r'<td class="num">\d+\.\d%</td>', english.text)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", "Sai số mục tiêu: không hiểu “0,1,0”; nhập một số, ví dụ 0,05 hoặc 5 %"),
        ("en", "Target margin of error: “0,1,0” is not a number; type one such as 0.05 or 5%"),
    ],
)
def test_design_form_refuses_a_bad_number_in_the_page_language(
    client: TestClient,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    lang: str,
    expected: str,
) -> None:
    frame_id = import_rows(engine, tmp_path, frame_rows({("A", "01"): 30}))
    sign_in(client, session, "admin")
    client.get(f"/staff?lang={lang}")
    page = client.post("/staff/designs/new", data=_design_fields(client, frame_id, margin="0,1,0"))
    assert page.status_code == 422
    assert expected in page.text
    assert 'href="#f-margin"' in page.text  # the summary links to the field
