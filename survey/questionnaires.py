"""Versioned questionnaires: validation, the built-in SIPAS form, drafts, publishing, JSON I/O.

A questionnaire version is a ``definition`` document (see ``questionnaire_data/*.json``): texts in
Vietnamese and English, a 1-5 scale with an explicit "not applicable" answer (stored as 0), elements
with criteria whose codes are stable across versions, and optional questions of the types in
:data:`QUESTION_TYPES` (single or multiple choice, numeric bands, bounded free text, yes/no grids
and 3-level priority grids whose rows are answered one by one under their own codes).
Every item, grid row and answer option has a code kept across versions; a criterion, question,
row or option may name ``maps_from`` (a code of an earlier version) so results stay comparable.

Questions may sit in ``blocks`` (their own page, before or after the elements). An element, block
or question may carry ``show_if: {"item": CODE, "in": [OPTION CODES]}``: it is asked only when the
answer to an item on an *earlier* page is one of those options (for a multiple choice: any of
them is chosen). Hidden items are not required and their answers are dropped (:func:`drop_hidden`).
A draft may change; a published version never does (new wording = new version).

The whole national form groups its elements into indices: ``"indices": [{"code": "policy",
"title": ...}, {"code": "service", ...}]``, each element naming its ``"index"``, and
``"sipas_rule"`` (:data:`analysis.questionnaire_tree.SIPAS_RULES`, default ``mean_of_indices``)
recording how the SIPAS node combines them. Without ``"indices"`` the tree is overall <- elements.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlmodel import Session, col, select

from analysis.questionnaire_tree import (
    RESERVED_NODE,
    SIPAS_NODE,
    SIPAS_RULES,
    QuestionnaireTreeError,
    parse_questionnaire_tree,
)
from survey.audit import SYSTEM_ACTOR, record_event
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.models import Questionnaire, StaffUser, utcnow

NOT_APPLICABLE = 0
# The service form (the default), its variant with the respondent profile (working wording), and
# the whole national forms of Decision 1001/QĐ-BNV for citizens and for organisations.
BUILTIN_FILES = (
    "sipas-service-v1.json",
    "sipas-service-profile-v1.json",
    "sipas-citizen-v1.json",
    "sipas-organisation-v1.json",
)
QUESTION_TYPES = ("single", "multiple", "text", "band", "yesno_grid", "priority")
CHOICE_TYPES = ("single", "multiple", "band")
GRID_TYPES = ("yesno_grid", "priority")
YES_NO_OPTIONS: tuple[dict[str, Any], ...] = (
    {"code": "yes", "text": {"vi": "Có", "en": "Yes"}},
    {"code": "no", "text": {"vi": "Không", "en": "No"}},
)
# Q10's scale (DOMAIN.md); a priority grid may give its own three levels instead.
PRIORITY_OPTIONS: tuple[dict[str, Any], ...] = (
    {"code": "very_much", "text": {"vi": "Rất nhiều", "en": "Very much"}},
    {"code": "much", "text": {"vi": "Nhiều", "en": "Much"}},
    {"code": "little", "text": {"vi": "Ít", "en": "Little"}},
)
# Minutes the standard form takes, as the answer page and the printed letter both say it (one
# figure for both: a letter promising 10 where the page says 5 loses trust).
ANSWER_MINUTES = 5
TEXT_MAX_LENGTH = 2000
DEFAULT_TEXT_LENGTH = 500
LANGUAGES = ("vi", "en")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_QUESTIONNAIRE_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class AnswerPage:
    """One page of the answer flow: an element's criteria, a block of questions, or the extra ones.

    ``item_codes`` are the answer keys (criteria, questions, grid rows); ``display_codes`` the
    criteria and questions as shown (a grid is one question holding several rows).
    """

    index: int
    kind: str  # "element" | "block" | "questions"
    code: str
    title: dict[str, str]
    item_codes: tuple[str, ...]
    display_codes: tuple[str, ...] = ()
    show_if: dict[str, Any] | None = None


def builtin_definition(filename: str = BUILTIN_FILES[0]) -> dict[str, Any]:
    """The built-in definition shipped with the platform (the standard SIPAS service form)."""
    text = resources.files("survey.questionnaire_data").joinpath(filename).read_text("utf-8")
    definition: dict[str, Any] = json.loads(text)
    return definition


def _check_text(value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> None:
    if not isinstance(value, dict) or not str(value.get("vi", "")).strip():
        problems.append(Problem(loc, 'give the text as {"vi": ..., "en": ...}; Vietnamese first'))


def validate_definition(definition: Any) -> list[Problem]:
    """Every problem of a definition document, each located by its JSON path."""
    problems: list[Problem] = []
    if not isinstance(definition, dict):
        return [Problem((), "a questionnaire is a JSON object with code, version and elements")]
    if not isinstance(definition.get("code"), str) or not _QUESTIONNAIRE_CODE.match(
        definition["code"]
    ):
        problems.append(Problem(("code",), "code: lowercase letters, digits, '_' or '-'"))
    version = definition.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(Problem(("version",), "version must be a whole number >= 1"))
    _check_text(definition.get("title"), ("title",), problems)
    seen: set[str] = set()

    def claim(code: Any, loc: tuple[str | int, ...]) -> None:
        if not isinstance(code, str) or not _CODE.match(code):
            problems.append(Problem(loc, "a code is lowercase letters, digits and '_' (max 64)"))
        elif code in seen:
            problems.append(Problem(loc, f"code {code!r} is used twice; codes must be unique"))
        else:
            seen.add(code)

    elements = definition.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(Problem(("elements",), "list at least one element with its criteria"))
        elements = []
    for i, element in enumerate(elements):
        if not isinstance(element, dict):
            problems.append(Problem(("elements", i), "an element is an object"))
            continue
        claim(element.get("code"), ("elements", i, "code"))
        _check_text(element.get("title"), ("elements", i, "title"), problems)
        criteria = element.get("criteria")
        if not isinstance(criteria, list) or not criteria:
            problems.append(Problem(("elements", i, "criteria"), "an element needs criteria"))
            continue
        for j, criterion in enumerate(criteria):
            loc: tuple[str | int, ...] = ("elements", i, "criteria", j)
            if not isinstance(criterion, dict):
                problems.append(Problem(loc, "a criterion is an object"))
                continue
            claim(criterion.get("code"), (*loc, "code"))
            _check_text(criterion.get("text"), (*loc, "text"), problems)
            if "interviewer_text" in criterion:
                # The words an interviewer reads out instead of the text (api/pages/interviews).
                _check_text(criterion["interviewer_text"], (*loc, "interviewer_text"), problems)
    _check_indices(definition, elements, claim, problems)
    blocks = definition.get("blocks") or []
    block_codes: set[str] = set()
    if not isinstance(blocks, list):
        problems.append(Problem(("blocks",), "blocks is a list of {code, title, position}"))
        blocks = []
    for b, block in enumerate(blocks):
        if not isinstance(block, dict):
            problems.append(Problem(("blocks", b), "a block is an object"))
            continue
        claim(block.get("code"), ("blocks", b, "code"))
        block_codes.add(str(block.get("code")))
        _check_text(block.get("title"), ("blocks", b, "title"), problems)
        if block.get("position", "before") not in ("before", "after"):
            problems.append(
                Problem(("blocks", b, "position"), "position is 'before' or 'after' the elements")
            )
    questions = definition.get("questions") or []
    for k, question in enumerate(questions):
        loc = ("questions", k)
        if not isinstance(question, dict):
            problems.append(Problem(loc, "a question is an object"))
            continue
        claim(question.get("code"), (*loc, "code"))
        _check_text(question.get("text"), (*loc, "text"), problems)
        if "interviewer_text" in question:
            _check_text(question["interviewer_text"], (*loc, "interviewer_text"), problems)
        kind = question.get("type")
        if kind not in QUESTION_TYPES:
            problems.append(Problem((*loc, "type"), f"type is one of {', '.join(QUESTION_TYPES)}"))
        if "block" in question and question["block"] not in block_codes:
            problems.append(
                Problem((*loc, "block"), f"block {question['block']!r} is not in 'blocks'")
            )
        if kind in CHOICE_TYPES or (kind == "priority" and "options" in question):
            _check_options(question, loc, problems, exactly=3 if kind == "priority" else None)
        if kind == "band":
            _check_bands(question, loc, problems)
        if "publish_as" in question:
            _check_publish_as(question, loc, problems)
        if kind in GRID_TYPES:
            rows = question.get("rows")
            if not isinstance(rows, list) or not rows:
                problems.append(
                    Problem((*loc, "rows"), "a grid needs rows, each with code and text")
                )
            else:
                for r, row in enumerate(rows):
                    if not isinstance(row, dict):
                        problems.append(Problem((*loc, "rows", r), "a row is an object"))
                        continue
                    claim(row.get("code"), (*loc, "rows", r, "code"))
                    _check_text(row.get("text"), (*loc, "rows", r, "text"), problems)
        if kind == "text":
            limit = question.get("max_length", DEFAULT_TEXT_LENGTH)
            if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 2000:
                problems.append(
                    Problem(
                        (*loc, "max_length"),
                        f"max_length is a whole number from 1 to {TEXT_MAX_LENGTH}",
                    )
                )
    if not problems:
        problems.extend(_condition_problems(definition))
        problems.extend(_maps_from_problems(definition))
    if not problems and definition.get("indices") is not None:
        try:
            parse_questionnaire_tree(definition)
        except QuestionnaireTreeError as error:
            problems.append(Problem(("indices",), str(error)))
    return problems


def _check_indices(
    definition: dict[str, Any],
    elements: list[Any],
    claim: Callable[[Any, tuple[str | int, ...]], None],
    problems: list[Problem],
) -> None:
    """``indices`` list codes and titles; then every element names one of them in ``index``."""
    indices = definition.get("indices")
    if indices is None:
        if "sipas_rule" in definition:
            problems.append(Problem(("sipas_rule",), "sipas_rule needs 'indices' to combine"))
        for i, element in enumerate(elements):
            if isinstance(element, dict) and "index" in element:
                problems.append(
                    Problem(("elements", i, "index"), "list the questionnaire's 'indices' first")
                )
        return
    if not isinstance(indices, list) or not indices:
        problems.append(Problem(("indices",), 'indices is a list of {"code", "title"}'))
        return
    known: set[str] = set()
    for k, index in enumerate(indices):
        if not isinstance(index, dict):
            problems.append(Problem(("indices", k), 'an index is {"code", "title"}'))
            continue
        code = index.get("code")
        if code in (SIPAS_NODE, RESERVED_NODE):
            problems.append(
                Problem(("indices", k, "code"), f"{code!r} names the root: call the index else")
            )
        claim(code, ("indices", k, "code"))
        known.add(str(code))
        _check_text(index.get("title"), ("indices", k, "title"), problems)
    rule = definition.get("sipas_rule", SIPAS_RULES[0])
    if rule not in SIPAS_RULES:
        problems.append(Problem(("sipas_rule",), f"sipas_rule is one of {', '.join(SIPAS_RULES)}"))
    used: set[str] = set()
    for i, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        if element.get("index") not in known:
            problems.append(
                Problem(
                    ("elements", i, "index"),
                    f"name the index this element counts in: one of {', '.join(sorted(known))}",
                )
            )
        used.add(str(element.get("index")))
        codes = [element.get("code")] + [
            c.get("code") for c in element.get("criteria") or [] if isinstance(c, dict)
        ]
        if SIPAS_NODE in codes:
            problems.append(
                Problem(("elements", i), f"{SIPAS_NODE!r} names the root: rename that item")
            )
    for k, code in enumerate(str(i.get("code")) for i in indices if isinstance(i, dict)):
        if code not in used:
            problems.append(
                Problem(("indices", k), f"no element counts in index {code!r}: give it elements")
            )


def _maps_from_problems(definition: dict[str, Any]) -> list[Problem]:
    """``maps_from`` names one code of an earlier version (an item, row or option code)."""
    found: list[tuple[tuple[str | int, ...], Any]] = []
    for i, element in enumerate(definition["elements"]):
        for j, criterion in enumerate(element["criteria"]):
            found.append((("elements", i, "criteria", j), criterion))
    for k, question in enumerate(definition.get("questions") or []):
        found.append((("questions", k), question))
        for r, row in enumerate(question.get("rows") or []):
            found.append((("questions", k, "rows", r), row))
        for o, option in enumerate(question.get("options") or []):
            found.append((("questions", k, "options", o), option))
    return [
        Problem((*loc, "maps_from"), "maps_from is the code it had in the earlier version")
        for loc, entry in found
        if "maps_from" in entry
        and not (isinstance(entry["maps_from"], str) and _CODE.match(entry["maps_from"]))
    ]


def _check_options(
    question: dict[str, Any],
    loc: tuple[str | int, ...],
    problems: list[Problem],
    *,
    exactly: int | None = None,
) -> None:
    options = question.get("options")
    if not isinstance(options, list) or len(options) < 2:
        problems.append(Problem((*loc, "options"), "give at least two options"))
        return
    if exactly is not None and len(options) != exactly:
        problems.append(
            Problem((*loc, "options"), f"a priority scale has exactly {exactly} levels")
        )
    seen: set[str] = set()
    for o, option in enumerate(options):
        if not isinstance(option, dict):
            problems.append(Problem((*loc, "options", o), "an option is {code, text}"))
            continue
        code = option.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            problems.append(
                Problem(
                    (*loc, "options", o, "code"), "an option code is lowercase letters, digits, '_'"
                )
            )
        elif code in seen:
            problems.append(
                Problem(
                    (*loc, "options", o, "code"),
                    f"option code {code!r} is used twice here: give each option its own code",
                )
            )
        seen.add(str(code))
        _check_text(option.get("text"), (*loc, "options", o, "text"), problems)


def _check_publish_as(
    question: dict[str, Any], loc: tuple[str | int, ...], problems: list[Problem]
) -> None:
    """``publish_as``: how a release publishes the item (:mod:`survey.release_pipeline.shares`).

    ``"shares"`` (a single choice, band or grid): the share of each answer option among those
    who answered; ``"top_two"`` (a single choice, band or priority grid): the share choosing
    one of ``publish_categories`` (default the first two options, e.g. Rất nhiều / Nhiều).
    """
    kind = question.get("type")
    how = question["publish_as"]
    allowed = {
        "shares": ("single", "band", "yesno_grid", "priority"),
        "top_two": ("single", "band", "priority"),
    }
    if not isinstance(how, str) or how not in allowed:
        problems.append(Problem((*loc, "publish_as"), "publish_as is 'shares' or 'top_two'"))
        return
    if kind not in allowed[how]:
        problems.append(
            Problem(
                (*loc, "publish_as"),
                f"{how!r} is for questions of type {', '.join(allowed[how])}, not {kind!r}",
            )
        )
        return
    categories = question.get("publish_categories")
    if categories is None:
        return
    if how != "top_two":
        problems.append(
            Problem(
                (*loc, "publish_categories"),
                "publish_categories goes with publish_as 'top_two' ('shares' publishes "
                "every option)",
            )
        )
        return
    options = [
        o.get("code")
        for o in (grid_options(question) if kind in GRID_TYPES else question.get("options") or [])
        if isinstance(o, dict)
    ]
    if (
        not isinstance(categories, list)
        or not categories
        or len(set(map(str, categories))) != len(categories)
        or any(c not in options for c in categories)
        or len(categories) >= len(options)
    ):
        problems.append(
            Problem(
                (*loc, "publish_categories"),
                f"list the option codes that count, each once, leaving at least one out: "
                f"{', '.join(map(str, options))}",
            )
        )


def _check_bands(
    question: dict[str, Any], loc: tuple[str | int, ...], problems: list[Problem]
) -> None:
    """Bands are ascending and do not overlap; an open end leaves ``min`` or ``max`` out."""
    previous: float | None = None
    for o, option in enumerate(question.get("options") or []):
        if not isinstance(option, dict):
            continue
        low, high = option.get("min"), option.get("max")
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float)
            ):
                problems.append(Problem((*loc, "options", o, name), f"{name} is a number"))
                return
        if low is None and high is None:
            problems.append(
                Problem((*loc, "options", o), "a band gives min, max or both (e.g. 18 and 24)")
            )
            return
        if low is not None and high is not None and low > high:
            problems.append(Problem((*loc, "options", o), f"min {low} is above max {high}"))
            return
        if previous is not None and (low is None or low <= previous):
            problems.append(
                Problem(
                    (*loc, "options", o, "min"),
                    f"bands go upwards without overlap: start above {previous}",
                )
            )
            return
        previous = high if high is not None else float("inf")


def _answer_options(definition: dict[str, Any]) -> dict[str, set[str]]:
    """Every answerable code that has options (questions and grid rows) -> its option codes."""
    found: dict[str, set[str]] = {}
    for question in definition.get("questions") or []:
        kind = question.get("type")
        if kind in CHOICE_TYPES:
            found[question["code"]] = {o["code"] for o in question["options"]}
        elif kind in GRID_TYPES:
            codes = {o["code"] for o in grid_options(question)}
            for row in question["rows"]:
                found[row["code"]] = codes
    return found


def _condition_problems(definition: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    pages = answer_pages(definition)
    page_of = {code: page.index for page in pages for code in page.item_codes}
    options = _answer_options(definition)

    def check(show_if: Any, loc: tuple[str | int, ...], page_index: int) -> None:
        if show_if is None:
            return
        item = show_if.get("item") if isinstance(show_if, dict) else None
        wanted = show_if.get("in") if isinstance(show_if, dict) else None
        if item not in options:
            problems.append(
                Problem(
                    (*loc, "show_if", "item"),
                    "show_if names an earlier choice question or grid row by its code",
                )
            )
            return
        if page_of[item] >= page_index:
            problems.append(
                Problem(
                    (*loc, "show_if", "item"),
                    f"{item!r} is on the same or a later page: conditions use earlier pages",
                )
            )
        if (
            not isinstance(wanted, list)
            or not wanted
            or any(w not in options[item] for w in wanted)
        ):
            problems.append(
                Problem(
                    (*loc, "show_if", "in"),
                    f"list option codes of {item!r}: {', '.join(sorted(options[item]))}",
                )
            )

    by_code = {page.code: page for page in pages}
    for i, element in enumerate(definition["elements"]):
        check(element.get("show_if"), ("elements", i), by_code[element["code"]].index)
    for b, block in enumerate(definition.get("blocks") or []):
        check(block.get("show_if"), ("blocks", b), by_code[block["code"]].index)
    for k, question in enumerate(definition.get("questions") or []):
        check(question.get("show_if"), ("questions", k), page_of[_answer_keys(question)[0]])
    return problems


def grid_options(question: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer options of a grid's rows: yes/no, or the priority question's three levels."""
    if question["type"] == "yesno_grid":
        return [dict(o) for o in YES_NO_OPTIONS]
    return list(question.get("options") or PRIORITY_OPTIONS)


