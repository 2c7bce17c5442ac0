"""The paper form prints, beside every box, the number the keying page takes for it.

For every built-in form (and the every-question-type test form) the question numbers and the
answer numbers printed (:func:`survey.paper_questionnaire.paper_form`, and the HTML the letters'
PDF is made from) equal those of the keying fields (:func:`survey.data_entry.keying_fields`),
field by field in printed order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from survey.data_entry import keying_fields
from survey.letter_pdf import render_form_html
from survey.models import Campaign, Questionnaire
from survey.paper_questionnaire import PaperForm, paper_form
from survey.printed_numbers import option_numbers, scale_numbers
from survey.questionnaires import BUILTIN_FILES, GRID_TYPES, builtin_definition
from tests.survey.national_form_fixture import typed_definition

FORMS: dict[str, Any] = {name: builtin_definition(name) for name in BUILTIN_FILES}
FORMS["every-question-type"] = typed_definition()


def _printed(definition: dict[str, Any], form: PaperForm) -> list[tuple[str, str, list[str]]]:
    """(answer key, question number, numbers beside its boxes) in printed order."""
    rows = {q["code"]: q["rows"] for q in definition.get("questions") or [] if "rows" in q}
    printed: list[tuple[str, str, list[str]]] = []
    for section in form.sections:
        for item in section.items:
            number = str(item.number)
            if item.kind == "criterion":
                boxes = [v for v, _ in form.scale] + [form.not_applicable_number]
                printed.append((item.code, number, boxes))
            elif item.kind in GRID_TYPES:
                columns = [o.number for o in item.options]
                printed += [(row["code"], number, columns) for row in rows[item.code]]
            else:
                printed.append((item.code, number, [o.number for o in item.options]))
    return printed


def test_the_forms_cover_every_question_type() -> None:
    kinds = {
        item.kind
        for definition in FORMS.values()
        for section in paper_form(definition).sections
        for item in section.items
    }
    assert kinds == {"criterion", "single", "band", "multiple", "text", "yesno_grid", "priority"}
    assert {"sipas-citizen-v1.json", "sipas-organisation-v1.json"} <= set(FORMS)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_printed_numbers_are_the_keying_numbers(name: str) -> None:
    definition = FORMS[name]
    keyed = [(f.code, f.number, [o.key for o in f.options]) for f in keying_fields(definition)]
    assert keyed == _printed(definition, paper_form(definition))
    assert all("9" not in numbers for _, _, numbers in keyed)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_the_printed_html_shows_the_keying_numbers(name: str) -> None:
    definition = FORMS[name]
    questionnaire = Questionnaire(
        code=definition["code"], version=1, status="published", title_vi="t", definition=definition
    )
    campaign = Campaign(
        name="Đợt 2026",
        draw_id=1,
        questionnaire_id=1,
        field_start=datetime(2026, 12, 1, tzinfo=UTC),
        field_end=datetime(2026, 12, 31, tzinfo=UTC),
    )
    html = render_form_html(campaign=campaign, questionnaire=questionnaire, deadline="31/12")
    fields = keying_fields(definition)
    # Each question block (not criteria): its number, then the number beside each box.
    blocks = html.split('<div class="question">')[1:]
    questions = [f for f in fields if f.kind != "scale"]
    by_number: dict[str, list[str]] = {}
    for f in questions:
        by_number.setdefault(f.number, [o.key for o in f.options])
    assert len(blocks) == len(by_number)
    for block, (number, keys) in zip(blocks, by_number.items(), strict=True):
        assert re.search(r'<p class="q"><strong>(\d+)\.</strong>', block).group(1) == number  # type: ignore[union-attr]
        assert re.findall(r'<span class="num">(\d+)</span>', block) == keys
    # Criteria tables head their columns with the scale's numbers, 0 for "not applicable".
    if any(f.kind == "scale" for f in fields):
        scale = definition["scale"]
        head = re.search(r'<tr><th class="q">Câu</th>(.*?)</tr>', html, re.S)
        assert head is not None
        assert re.findall(r"<th[^>]*>(\d+)", head.group(1)) == list(scale_numbers(scale))


def test_long_lists_skip_nine_on_both_sides() -> None:
    assert option_numbers(10) == ("1", "2", "3", "4", "5", "6", "7", "8", "10", "11")
    definition = typed_definition()
    question = definition["questions"][0]
    question["options"] = [
        {"code": f"o{i}", "text": {"vi": f"Ý {i}", "en": f"Option {i}"}} for i in range(10)
    ]
    item = next(
        i for s in paper_form(definition).sections for i in s.items if i.code == question["code"]
    )
    field = next(f for f in keying_fields(definition) if f.code == question["code"])
    assert [o.number for o in item.options] == [o.key for o in field.options]
    assert [o.number for o in item.options][-2:] == ["10", "11"]
