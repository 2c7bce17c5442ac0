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
    compare_versions,
    create_draft,
    criterion_codes,
    drop_hidden,
    element_tree,
    ensure_builtin_questionnaires,
    export_questionnaire,
    import_questionnaire,
    item_kinds,
    map_answers,
    page_shown,
    publish_questionnaire,
    shown_codes,
    update_draft,
    validate_answers,
    validate_definition,
)
from tests.survey.national_form_fixture import typed_answers, typed_definition

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


# --- question types, stable codes and display conditions -------------------------------------


def test_every_question_type_validates_and_pages_follow_blocks() -> None:
    definition = typed_definition()
    assert validate_definition(definition) == []
    pages = answer_pages(definition)
    assert [p.code for p in pages] == [
        "profile",
        "experience",
        "school",
        "access",
        "procedures",
        "civil_servants",
        "results",
        "feedback",
        "expectations",
        "questions",
    ]
    # A grid is one question shown, its rows answered under their own stable codes.
    assert pages[1].display_codes == ("q8",)
    assert pages[1].item_codes == ("q8_school", "q8_procedure")
    assert item_kinds(definition)["q10_competence"] == "single"
    assert validate_answers(definition, typed_answers()) == []


def test_definition_problems_name_the_item_option_and_fix() -> None:
    definition = typed_definition()
    definition["questions"][1]["options"][1]["min"] = 20  # overlaps 18-24
    definition["questions"][0]["options"][1]["code"] = "male"  # duplicate option code
    definition["questions"][2]["rows"][1]["code"] = "sex"  # row code clashes with a question
    definition["questions"][4]["options"] = [{"code": "a", "text": {"vi": "A"}}] * 2
    definition["questions"][6]["max_length"] = 10**6
    definition["questions"][5]["type"] = "slider"
    problems = {p.loc: p.msg for p in validate_definition(definition)}
    assert "start above 24" in problems[("questions", 1, "options", 1, "min")]
    assert "used twice" in problems[("questions", 0, "options", 1, "code")]
    assert "'sex' is used twice" in problems[("questions", 2, "rows", 1, "code")]
    assert "exactly 3" in problems[("questions", 4, "options")]
    assert "1 to 2000" in problems[("questions", 6, "max_length")]
    assert "yesno_grid" in problems[("questions", 5, "type")]


def test_conditions_must_use_an_earlier_page_and_real_options() -> None:
    definition = typed_definition()
    definition["questions"][3]["show_if"] = {"item": "q8_school", "in": ["maybe"]}
    definition["questions"][2]["show_if"] = {"item": "q8_school", "in": ["yes"]}
    definition["blocks"][0]["show_if"] = {"item": "q8_procedure", "in": ["yes"]}
    definition["elements"][0]["show_if"] = {"item": "nothing", "in": ["yes"]}
    problems = {p.loc: p.msg for p in validate_definition(definition)}
    assert "yes" in problems[("questions", 3, "show_if", "in")]
    assert "earlier pages" in problems[("questions", 2, "show_if", "item")]
    assert "earlier pages" in problems[("blocks", 0, "show_if", "item")]
    assert "earlier choice question" in problems[("elements", 0, "show_if", "item")]


def test_hidden_questions_are_not_required_and_are_dropped() -> None:
    definition = typed_definition()
    without = typed_answers(procedure=False)
    # No procedure: the 19 service criteria are not asked, so nothing is missing.
    assert validate_answers(definition, without) == []
    shown = shown_codes(definition, without)
    assert "access_q15" not in shown and "school_level" not in shown
    pages = answer_pages(definition)
    assert not page_shown(definition, pages[2], without)
    assert not page_shown(definition, pages[3], without)
    # Answers given before the citizen changed Q8 to "no" are dropped, unknown keys kept.
    stale = {**typed_answers(), "q8_procedure": "no", "school_level": "primary"}
    kept = drop_hidden(definition, stale)
    assert "access_q15" not in kept and "school_level" not in kept
    assert kept["q10_competence"] == "little"
    # With the experience, the service block and the school question are required again.
    needed = {**without, "q8_procedure": "yes", "q8_school": "yes"}
    missing = {p.loc[0] for p in validate_answers(definition, needed)}
    assert "access_q15" in missing
    assert validate_answers(definition, {}, pages[2], earlier=needed)
    # A page's check follows earlier answers: a hidden page needs nothing.
    assert validate_answers(definition, {}, pages[3], earlier=without) == []
    assert validate_answers(definition, {}, pages[3], earlier=needed)


