"""Questionnaires: list, read, import/export JSON, drafts and publishing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel

from api.deps import AddressDep, SessionDep
from api.params import QuestionnaireId
from api.policy import AsNationalCoordinator, AsStaff
from survey.models import Questionnaire
from survey.questionnaires import (
    create_draft,
    ensure_builtin_questionnaires,
    export_questionnaire,
    get_questionnaire,
    list_questionnaires,
    publish_questionnaire,
    update_draft,
)

router = APIRouter(prefix="/api/questionnaires", tags=["questionnaires"])


class QuestionnaireSummary(BaseModel):
    id: int
    code: str
    version: int
    status: str
    title_vi: str
    title_en: str


class QuestionnaireDetail(QuestionnaireSummary):
    definition: dict[str, Any]


def _summary(row: Questionnaire) -> QuestionnaireSummary:
    assert row.id is not None
    return QuestionnaireSummary(
        id=row.id,
        code=row.code,
        version=row.version,
        status=row.status,
        title_vi=row.title_vi,
        title_en=row.title_en,
    )


def _detail(row: Questionnaire) -> QuestionnaireDetail:
    return QuestionnaireDetail(**_summary(row).model_dump(), definition=row.definition)


@router.get("")
def list_all(session: SessionDep, _caller: AsStaff) -> list[QuestionnaireSummary]:
    """Every version, the built-in SIPAS form included (installed on first use)."""
    ensure_builtin_questionnaires(session=session)
    return [_summary(row) for row in list_questionnaires(session=session)]


@router.get("/{questionnaire_id}")
def read(
    questionnaire_id: QuestionnaireId, session: SessionDep, _caller: AsStaff
) -> QuestionnaireDetail:
    return _detail(get_questionnaire(session=session, questionnaire_id=questionnaire_id))


@router.get("/{questionnaire_id}/export")
def export(questionnaire_id: QuestionnaireId, session: SessionDep, _caller: AsStaff) -> Response:
    """The definition as a JSON file to edit and import as a new version."""
    row = get_questionnaire(session=session, questionnaire_id=questionnaire_id)
    filename = f"{row.code}-v{row.version}.json"
    return Response(
        export_questionnaire(row),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("", status_code=201)
def create(
    session: SessionDep, _caller: AsNationalCoordinator, definition: dict[str, Any] = Body(...)
) -> QuestionnaireDetail:
    """Create a draft version from a definition document (the export format)."""
    return _detail(create_draft(session=session, definition=definition))


@router.put("/{questionnaire_id}")
def update(
    questionnaire_id: QuestionnaireId,
    session: SessionDep,
    _caller: AsNationalCoordinator,
    definition: dict[str, Any] = Body(...),
) -> QuestionnaireDetail:
    """Change a draft; a published version answers 409 (make a new version instead)."""
    row = update_draft(session=session, questionnaire_id=questionnaire_id, definition=definition)
    return _detail(row)


@router.post("/{questionnaire_id}/publish")
def publish(
    questionnaire_id: QuestionnaireId,
    session: SessionDep,
    caller: AsNationalCoordinator,
    address: AddressDep,
) -> QuestionnaireDetail:
    row = publish_questionnaire(
        session=session, questionnaire_id=questionnaire_id, actor=caller.user, address=address
    )
    return _detail(row)
