"""Versioned questionnaires: validation, the built-in SIPAS form, drafts, publishing, JSON I/O.

A questionnaire version is a ``definition`` document (see ``questionnaire_data/*.json``): texts in
Vietnamese and English, a 1-5 scale with an explicit "not applicable" answer (stored as 0), elements
with criteria whose codes are stable across versions, and optional single/multiple/text questions.
A draft may change; a published version never does (new wording = new version). A criterion may
name ``maps_from`` (a code of an earlier version) so results stay comparable across versions.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlmodel import Session, col, select

from survey.audit import SYSTEM_ACTOR, record_event
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.models import Questionnaire, StaffUser, utcnow

NOT_APPLICABLE = 0
BUILTIN_FILES = ("sipas-service-v1.json",)
QUESTION_TYPES = ("single", "multiple", "text")
LANGUAGES = ("vi", "en")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_QUESTIONNAIRE_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class AnswerPage:
    """One page of the answer flow: an element's criteria, or the extra questions."""

    index: int
    kind: str  # "element" | "questions"
    code: str
    title: dict[str, str]
    item_codes: tuple[str, ...]


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
    for k, question in enumerate(definition.get("questions") or []):
        loc = ("questions", k)
        if not isinstance(question, dict):
            problems.append(Problem(loc, "a question is an object"))
            continue
        claim(question.get("code"), (*loc, "code"))
        _check_text(question.get("text"), (*loc, "text"), problems)
        if question.get("type") not in QUESTION_TYPES:
            problems.append(Problem((*loc, "type"), "type is single, multiple or text"))
        if question.get("type") in ("single", "multiple"):
            options = question.get("options")
            if not isinstance(options, list) or len(options) < 2:
                problems.append(Problem((*loc, "options"), "give at least two options"))
            else:
                codes = [o.get("code") for o in options if isinstance(o, dict)]
                if len(set(codes)) != len(options):
                    problems.append(Problem((*loc, "options"), "option codes must be unique"))
    return problems


def criterion_codes(definition: dict[str, Any]) -> list[str]:
    """Criterion codes in questionnaire order."""
    return [c["code"] for e in definition["elements"] for c in e["criteria"]]


def element_tree(definition: dict[str, Any]) -> dict[str, list[str]]:
    """The aggregation tree {element code: [criterion codes]} used by ``analysis``."""
    return {e["code"]: [c["code"] for c in e["criteria"]] for e in definition["elements"]}


def answer_pages(definition: dict[str, Any]) -> list[AnswerPage]:
    """One page per element, then one page for the extra questions when there are any."""
    pages = [
        AnswerPage(i, "element", e["code"], e["title"], tuple(c["code"] for c in e["criteria"]))
        for i, e in enumerate(definition["elements"])
    ]
    questions = definition.get("questions") or []
    if questions:
        title = {"vi": "Câu hỏi thêm", "en": "A few more questions"}
        pages.append(
            AnswerPage(
                len(pages), "questions", "questions", title, tuple(q["code"] for q in questions)
            )
        )
    return pages


def validate_answers(
    definition: dict[str, Any], answers: dict[str, Any], page: AnswerPage | None = None
) -> list[Problem]:
    """Problems with ``answers`` (all of them, or one page's); criteria are required, 0 = N/A."""
    scale = definition.get("scale", {"min": 1, "max": 5})
    questions = {q["code"]: q for q in definition.get("questions") or []}
    wanted = page.item_codes if page else (*criterion_codes(definition), *questions)
    problems: list[Problem] = []
    for code in wanted:
        value = answers.get(code)
        if code in questions:
            question = questions[code]
            problems.extend(_question_problems(question, value))
            continue
        if value is None or value == "":
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


def _question_problems(question: dict[str, Any], value: Any) -> list[Problem]:
    code = question["code"]
    empty = value is None or value == "" or value == []
    if empty:
        return [Problem((code,), "answer this question")] if question.get("required") else []
    options = {o["code"] for o in question.get("options") or []}
    if question["type"] == "single" and value not in options:
        return [Problem((code,), "choose one of the answers shown")]
    if question["type"] == "multiple":
        values = value if isinstance(value, list) else [value]
        if any(v not in options for v in values):
            return [Problem((code,), "choose among the answers shown")]
    if question["type"] == "text" and len(str(value)) > int(question.get("max_length", 500)):
        return [Problem((code,), f"keep it under {question.get('max_length', 500)} characters")]
    return []


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


def ensure_builtin_questionnaires(*, session: Session) -> Questionnaire:
    """Install (once) and return the published standard SIPAS service questionnaire."""
    definition = builtin_definition()
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