def test_answers_to_new_types_are_checked_against_their_options() -> None:
    definition = typed_definition()
    bad = {**typed_answers(), "age_band": "a99", "q8_school": "perhaps", "comments": "x" * 201}
    bad["q10_information"] = ""
    locs = {p.loc[0]: p.msg for p in validate_answers(definition, bad)}
    assert set(locs) == {"age_band", "q8_school", "comments", "q10_information"}
    assert "200" in locs["comments"]


def test_versions_are_compared_through_codes_and_maps_from() -> None:
    earlier = typed_definition()
    later = copy.deepcopy(earlier)
    later["version"] = 2
    # Q8's procedure row and the "45+" band are renamed; a new row has no counterpart.
    q8 = later["questions"][2]
    q8["rows"][1] = {**q8["rows"][1], "code": "q8_tthc", "maps_from": "q8_procedure"}
    q8["rows"].append({"code": "q8_health", "text": {"vi": "Khám chữa bệnh", "en": "Health"}})
    band = later["questions"][1]["options"][2]
    band.update({"code": "a35_60", "maps_from": "a35_plus", "max": 60})
    later["questions"][1]["options"].append({"code": "a61", "min": 61, "text": {"vi": "Trên 60"}})
    for element in later["elements"]:
        element["show_if"] = {"item": "q8_tthc", "in": ["yes"]}
    assert validate_definition(later) == []
    mapping = compare_versions(earlier, later)
    assert mapping.keys["q8_tthc"] == "q8_procedure" and mapping.keys["access_q15"] == "access_q15"
    assert mapping.new_only == ("q8_health",)
    assert mapping.options["age_band"] == {
        "a18_24": "a18_24",
        "a25_34": "a25_34",
        "a35_60": "a35_plus",
    }
    old_answers = {**typed_answers(), "age_band": "a35_plus"}
    mapped = map_answers(mapping, old_answers)
    assert mapped["q8_tthc"] == "yes" and mapped["age_band"] == "a35_60"
    assert mapped["channels"] == ["loudspeaker", "internet"] and "q8_health" not in mapped
    assert validate_answers(later, {**mapped, "q8_health": "no"}) == []
    later["questions"][1]["options"][0]["maps_from"] = "18-24"
    locs = {p.loc for p in validate_definition(later)}
    assert ("questions", 1, "options", 0, "maps_from") in locs


def test_the_profile_variant_is_the_service_form_after_a_working_wording_profile(
    session: Session,
) -> None:
    service = builtin_definition()
    variant = builtin_definition("sipas-service-profile-v1.json")
    assert validate_definition(variant) == []
    assert variant["elements"] == service["elements"]
    assert variant["blocks"][0]["working_wording"] is True
    assert "tạm thời" in variant["notes"]["vi"]
    pages = answer_pages(variant)
    assert pages[0].code == "profile" and [p.code for p in pages[1:6]] == list(
        element_tree(service)
    )
    profile = {q["code"]: q for q in variant["questions"] if q.get("block") == "profile"}
    assert list(profile) == [
        "sex",
        "age_band",
        "ethnicity",
        "education",
        "occupation",
        "urban_rural",
        "terrain",
    ]
    # Age bands as DOMAIN.md lists them; no name is asked and every profile item is optional.
    domain = DOMAIN_MD.read_text(encoding="utf-8")
    assert "age\n  band (18–25, 25–34, 35–49, 50–60, over 60)" in domain
    labels = [o["text"]["vi"] for o in profile["age_band"]["options"]]
    assert labels == ["18–25", "25–34", "35–49", "50–60", "Trên 60"]
    assert not any(q.get("required") for q in profile.values())
    row = ensure_builtin_questionnaires(session=session, filename="sipas-service-profile-v1.json")
    assert (row.code, row.status) == ("sipas-service-profile", "published")
    assert ensure_builtin_questionnaires(session=session).code == "sipas-service"
