"""The numbering respondents see: 1..N in page order, the same whatever they answer."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from survey.questionnaires import answer_pages, display_numbers


def _builtin(name: str) -> dict[str, Any]:
    text = resources.files("survey.questionnaire_data").joinpath(name).read_text("utf-8")
    return dict(json.loads(text))


def test_every_item_gets_the_next_number_in_page_order() -> None:
    definition = _builtin("sipas-service-profile-v1.json")
    numbers = display_numbers(definition)
    in_page_order = [
        code
        for page in answer_pages(definition)
        for code in (page.display_codes or page.item_codes)
    ]
    assert list(numbers) == in_page_order
    assert list(numbers.values()) == list(range(1, len(in_page_order) + 1))
    criteria = [c["code"] for e in definition["elements"] for c in e["criteria"]]
    questions = [q["code"] for q in definition.get("questions") or []]
    assert set(numbers) == set(criteria) | set(questions)


def test_the_service_form_starts_at_one_not_at_its_national_number() -> None:
    definition = _builtin("sipas-service-v1.json")
    first = definition["elements"][0]["criteria"][0]
    assert first["number"] == 15  # the national form's own number, kept for cross-reference
    assert display_numbers(definition)[first["code"]] == 1