def _answer_keys(question: dict[str, Any]) -> list[str]:
    if question["type"] in GRID_TYPES:
        return [row["code"] for row in question["rows"]]
    return [question["code"]]


def item_kinds(definition: dict[str, Any]) -> dict[str, str]:
    """Answer key -> how its value is stored: "criterion" (int), "multiple" (list), else text."""
    kinds = {c["code"]: "criterion" for e in definition["elements"] for c in e["criteria"]}
    for question in definition.get("questions") or []:
        for key in _answer_keys(question):
            kinds[key] = "single" if question["type"] in GRID_TYPES else question["type"]
    return kinds


def criterion_codes(definition: dict[str, Any]) -> list[str]:
    """Criterion codes in questionnaire order."""
    return [c["code"] for e in definition["elements"] for c in e["criteria"]]


def element_tree(definition: dict[str, Any]) -> dict[str, list[str]]:
    """The aggregation tree {element code: [criterion codes]} used by ``analysis``."""
    return {e["code"]: [c["code"] for c in e["criteria"]] for e in definition["elements"]}


def _question_page(
    index: int,
    kind: str,
    code: str,
    title: dict[str, str],
    questions: list[dict[str, Any]],
    show_if: Any,
) -> AnswerPage:
    return AnswerPage(
        index,
        kind,
        code,
        title,
        tuple(key for q in questions for key in _answer_keys(q)),
        tuple(q["code"] for q in questions),
        show_if,
    )


