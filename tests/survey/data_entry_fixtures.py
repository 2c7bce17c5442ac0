"""Paper forms to key: a campaign on the every-type questionnaire, form numbers, and what a
clerk types for a set of answers. Shared by the data-entry use case and page tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from survey.data_entry import NO_ANSWER, keying_fields
from survey.models import Campaign, Questionnaire, utcnow
from survey.paper_forms import issue_form_numbers
from tests.survey.national_form_fixture import typed_answers, typed_definition
from tests.survey.responses_fixtures import build_fieldwork


@dataclass(frozen=True)
class PaperFieldwork:
    campaign_id: int
    definition: dict[str, Any]
    invitation_ids: list[int]
    tokens: list[str]
    numbers: list[str]  # form numbers, in invitation order


def build_paper_fieldwork(session: Session, secret_key: str, n: int = 10) -> PaperFieldwork:
    """``n`` invitations of an active campaign asking every question type, with form numbers.

    Invitations alternate between agencies 79-BN and 79-Q1 (responses_fixtures)."""
    work = build_fieldwork(session, secret_key, n)
    definition = typed_definition()
    questionnaire = Questionnaire(
        code=definition["code"],
        version=1,
        status="published",
        title_vi="Phiếu mọi loại câu hỏi",
        definition=definition,
        published_at=utcnow(),
    )
    session.add(questionnaire)
    session.flush()
    campaign = session.get(Campaign, work.campaign_id)
    assert campaign is not None and questionnaire.id is not None
    campaign.questionnaire_id = questionnaire.id
    session.add(campaign)
    session.commit()
    numbers = issue_form_numbers(session=session, invitation_ids=work.invitation_ids)
    return PaperFieldwork(
        campaign_id=work.campaign_id,
        definition=definition,
        invitation_ids=work.invitation_ids,
        tokens=work.tokens,
        numbers=[numbers[i] for i in work.invitation_ids],
    )


def keyed_form(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, str]:
    """What a clerk types for ``answers``: the printed number of each ticked answer, ``9`` for
    a blank one (free text as written, empty when blank)."""
    form: dict[str, str] = {}
    for field in keying_fields(definition):
        value = answers.get(field.code)
        if field.kind == "text":
            form[field.code] = "" if value is None else str(value)
        elif value is None:
            form[field.code] = NO_ANSWER
        elif field.kind == "scale":
            form[field.code] = str(value)
        else:
            by_code = {o.code: o.key for o in field.options}
            values = value if isinstance(value, list) else [value]
            form[field.code] = "".join(by_code[str(v)] for v in values)
    return form


def paper_answers(i: int) -> dict[str, Any]:
    """Complete answers of the ``i``-th form, varied so forms differ from one another."""
    answers = typed_answers()
    for k, code in enumerate(c for c in list(answers) if c.startswith(("access_", "proced"))):
        answers[code] = 1 + (i + k) % 5
    answers["comments"] = f"Phiếu số {i}: cán bộ nhiệt tình."
    return answers
