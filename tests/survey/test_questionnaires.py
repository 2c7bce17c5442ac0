"""Questionnaires: the built-in SIPAS form, validation, versioning and JSON import/export."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from sqlmodel import Session

from survey.errors import Conflict, InvalidInput
from survey.questionnaires import (
    answer_pages,
    builtin_definition,
    create_draft,
    criterion_codes,
    element_tree,
    ensure_builtin_questionnaires,
    export_questionnaire,
    import_questionnaire,
    publish_questionnaire,
    update_draft,
    validate_answers,
    validate_definition,
)

DOMAIN_MD = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"


def test_builtin_matches_the_national_form_in_domain_md() -> None:
    """Numbers and Vietnamese wording come from shared/DOMAIN.md, an independent source."""
    domain = DOMAIN_MD.read_text(encoding="utf-8")
    form = dict(re.findall(r"^- (\d+)\. (.+?) — ", domain, flags=re.MULTILINE))
    definition = builtin_definition()
    assert validate_definition(definition) == []
    criteria = [c for e in definition["elements"] for c in e["criteria"]]
    assert [c["number"] for c in criteria] == list(range(15, 34))
    for criterion in criteria:
        assert criterion["text"]["vi"] == form[str(criterion["number"])]
        assert criterion["text"]["en"]
    assert list(element_tree(definition)) == [
        "access",
        "procedures",
        "civil_servants",
        "results",
        "feedback",
    ]
    labels = definition["scale"]["labels"]
    assert labels["1"]["vi"] == "Rất không hài lòng" and labels["5"]["vi"] == "Rất hài lòng"


def test_validation_names_every_problem_by_path() -> None:
    definition = builtin_definition()
    broken = copy.deepcopy(definition)
    broken["elements"][1]["criteria"][0]["code"] = "access_q15"  # duplicate code
    broken["elements"][2]["title"] = {"en": "no Vietnamese"}
    broken["questions"][0]["type"] = "slider"
    locs = {p.loc for p in validate_definition(broken)}
    assert ("elements", 1, "criteria", 0, "code") in locs
    assert ("elements", 2, "title") in locs
    assert ("questions", 0, "type") in locs


def test_answer_pages_and_answer_validation() -> None:
    definition = builtin_definition()
    pages = answer_pages(definition)
    assert [p.kind for p in pages] == ["element"] * 5 + ["questions"]
    first = pages[0]
    answers = {"access_q15": "5", "access_q16": 0, "access_q17": 9}
    locs = [p.loc for p in validate_answers(definition, answers, first)]
    assert locs == [("access_q17",), ("access_q18",)]
    full = {code: 4 for code in criterion_codes(definition)}
    full.update({"harassment": "none", "preferred_channel": ["online", "direct"]})
    assert validate_answers(definition, full) == []
    assert validate_answers(definition, {**full, "harassment": "maybe"})[0].loc == ("harassment",)


def test_published_version_is_immutable_and_new_wording_is_a_new_version(
    session: Session,
) -> None:
    published = ensure_builtin_questionnaires(session=session)
    assert published.status == "published"
    assert ensure_builtin_questionnaires(session=session).id == published.id
    reworded = copy.deepcopy(published.definition)
    reworded["elements"][0]["criteria"][0]["text"]["vi"] = "Thông tin dễ tìm, dễ hiểu."
    assert published.id is not None
    with pytest.raises(Conflict, match="new version"):
        update_draft(session=session, questionnaire_id=published.id, definition=reworded)
    with pytest.raises(Conflict, match="exists already"):
        create_draft(session=session, definition=reworded)
    reworded["version"] = 2
    reworded["elements"][0]["criteria"][0]["code"] = "access_info"
    reworded["elements"][0]["criteria"][0]["maps_from"] = "access_q15"
    draft = create_draft(session=session, definition=reworded)
    assert draft.status == "draft" and draft.id is not None
    publish_questionnaire(session=session, questionnaire_id=draft.id)
    session.refresh(published)
    assert published.definition["elements"][0]["criteria"][0]["code"] == "access_q15"


def test_json_round_trip_and_bad_json(session: Session) -> None:
    published = ensure_builtin_questionnaires(session=session)
    text = export_questionnaire(published).replace('"version": 1', '"version": 3', 1)
    assert "Rất hài lòng" in text
    copy_row = import_questionnaire(session=session, text=text)
    assert (
        copy_row.version == 3
        and copy_row.definition["elements"] == published.definition["elements"]
    )
    with pytest.raises(InvalidInput) as caught:
        import_questionnaire(session=session, text='{"code": "x",')
    assert caught.value.problems[0].loc[0] == "line"
