"""The paper questionnaire: a campaign's questionnaire laid out for print, in Vietnamese.

The sections and numbers are those of the answer pages (:func:`survey.questionnaires.answer_pages`
and :func:`survey.questionnaires.display_numbers`), so a clerk keying a returned form and a citizen
answering online see the same question under the same number. Every question type prints:
criteria as a row of boxes 1-5 plus "not applicable", single and band choices ("chọn một"),
multiple choice ("có thể chọn nhiều"), yes/no and priority grids as tables, free text as ruled
lines. A ``show_if`` condition, which the web page applies by itself, becomes a printed skip
instruction: "Nếu ở câu 3 Ông/Bà không chọn «Có», chuyển đến câu 8." Every box is printed with
the number a clerk keys for it (:mod:`survey.printed_numbers`, shared with the keying page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from survey.printed_numbers import NOT_APPLICABLE_NUMBER, option_numbers, scale_numbers
from survey.questionnaires import (
    CHOICE_TYPES,
    GRID_TYPES,
    answer_pages,
    display_numbers,
    grid_options,
)

# Ruled lines a free-text answer gets per 100 characters it may hold (at least 2, at most 8).
_CHARS_PER_LINE = 100


@dataclass(frozen=True)
class PrintedOption:
    """One answer box (or grid column): the number printed beside it, its code and label."""

    number: str
    code: str
    text: str


@dataclass(frozen=True)
class PaperItem:
    """One printed question (a criterion, a question or a whole grid)."""

    code: str
    number: int
    kind: str  # criterion | single | multiple | band | text | yesno_grid | priority
    text: str
    options: tuple[PrintedOption, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()
    lines: int = 0
    instruction: str = ""
    condition: str = ""


@dataclass(frozen=True)
class PaperSection:
    """One part of the form (an element's criteria or a block of questions)."""

    code: str
    kind: str  # element | block | questions
    title: str
    items: tuple[PaperItem, ...]
    condition: str = ""


@dataclass(frozen=True)
class PaperForm:
    """The printable questionnaire: title, the 1-5 scale and the sections in order."""

    title: str
    intro: str
    scale: tuple[tuple[str, str], ...]  # (printed number = value, label)
    not_applicable: str
    sections: tuple[PaperSection, ...]
    last_number: int
    not_applicable_number: str = NOT_APPLICABLE_NUMBER


def _vi(text: Any) -> str:
    if isinstance(text, Mapping):
        return str(text.get("vi") or text.get("en") or "")
    return str(text or "")


def _options(options: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(o["code"]), _vi(o["text"])) for o in options or [])


def _printed(options: Any) -> tuple[PrintedOption, ...]:
    pairs = _options(options)
    return tuple(
        PrintedOption(number, code, text)
        for number, (code, text) in zip(option_numbers(len(pairs)), pairs, strict=True)
    )


def _sources(definition: Mapping[str, Any], numbers: Mapping[str, int]) -> dict[str, Any]:
    """Answer key -> (number, "dòng «row»" or "", {option code: label}) for skip instructions."""
    sources: dict[str, Any] = {}
    for question in definition.get("questions") or []:
        number = numbers[question["code"]]
        if question["type"] in GRID_TYPES:
            labels = dict(_options(grid_options(question)))
            for row in question["rows"]:
                sources[row["code"]] = (number, f", dòng «{_vi(row['text'])}»", labels)
        else:
            sources[question["code"]] = (number, "", dict(_options(question.get("options"))))
    return sources


def skip_instruction(
    show_if: Mapping[str, Any] | None, sources: Mapping[str, Any], next_number: int | None
) -> str:
    """The printed form of a ``show_if``: where to go when the condition does not hold."""
    if not show_if:
        return ""
    number, row, labels = sources[show_if["item"]]
    chosen = " hoặc ".join(f"«{labels.get(code, code)}»" for code in show_if["in"])
    target = f"chuyển đến câu {next_number}" if next_number else "chuyển đến cuối phiếu"
    return f"Nếu ở câu {number}{row} Ông/Bà không chọn {chosen}, {target}."


def _text_lines(question: Mapping[str, Any]) -> int:
    return max(2, min(8, int(question.get("max_length") or 500) // _CHARS_PER_LINE))


_INSTRUCTIONS = {
    "single": "Chọn một.",
    "band": "Chọn một.",
    "multiple": "Có thể chọn nhiều.",
    "yesno_grid": "Mỗi dòng chọn một.",
    "priority": "Mỗi dòng chọn một.",
    "text": "Viết vào chỗ trống.",
}


def _question_item(
    question: Mapping[str, Any], number: int, sources: Mapping[str, Any], last: int
) -> PaperItem:
    kind = str(question["type"])
    next_number = number + 1 if number < last else None
    return PaperItem(
        code=str(question["code"]),
        number=number,
        kind=kind,
        text=_vi(question["text"]),
        options=_printed(
            grid_options(dict(question)) if kind in GRID_TYPES else question.get("options")
        )
        if kind in CHOICE_TYPES or kind in GRID_TYPES
        else (),
        rows=tuple((str(r["code"]), _vi(r["text"])) for r in question.get("rows") or []),
        lines=_text_lines(question) if kind == "text" else 0,
        instruction=_INSTRUCTIONS.get(kind, ""),
        condition=skip_instruction(question.get("show_if"), sources, next_number),
    )


def paper_form(definition: Mapping[str, Any]) -> PaperForm:
    """The questionnaire ``definition`` as printed sections (Vietnamese wording)."""
    definition = dict(definition)
    numbers = display_numbers(definition)
    last = max(numbers.values(), default=0)
    sources = _sources(definition, numbers)
    criteria = {c["code"]: c for e in definition["elements"] for c in e["criteria"]}
    questions = {q["code"]: q for q in definition.get("questions") or []}
    pages = answer_pages(definition)
    firsts = [numbers[(p.display_codes or p.item_codes)[0]] for p in pages]
    sections: list[PaperSection] = []
    for k, page in enumerate(pages):
        items: list[PaperItem] = []
        for code in page.display_codes or page.item_codes:
            if code in criteria:
                items.append(
                    PaperItem(
                        code=code,
                        number=numbers[code],
                        kind="criterion",
                        text=_vi(criteria[code]["text"]),
                    )
                )
            else:
                items.append(_question_item(questions[code], numbers[code], sources, last))
        # Skip past the following sections asked on the same condition (the elements all
        # depend on one answer): the person would only be sent on again.
        later = k + 1
        while later < len(pages) and page.show_if and pages[later].show_if == page.show_if:
            later += 1
        after = firsts[later] if later < len(pages) else last + 1
        sections.append(
            PaperSection(
                code=page.code,
                kind=page.kind,
                title=_vi(page.title),
                items=tuple(items),
                condition=skip_instruction(page.show_if, sources, after if after <= last else None),
            )
        )
    scale = definition["scale"]
    return PaperForm(
        title=_vi(definition.get("title")),
        intro=_vi(definition.get("intro")),
        scale=tuple(
            (number, _vi(scale["labels"][number]))
            for number in scale_numbers(scale)
            if number != NOT_APPLICABLE_NUMBER
        ),
        not_applicable=_vi(scale.get("not_applicable")),
        sections=tuple(sections),
        last_number=last,
    )
