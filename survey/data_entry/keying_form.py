"""The questionnaire as a clerk keys it: one short field per answer key, in printed order.

Keys are digits so a form is keyed with the numeric keypad: a criterion takes ``1``-``5`` (the
scale), ``0`` for "not applicable / don't know" and ``9`` when the citizen left it blank; a
single choice, a band and each row of a yes/no or priority grid take the number of the ticked
answer in printed order (``1``, ``2``, ... skipping ``9``); a multiple choice takes the numbers
of every ticked answer (``13``, or ``1 3``); ``9`` is "left blank" everywhere. Free text is
typed as written, empty when blank. Every field but free text must be typed: a field left
empty by the clerk is an error, not a blank answer, so a skipped field is never taken for a
blank one. Fields whose question the citizen was not to answer (a ``show_if`` that fails on
the other keyed answers) may stay empty.

A keying is stored as typed, canonicalised (:func:`read_keying`): two keyings are compared
field by field on these strings (:func:`differing_codes`), and only the agreed (or resolved)
keying becomes answers (:func:`keyed_answers`). A criterion keyed ``9`` is stored as the
response format's one missing value for criteria, ``0``, which the indices leave out exactly
like "not applicable"; the two stay apart in the keyings, so clerks who disagree on them are
compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from survey.errors import InvalidInput, Problem

# The keys are the numbers the paper form prints (one source for both).
from survey.printed_numbers import NO_ANSWER, NOT_APPLICABLE_NUMBER, option_numbers, scale_numbers
from survey.questionnaires import (
    DEFAULT_TEXT_LENGTH,
    GRID_TYPES,
    NOT_APPLICABLE,
    answer_pages,
    display_numbers,
    grid_options,
    shown_codes,
    validate_answers,
)

NOT_APPLICABLE_KEY = NOT_APPLICABLE_NUMBER
# Why a keyed value was refused; the pages word each one (api.i18n DATA_ENTRY_RULES).
RULES = ("blank", "scale", "option", "options", "too_long", "required")


@dataclass(frozen=True)
class KeyOption:
    """One printed answer and the key that types it."""

    key: str
    code: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class KeyingField:
    """One input of the keying page.

    ``kind`` is ``scale`` (a criterion), ``single`` (single choice, band or grid row),
    ``multiple`` or ``text``; ``number`` is the question's number on the printed form
    (:func:`survey.questionnaires.display_numbers`; a grid row has its grid's); ``label`` the
    question (and row) text; ``group`` the title of its page (element or block).
    """

    code: str
    kind: str
    number: str
    label: Mapping[str, str]
    group: Mapping[str, str]
    options: tuple[KeyOption, ...]
    max_length: int = 0

    @property
    def width(self) -> int:
        """Characters the input needs (so the page can keep inputs small)."""
        if self.kind == "text":
            return 40
        if self.kind == "multiple":
            return max(3, 2 * len(self.options))
        return 2


class KeyingInvalid(InvalidInput):
    """A keying with values to fix; ``rules`` maps each field's code to one of :data:`RULES`."""

    def __init__(self, problems: list[Problem], rules: Mapping[str, str]) -> None:
        super().__init__("some keyed values are not possible on this form", problems)
        self.rules = dict(rules)


def _options(options: list[dict[str, Any]]) -> tuple[KeyOption, ...]:
    return tuple(
        KeyOption(key, str(o["code"]), o["text"])
        for key, o in zip(option_numbers(len(options)), options, strict=True)
    )


def _joined(*texts: Mapping[str, str]) -> dict[str, str]:
    return {lang: " – ".join(t.get(lang, "") for t in texts) for lang in ("vi", "en")}


def keying_fields(definition: dict[str, Any]) -> list[KeyingField]:
    """The fields of ``definition`` in printed (answer page) order."""
    scale = definition.get("scale", {"min": 1, "max": 5})
    labels = scale.get("labels", {})
    not_applicable = scale.get("not_applicable", {"vi": "Không áp dụng", "en": "Not applicable"})
    scale_options = tuple(
        KeyOption(NOT_APPLICABLE_KEY, str(NOT_APPLICABLE), not_applicable)
        if key == NOT_APPLICABLE_KEY
        else KeyOption(key, key, labels.get(key, {"vi": key, "en": key}))
        for key in scale_numbers(scale)
    )
    criteria = {c["code"]: c for e in definition["elements"] for c in e["criteria"]}
    questions = {q["code"]: q for q in definition.get("questions") or []}
    numbers = display_numbers(definition)
    fields: list[KeyingField] = []
    for page in answer_pages(definition):
        for code in page.display_codes:
            number = str(numbers[code])
            if code in criteria:
                criterion = criteria[code]
                fields.append(
                    KeyingField(code, "scale", number, criterion["text"], page.title, scale_options)
                )
                continue
            question = questions[code]
            kind = question["type"]
            if kind in GRID_TYPES:
                options = _options(grid_options(question))
                for row in question["rows"]:
                    label = _joined(question["text"], row["text"])
                    fields.append(
                        KeyingField(row["code"], "single", number, label, page.title, options)
                    )
                continue
            fields.append(
                KeyingField(
                    code,
                    "single" if kind == "band" else kind,
                    number,
                    question["text"],
                    page.title,
                    _options(list(question.get("options") or [])),
                    int(question.get("max_length", DEFAULT_TEXT_LENGTH)) if kind == "text" else 0,
                )
            )
    return fields


def _canonical(field: KeyingField, raw: str) -> tuple[str, str | None]:
    """The canonical typed value and the rule it breaks (``None`` when fine)."""
    if field.kind == "text":
        text = " ".join(raw.split())
        too_long = len(text) > field.max_length
        return text, "too_long" if too_long else None
    typed = "".join(raw.split()) if field.kind != "multiple" else raw.strip()
    if typed == "":
        return "", "blank"
    if typed == NO_ANSWER:
        return NO_ANSWER, None
    keys = {o.key for o in field.options}
    if field.kind in ("scale", "single"):
        return typed, None if typed in keys else ("scale" if field.kind == "scale" else "option")
    # Multiple choice: "13", "1 3", "1,3"; digits run together only while every key is one digit.
    parts = typed.replace(",", " ").split()
    if len(parts) == 1 and all(len(k) == 1 for k in keys):
        parts = list(parts[0])
    if not parts or any(p not in keys for p in parts):
        return typed, "options"
    order = [o.key for o in field.options]
    return " ".join(sorted(set(parts), key=order.index)), None


def read_keying(definition: dict[str, Any], form: Mapping[str, str]) -> dict[str, str]:
    """The canonical keying of ``form`` (field code -> typed text), or :class:`KeyingInvalid`.

    Empty fields of questions the citizen was not to answer are accepted; so is what a citizen
    wrote on a question they were to skip (the answers drop it, :func:`keyed_answers`).
    """
    fields = keying_fields(definition)
    keyed: dict[str, str] = {}
    rules: dict[str, str] = {}
    for field in fields:
        value, rule = _canonical(field, str(form.get(field.code, "") or ""))
        keyed[field.code] = value
        if rule is not None:
            rules[field.code] = rule
    # A field left empty is fine when the citizen was not to answer it (its condition fails on
    # the answers keyed so far).
    if any(rule == "blank" for rule in rules.values()):
        answers = keyed_answers(definition, {k: v for k, v in keyed.items() if k not in rules})
        shown = shown_codes(definition, answers)
        rules = {k: r for k, r in rules.items() if r != "blank" or k in shown}
    if not rules:
        answers = keyed_answers(definition, keyed)
        for problem in validate_answers(definition, answers):
            code = str(problem.loc[0])
            rules.setdefault(code, "required" if code not in answers else "option")
    if rules:
        problems = [Problem((code,), _RULE_TEXT[rule]) for code, rule in rules.items()]
        raise KeyingInvalid(problems, rules)
    return keyed


_RULE_TEXT = {
    "blank": "type the answer ticked on the form, or 9 if it was left blank",
    "scale": "type 1 to 5, 0 for 'not applicable', or 9 if it was left blank",
    "option": "type the number of the ticked answer, or 9 if it was left blank",
    "options": "type the numbers of the ticked answers (e.g. 13), or 9 if none was ticked",
    "too_long": "the text is longer than this question allows; shorten it as written",
    "required": "this question must be answered; ask a supervisor what to key",
}


def keyed_answers(definition: dict[str, Any], keyed: Mapping[str, str]) -> dict[str, Any]:
    """The answers a keying stands for, in the stored form of survey.responses (codes, ints)."""
    answers: dict[str, Any] = {}
    for field in keying_fields(definition):
        typed = keyed.get(field.code, "")
        if field.kind == "text":
            if typed:
                answers[field.code] = typed
            continue
        if typed == "":
            continue
        if field.kind == "scale":
            answers[field.code] = NOT_APPLICABLE if typed == NO_ANSWER else int(typed)
            continue
        if typed == NO_ANSWER:
            continue
        by_key = {o.key: o.code for o in field.options}
        if field.kind == "multiple":
            codes = [by_key[k] for k in typed.split() if k in by_key]
            if codes:
                answers[field.code] = codes
        elif typed in by_key:
            answers[field.code] = by_key[typed]
    return answers


def differing_codes(first: Mapping[str, str], second: Mapping[str, str]) -> list[str]:
    """The field codes on which two keyings differ, in the order of ``first`` then ``second``."""
    codes = list(first) + [c for c in second if c not in first]
    return [c for c in codes if first.get(c, "") != second.get(c, "")]
