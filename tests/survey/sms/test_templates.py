"""SMS templates: substitution, errors that name the variable, diacritic removal, cost."""

from __future__ import annotations

import pytest

from survey.sms.encoding import SmsEncoding
from survey.sms.templates import SmsTemplate, TemplateError

INVITATION = (
    "{agency} mời Ông/Bà đánh giá dịch vụ công tại {link} trước {deadline}. Từ chối: soạn TU CHOI"
)
VALUES = {
    "agency": "UBND phường Đông Hòa",
    "link": "https://sipas.vn/s/7Kq2",
    "deadline": "30/11",
}


def test_render_substitutes_and_measures() -> None:
    rendered = SmsTemplate(INVITATION).render(VALUES)
    assert rendered.text == (
        "UBND phường Đông Hòa mời Ông/Bà đánh giá dịch vụ công tại https://sipas.vn/s/7Kq2 "
        "trước 30/11. Từ chối: soạn TU CHOI"
    )
    assert rendered.encoding is SmsEncoding.UCS2
    assert rendered.units == len(rendered.text) == 116
    assert rendered.segments == 2  # 116 UCS-2 units: more than 70, at most 2 x 67


def test_strip_diacritics_applies_to_values_too() -> None:
    rendered = SmsTemplate(INVITATION, strip_diacritics=True).render(VALUES)
    assert rendered.text == (
        "UBND phuong Dong Hoa moi Ong/Ba danh gia dich vu cong tai https://sipas.vn/s/7Kq2 "
        "truoc 30/11. Tu choi: soan TU CHOI"
    )
    assert rendered.encoding is SmsEncoding.GSM7
    assert rendered.segments == 1


def test_variables_are_listed_once_in_order() -> None:
    template = SmsTemplate("{link} {agency} {link}")
    assert template.variables == ("link", "agency")
    assert template.render({"link": "L", "agency": "A"}).text == "L A L"


def test_missing_variable_is_named() -> None:
    with pytest.raises(TemplateError, match=r"missing value for \{deadline\}") as info:
        SmsTemplate(INVITATION).render({"agency": "A", "link": "L"})
    assert info.value.loc == ("values", "deadline")
    assert "agency, link, deadline" in str(info.value)


def test_unknown_variable_is_named() -> None:
    with pytest.raises(TemplateError, match="unknown variable 'dealine'") as info:
        SmsTemplate(INVITATION).render({**VALUES, "dealine": "x"})
    assert info.value.loc == ("values", "dealine")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("Hello {", "malformed"),
        ("Hello }", "malformed"),
        ("Hello {}", "not a plain name"),
        ("Hello {0}", "not a plain name"),
        ("Hello {agency.name}", "not a plain name"),
        ("Hello {agency:>10}", "format or conversion"),
        ("Hello {agency!r}", "format or conversion"),
    ],
)
def test_bad_template_is_refused(body: str, fragment: str) -> None:
    with pytest.raises(TemplateError, match=fragment):
        SmsTemplate(body)


def test_literal_braces_and_braces_in_values() -> None:
    rendered = SmsTemplate("{{code}} = {code}").render({"code": "{x}"})
    assert rendered.text == "{code} = {x}"
    # '{' and '}' are GSM-7 extension characters: two septets each.
    assert rendered.units == len(rendered.text) + 4


def test_max_segments_guards_cost() -> None:
    template = SmsTemplate(INVITATION, max_segments=1)
    with pytest.raises(TemplateError, match="needs 2 SMS"):
        template.render(VALUES)
    stripped = SmsTemplate(INVITATION, strip_diacritics=True, max_segments=1)
    assert stripped.render(VALUES).segments == 1
    with pytest.raises(TemplateError, match="at least 1"):
        SmsTemplate("x", max_segments=0)


def test_values_are_converted_with_str() -> None:
    assert SmsTemplate("Còn {days} ngày").render({"days": 3}).text == "Còn 3 ngày"
