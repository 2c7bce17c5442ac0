"""The responses export lays out every question type: codes, 0/1 columns, neutralised text."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, col, select

from survey.fieldwork_exports import response_export, to_csv
from survey.models import Campaign, Response
from survey.questionnaires import create_draft, publish_questionnaire
from survey.settings import Settings
from tests.survey.national_form_fixture import typed_answers, typed_definition
from tests.survey.release_fixtures import build_release_campaign


def test_new_types_get_their_columns_and_the_disclosure_rule_still_applies(
    session: Session, settings: Settings
) -> None:
    rc = build_release_campaign(session)
    row = create_draft(session=session, definition=typed_definition())
    assert row.id is not None
    publish_questionnaire(session=session, questionnaire_id=row.id)
    campaign = session.get(Campaign, rc.campaign_id)
    assert campaign is not None
    campaign.questionnaire_id = row.id
    responses = list(
        session.exec(select(Response).where(col(Response.status) == "completed")).all()
    )
    for i, response in enumerate(responses):
        answers = typed_answers(procedure=i % 2 == 0)
        if i % 3 == 0:
            answers["channels"] = ["internet"]
            del answers["q10_competence"]
        response.answers = answers
    session.add_all([campaign, *responses])
    session.commit()

    export = response_export(session=session, settings=settings, campaign_id=rc.campaign_id)
    header = export.header
    for name in ("sex", "age_band", "q8_school", "q8_procedure", "q10_information"):
        assert name in header
    assert "channels" not in header and "q8" not in header and "q10" not in header
    assert header.index("channels__loudspeaker") + 1 == header.index("channels__internet")
    rows = list(csv.DictReader(io.StringIO(to_csv(header, export.rows).lstrip("\ufeff"))))
    assert rows and len(rows) + export.suppressed == export.respondents
    assert {r["age_band"] for r in rows} == {"a25_34"}  # option code, not the label
    assert {r["q8_school"] for r in rows} == {"0"}  # yes/no grid row: 0/1
    assert {r["q8_procedure"] for r in rows} == {"0", "1"}
    assert {r["q10_information"] for r in rows} == {"very_much"}
    assert {r["q10_competence"] for r in rows} == {"little", ""}  # blank = not answered
    assert {(r["channels__loudspeaker"], r["channels__internet"]) for r in rows} == {
        ("1", "1"),
        ("0", "1"),
    }
    # Free text still cannot run as a formula; the service block is blank when not asked.
    assert {r["comments"] for r in rows} == {"'" + typed_answers()["comments"]}
    assert {r["access_q15"] for r in rows if r["q8_procedure"] == "0"} == {""}
    assert {r["access_q15"] for r in rows if r["q8_procedure"] == "1"} == {"4"}
