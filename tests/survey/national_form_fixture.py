"""A small questionnaire with every question type and a Q8-style condition, for tests."""

from __future__ import annotations

import copy
from typing import Any

from survey.questionnaires import builtin_definition


def _t(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def typed_definition() -> dict[str, Any]:
    """Profile and experience blocks before the service elements; the elements are asked only of
    people who completed a procedure (``q8_procedure`` = yes); a priority grid after them."""
    definition = copy.deepcopy(builtin_definition())
    definition["code"] = "sipas-typed"
    definition["blocks"] = [
        {"code": "profile", "title": _t("Thông tin người trả lời", "About you")},
        {"code": "experience", "title": _t("Trải nghiệm", "Experience")},
        {"code": "school", "title": _t("Giáo dục", "Schools")},
        {"code": "expectations", "title": _t("Mong đợi", "Expectations"), "position": "after"},
    ]
    definition["questions"] = [
        {
            "code": "sex",
            "type": "single",
            "block": "profile",
            "required": True,
            "text": _t("Giới tính", "Sex"),
            "options": [
                {"code": "male", "text": _t("Nam", "Male")},
                {"code": "female", "text": _t("Nữ", "Female")},
            ],
        },
        {
            "code": "age_band",
            "type": "band",
            "block": "profile",
            "required": True,
            "text": _t("Tuổi", "Age"),
            "options": [
                {"code": "a18_24", "min": 18, "max": 24, "text": _t("18–24", "18–24")},
                {"code": "a25_34", "min": 25, "max": 34, "text": _t("25–34", "25–34")},
                {"code": "a35_plus", "min": 35, "text": _t("Từ 35", "35 and over")},
            ],
        },
        {
            "code": "q8",
            "type": "yesno_grid",
            "block": "experience",
            "text": _t("Trong thời gian qua, ông/bà đã:", "In the past period, did you:"),
            "rows": [
                {
                    "code": "q8_school",
                    "text": _t("Có con học trường công", "Have a child at a public school"),
                },
                {
                    "code": "q8_procedure",
                    "text": _t(
                        "Giải quyết thủ tục hành chính", "Complete an administrative procedure"
                    ),
                },
            ],
        },
        {
            "code": "school_level",
            "type": "single",
            "block": "school",
            "required": True,
            "text": _t("Cấp học", "School level"),
            "options": [
                {"code": "primary", "text": _t("Tiểu học", "Primary")},
                {"code": "secondary", "text": _t("Trung học", "Secondary")},
            ],
            "show_if": {"item": "q8_school", "in": ["yes"]},
        },
        {
            "code": "q10",
            "type": "priority",
            "block": "expectations",
            "text": _t(
                "Nhà nước cần ưu tiên nguồn lực để cải thiện:", "The state should prioritise:"
            ),
            "rows": [
                {"code": "q10_information", "text": _t("Thông tin", "Information")},
                {"code": "q10_competence", "text": _t("Năng lực công chức", "Competence")},
            ],
        },
        {
            "code": "channels",
            "type": "multiple",
            "text": _t("Kênh thông tin", "Channels"),
            "options": [
                {"code": "loudspeaker", "text": _t("Loa phường", "Loudspeaker")},
                {"code": "internet", "text": _t("Internet", "Internet")},
            ],
        },
        {
            "code": "comments",
            "type": "text",
            "max_length": 200,
            "text": _t("Ý kiến khác", "Other comments"),
        },
    ]
    for element in definition["elements"]:
        element["show_if"] = {"item": "q8_procedure", "in": ["yes"]}
    return definition


def typed_answers(*, procedure: bool = True) -> dict[str, Any]:
    """Complete answers to :func:`typed_definition`."""
    answers: dict[str, Any] = {
        "sex": "female",
        "age_band": "a25_34",
        "q8_school": "no",
        "q8_procedure": "yes" if procedure else "no",
        "q10_information": "very_much",
        "q10_competence": "little",
        "channels": ["loudspeaker", "internet"],
        "comments": '=HYPERLINK("x")',
    }
    if procedure:
        definition = builtin_definition()
        for element in definition["elements"]:
            for criterion in element["criteria"]:
                answers[criterion["code"]] = 4
    return answers