def answer_pages(definition: dict[str, Any]) -> list[AnswerPage]:
    """Blocks placed before the elements, one page per element, blocks placed after, then the
    questions that belong to no block (one page) when there are any."""
    questions = definition.get("questions") or []
    blocks = definition.get("blocks") or []
    pages: list[AnswerPage] = []

    def add_blocks(position: str) -> None:
        for block in blocks:
            if block.get("position", "before") == position:
                members = [q for q in questions if q.get("block") == block["code"]]
                pages.append(
                    _question_page(
                        len(pages),
                        "block",
                        block["code"],
                        block["title"],
                        members,
                        block.get("show_if"),
                    )
                )

    add_blocks("before")
    for element in definition["elements"]:
        codes = tuple(c["code"] for c in element["criteria"])
        pages.append(
            AnswerPage(
                len(pages),
                "element",
                element["code"],
                element["title"],
                codes,
                codes,
                element.get("show_if"),
            )
        )
    add_blocks("after")
    loose = [q for q in questions if not q.get("block")]
    if loose:
        title = {"vi": "Câu hỏi thêm", "en": "A few more questions"}
        pages.append(_question_page(len(pages), "questions", "questions", title, loose, None))
    return pages


def display_numbers(definition: dict[str, Any]) -> dict[str, int]:
    """1, 2, 3 ... for every criterion and question in the order the pages ask them.

    The national form's own numbers (the service block is its items 15-33) stay in the
    definition for cross-reference; respondents see the numbering of the form they hold, fixed
    for everyone (a question skipped by a condition keeps its number, as on the printed form).
    """
    numbers: dict[str, int] = {}
    for page in answer_pages(definition):
        for code in page.display_codes or page.item_codes:
            numbers.setdefault(code, len(numbers) + 1)
    return numbers


def condition_met(show_if: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a ``show_if`` holds for ``answers`` (no condition: always)."""
    if not show_if:
        return True
    value = answers.get(show_if["item"])
    chosen = value if isinstance(value, list) else [value]
    return any(str(v) in show_if["in"] for v in chosen if v is not None)


def shown_codes(definition: dict[str, Any], answers: Mapping[str, Any]) -> set[str]:
    """The answer keys asked of a respondent with ``answers`` (pages and questions shown)."""
    questions = {q["code"]: q for q in definition.get("questions") or []}
    shown: set[str] = set()
    for page in answer_pages(definition):
        if not condition_met(page.show_if, answers):
            continue
        for code in page.display_codes:
            question = questions.get(code)
            if question is None:
                shown.add(code)
            elif condition_met(question.get("show_if"), answers):
                shown.update(_answer_keys(question))
    return shown


def page_shown(definition: dict[str, Any], page: AnswerPage, answers: Mapping[str, Any]) -> bool:
    """Whether any item of ``page`` is asked of a respondent with ``answers``."""
    return bool(set(page.item_codes) & shown_codes(definition, answers))


def drop_hidden(definition: dict[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` without those to items the respondent is not asked (their conditions fail).

    Repeated until stable, so an answer that hides a block also frees what that block gated."""
    kept = dict(answers)
    known = set(item_kinds(definition))
    while True:
        shown = shown_codes(definition, kept)
        trimmed = {k: v for k, v in kept.items() if k in shown or k not in known}
        if trimmed == kept:
            return kept
        kept = trimmed


def validate_answers(
    definition: dict[str, Any],
    answers: dict[str, Any],
    page: AnswerPage | None = None,
    *,
    earlier: Mapping[str, Any] | None = None,
) -> list[Problem]:
    """Problems with ``answers`` (all of them, or one page's); criteria are required, 0 = N/A.

    Items whose display condition fails (judged on ``earlier`` answers and ``answers``) are not
    required; whatever is given for them is still checked against the answers offered."""
    scale = definition.get("scale", {"min": 1, "max": 5})
    questions = {q["code"]: q for q in definition.get("questions") or []}
    row_question = {
        key: q for q in questions.values() if q["type"] in GRID_TYPES for key in _answer_keys(q)
    }
    kinds = item_kinds(definition)
    wanted = page.item_codes if page else tuple(kinds)
    shown = shown_codes(definition, {**(earlier or {}), **answers})
    problems: list[Problem] = []
    for code in wanted:
        value = answers.get(code)
        hidden = code not in shown
        empty = value is None or value == "" or value == []
        if hidden and empty:
            continue
        if code in row_question:
            question = row_question[code]
            if empty:
                if question.get("required", True) and not hidden:
                    problems.append(Problem((code,), "answer this row"))
            elif value not in {o["code"] for o in grid_options(question)}:
                problems.append(Problem((code,), "choose one of the answers shown"))
            continue
        if code in questions:
            problems.extend(_question_problems(questions[code], value, required=not hidden))
            continue
        if value is None or empty:
            problems.append(Problem((code,), "choose an answer, or 'not applicable'"))
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            problems.append(Problem((code,), "choose one of the answers shown"))
            continue
        if number != NOT_APPLICABLE and not scale["min"] <= number <= scale["max"]:
            problems.append(Problem((code,), "choose one of the answers shown"))
    return problems


def _question_problems(question: dict[str, Any], value: Any, *, required: bool) -> list[Problem]:
    code = question["code"]
    empty = value is None or value == "" or value == []
    if empty:
        if required and question.get("required"):
            return [Problem((code,), "answer this question")]
        return []
    options = {o["code"] for o in question.get("options") or []}
    if question["type"] in ("single", "band") and value not in options:
        return [Problem((code,), "choose one of the answers shown")]
    if question["type"] == "multiple":
        values = value if isinstance(value, list) else [value]
        if any(v not in options for v in values):
            return [Problem((code,), "choose among the answers shown")]
    limit = int(question.get("max_length", DEFAULT_TEXT_LENGTH))
    if question["type"] == "text" and len(str(value)) > limit:
        return [Problem((code,), f"keep it under {limit} characters")]
    return []


@dataclass(frozen=True)
class VersionMapping:
    """How a later version's answer keys and option codes read in an earlier version.

    ``keys`` maps a new answer key to the old one (same code, or its ``maps_from``);
    ``options`` maps, per new key, a new option code to the old one. Keys without a
    counterpart are in ``new_only`` and are not comparable across the two versions."""

    keys: dict[str, str]
    options: dict[str, dict[str, str]]
    new_only: tuple[str, ...]


def _answer_entries(definition: dict[str, Any]) -> dict[str, tuple[dict[str, Any], list[Any]]]:
    """Answer key -> (its criterion, question or grid row; its options, if any)."""
    entries: dict[str, tuple[dict[str, Any], list[Any]]] = {
        c["code"]: (c, []) for e in definition["elements"] for c in e["criteria"]
    }
    for question in definition.get("questions") or []:
        if question["type"] in GRID_TYPES:
            for row in question["rows"]:
                entries[row["code"]] = (row, grid_options(question))
        else:
            entries[question["code"]] = (question, list(question.get("options") or []))
    return entries


def compare_versions(earlier: dict[str, Any], later: dict[str, Any]) -> VersionMapping:
    """Match ``later``'s items, grid rows and options to ``earlier``'s by code or ``maps_from``."""
    old = _answer_entries(earlier)
    keys: dict[str, str] = {}
    options: dict[str, dict[str, str]] = {}
    new_only: list[str] = []
    for key, (entry, new_options) in _answer_entries(later).items():
        source = entry.get("maps_from") or key
        if source not in old:
            new_only.append(key)
            continue
        keys[key] = source
        old_codes = {o["code"] for o in old[source][1]}
        options[key] = {
            o["code"]: o.get("maps_from") or o["code"]
            for o in new_options
            if (o.get("maps_from") or o["code"]) in old_codes
        }
    return VersionMapping(keys, options, tuple(new_only))


def map_answers(mapping: VersionMapping, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers given to the earlier version, re-keyed with the later version's codes; options
    that have no counterpart are left out (they are not comparable)."""
    mapped: dict[str, Any] = {}
    for key, source in mapping.keys.items():
        if source not in answers:
            continue
        value = answers[source]
        back = {old: new for new, old in mapping.options.get(key, {}).items()}
        if not back:
            mapped[key] = value
        elif isinstance(value, list):
            mapped[key] = [back[v] for v in value if v in back]
        elif value in back:
            mapped[key] = back[value]
    return mapped


def create_draft(*, session: Session, definition: dict[str, Any]) -> Questionnaire:
    """Store a new draft version; its (code, version) must not exist yet."""
    problems = validate_definition(definition)
    if problems:
        raise InvalidInput("the questionnaire definition is not valid", problems)
    code, version = definition["code"], definition["version"]
    existing = session.exec(
        select(Questionnaire).where(Questionnaire.code == code, Questionnaire.version == version)
    ).first()
    if existing is not None:
        raise Conflict(f"{code} version {version} exists already: use a new version number")
    row = Questionnaire(
        code=code,
        version=version,
        title_vi=definition["title"]["vi"],
        title_en=definition["title"].get("en", ""),
        definition=copy.deepcopy(definition),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def update_draft(
    *, session: Session, questionnaire_id: int, definition: dict[str, Any]
) -> Questionnaire:
    """Replace a draft's definition; a published version is immutable."""
    row = get_questionnaire(session=session, questionnaire_id=questionnaire_id)
    if row.status == "published":
        raise Conflict(
            f"{row.code} version {row.version} is published and cannot change: "
            "create a new version for new wording"
        )
    problems = validate_definition(definition)
    if problems:
        raise InvalidInput("the questionnaire definition is not valid", problems)
    if (definition["code"], definition["version"]) != (row.code, row.version):
        raise InvalidInput(
            "code and version cannot change in a draft",
            [Problem(("code",), f"keep code {row.code!r} and version {row.version}")],
        )
    row.definition = copy.deepcopy(definition)
    row.title_vi = definition["title"]["vi"]
    row.title_en = definition["title"].get("en", "")
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def publish_questionnaire(
    *,
    session: Session,
    questionnaire_id: int,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> Questionnaire:
    """Freeze a draft (recorded in the audit log); publishing twice is a no-op."""
    row = get_questionnaire(session=session, questionnaire_id=questionnaire_id)
    if row.status != "published":
        row.status = "published"
        row.published_at = utcnow()
        session.add(row)
        record_event(
            session=session,
            action="questionnaire.published",
            actor=actor,
            actor_name="" if actor is not None else SYSTEM_ACTOR,
            target=f"questionnaire:{questionnaire_id}",
            details={"code": row.code, "version": row.version},
            address=address,
        )
        session.commit()
        session.refresh(row)
    return row


def get_questionnaire(*, session: Session, questionnaire_id: int) -> Questionnaire:
    row = session.get(Questionnaire, questionnaire_id)
    if row is None:
        raise NotFound(f"no questionnaire with id {questionnaire_id}")
    return row


def list_questionnaires(*, session: Session, status: str | None = None) -> list[Questionnaire]:
    """Every version (or only those with ``status``), by code and version."""
    statement = select(Questionnaire).order_by(col(Questionnaire.code), col(Questionnaire.version))
    if status is not None:
        statement = statement.where(col(Questionnaire.status) == status)
    return list(session.exec(statement).all())


def ensure_builtin_questionnaires(
    *, session: Session, filename: str = BUILTIN_FILES[0]
) -> Questionnaire:
    """Install (once) and return a published built-in questionnaire (the service form unless
    ``filename`` names another of :data:`BUILTIN_FILES`)."""
    definition = builtin_definition(filename)
    row = session.exec(
        select(Questionnaire).where(
            Questionnaire.code == definition["code"],
            Questionnaire.version == definition["version"],
        )
    ).first()
    if row is None:
        row = create_draft(session=session, definition=definition)
    assert row.id is not None
    return publish_questionnaire(session=session, questionnaire_id=row.id)


def export_questionnaire(row: Questionnaire) -> str:
    """The definition as pretty JSON (UTF-8 text, Vietnamese unescaped)."""
    return json.dumps(row.definition, ensure_ascii=False, indent=2)


def import_questionnaire(*, session: Session, text: str) -> Questionnaire:
    """Create a draft from exported JSON text."""
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            "the file is not JSON",
            [Problem(("line", error.lineno), f"{error.msg}: fix the JSON at column {error.colno}")],
        ) from error
    return create_draft(session=session, definition=definition)
