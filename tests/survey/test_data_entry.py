"""Double data entry end to end, on SQLite and PostgreSQL: two clerks key ten paper forms with
three planted disagreements; a supervisor settles them; the responses are paper responses with
the supervisor's values, unlinked, and no keyed value remains."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from survey.data_entry import (
    KeyingInvalid,
    KeyingRefused,
    entry_progress,
    get_disagreement,
    key_form,
    keyed_answers,
    keying_fields,
    keying_target,
    list_disagreements,
    read_keying,
    resolve_disagreement,
)
from survey.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from survey.models import (
    AuditEvent,
    CollectedForm,
    Invitation,
    PaperEntry,
    PaperKeying,
    Response,
    StaffUser,
)
from survey.questionnaires import display_numbers, drop_hidden
from survey.responses import resolve_link, submit_response
from survey.settings import Settings
from survey.users import UNLIMITED, Scope
from tests.api.fast_users import make_user
from tests.survey.data_entry_fixtures import build_paper_fieldwork, keyed_form, paper_answers
from tests.survey.national_form_fixture import typed_answers, typed_definition

# Form index -> the fields the second clerk keys differently, and what the supervisor decides
# (one of the two keyed values, or a value neither clerk typed).
PLANTED: dict[int, dict[str, tuple[str, str]]] = {
    2: {"access_q16": ("2", "second")},
    5: {"sex": ("1", "first"), "channels": ("2", "second")},
    8: {"comments": ("Thủ tục nhanh gọn", "typed:Thủ tục nhanh, gọn")},
}


def _key(session: Session, number: str, clerk: StaffUser, form: dict[str, str]) -> str:
    return key_form(
        session=session, form_number=number, clerk=clerk, scope=UNLIMITED, form=form
    ).status


# ----------------------------------------------------------------------------- the keying form


def test_every_question_type_has_a_field_in_printed_order() -> None:
    definition = typed_definition()
    fields = keying_fields(definition)
    codes = [f.code for f in fields]
    assert codes[:5] == ["sex", "age_band", "q8_school", "q8_procedure", "school_level"]
    assert codes[-4:] == ["q10_information", "q10_competence", "channels", "comments"]
    kinds = {f.code: f.kind for f in fields}
    assert kinds["access_q15"] == "scale" and kinds["age_band"] == "single"
    assert kinds["q8_school"] == "single" and kinds["q10_competence"] == "single"
    assert kinds["channels"] == "multiple" and kinds["comments"] == "text"
    by_code = {f.code: f for f in fields}
    assert [o.key for o in by_code["access_q15"].options] == ["1", "2", "3", "4", "5", "0"]
    assert [(o.key, o.code) for o in by_code["q8_school"].options] == [("1", "yes"), ("2", "no")]
    # The number printed on the form (display_numbers), not the national form's own "15".
    assert by_code["access_q15"].number == str(display_numbers(definition)["access_q15"])


def test_nine_is_never_an_answer_key() -> None:
    definition = typed_definition()
    long_question = definition["questions"][0]
    long_question["options"] = [
        {"code": f"o{i}", "text": {"vi": f"Ý {i}", "en": f"Option {i}"}} for i in range(10)
    ]
    field = next(f for f in keying_fields(definition) if f.code == "sex")
    assert [o.key for o in field.options] == ["1", "2", "3", "4", "5", "6", "7", "8", "10", "11"]


def test_a_keying_reads_back_as_the_answers() -> None:
    definition = typed_definition()
    answers = typed_answers()
    keyed = read_keying(definition, keyed_form(definition, answers))
    assert keyed["channels"] == "1 2"
    assert drop_hidden(definition, keyed_answers(definition, keyed)) == answers
    # "21", "2 1" and "1,2" are the same ticks.
    for typed in ("21", "2 1", "1,2"):
        form = keyed_form(definition, answers) | {"channels": typed}
        assert read_keying(definition, form)["channels"] == "1 2"


def test_nine_is_blank_and_a_blank_criterion_is_the_missing_value() -> None:
    definition = typed_definition()
    answers = typed_answers()
    form = keyed_form(definition, answers) | {"access_q15": "9", "channels": "9", "age_band": "9"}
    definition["questions"][1]["required"] = False
    result = keyed_answers(definition, read_keying(definition, form))
    assert result["access_q15"] == 0
    assert "channels" not in result and "age_band" not in result


def test_refusals_name_the_field_and_the_fix() -> None:
    definition = typed_definition()
    form = keyed_form(definition, typed_answers()) | {
        "access_q15": "6",
        "access_q16": "",
        "q8_school": "3",
        "channels": "14",
        "sex": "9",
    }
    with pytest.raises(KeyingInvalid) as refused:
        read_keying(definition, form)
    assert refused.value.rules == {
        "access_q15": "scale",
        "access_q16": "blank",
        "q8_school": "option",
        "channels": "options",
    }
    messages = {p.loc[0]: p.msg for p in refused.value.problems}
    assert "9 if it was left blank" in messages["access_q16"]
    assert "1 to 5" in messages["access_q15"]
    # Once the rest is right, the required question keyed blank is named.
    fixed = form | {"access_q15": "4", "access_q16": "4", "q8_school": "2", "channels": "1"}
    with pytest.raises(KeyingInvalid) as refused:
        read_keying(definition, fixed)
    assert refused.value.rules == {"sex": "required"}


def test_questions_the_citizen_skipped_may_stay_empty() -> None:
    definition = typed_definition()
    answers = typed_answers(procedure=False)
    form = keyed_form(definition, answers)
    # No procedure: the service elements and the school question are not asked.
    for field in keying_fields(definition):
        if field.code.startswith(("access_", "procedures_")) or field.code == "school_level":
            form[field.code] = ""
    keyed = read_keying(definition, form)
    assert keyed["access_q15"] == ""
    assert drop_hidden(definition, keyed_answers(definition, keyed)) == answers


# ----------------------------------------------------------------------------- end to end


def _second_keying(definition: dict[str, Any], i: int) -> dict[str, str]:
    form = keyed_form(definition, paper_answers(i))
    for code, (typed, _) in PLANTED.get(i, {}).items():
        form[code] = typed
    return form


def _decision(first: str, second: str, rule: str) -> str:
    if rule == "first":
        return first
    if rule == "second":
        return second
    return rule.removeprefix("typed:")


def test_two_clerks_key_ten_forms_and_a_supervisor_settles_three(
    session: Session, settings: Settings
) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 10)
    lan, minh = make_user(session, "clerk", "lan"), make_user(session, "clerk", "minh")
    supervisor = make_user(session, "coordinator", "giam-sat")
    definition = work.definition
    for i, number in enumerate(work.numbers):
        assert _key(session, number, lan, keyed_form(definition, paper_answers(i))) == "keyed_once"
    halfway = entry_progress(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
    assert (halfway.keyed_once, halfway.keyed_twice) == (10, 0)
    outcomes = [
        _key(session, number, minh, _second_keying(definition, i))
        for i, number in enumerate(work.numbers)
    ]
    assert [i for i, o in enumerate(outcomes) if o == "disagreement"] == sorted(PLANTED)
    assert outcomes.count("completed") == 7

    rows = list_disagreements(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
    assert {r.form_number: [f.code for f in r.fields] for r in rows} == {
        work.numbers[i]: list(planted) for i, planted in PLANTED.items()
    }
    for row in rows:
        i = work.numbers.index(row.form_number)
        shown = get_disagreement(session=session, entry_id=row.entry_id, scope=UNLIMITED)
        assert (shown.first_clerk, shown.second_clerk) == ("lan", "minh")
        first = keyed_form(definition, paper_answers(i))
        values = {}
        for value in shown.values:
            typed, rule = PLANTED[i][value.field.code]
            assert (value.first, value.second) == (
                read_keying(definition, first)[value.field.code],
                typed,
            )
            values[value.field.code] = _decision(value.first, value.second, rule)
        resolve_disagreement(
            session=session,
            entry_id=row.entry_id,
            supervisor=supervisor,
            scope=UNLIMITED,
            values=values,
        )

    responses = list(session.exec(select(Response)).all())
    assert len(responses) == 10
    assert {r.mode for r in responses} == {"paper"}
    assert all(r.invitation_id is None and r.status == "completed" for r in responses)
    expected = []
    for i in range(10):
        answers = paper_answers(i)
        if i == 2:
            answers["access_q16"] = 2
        if i == 5:
            answers["channels"] = ["internet"]
        if i == 8:
            answers["comments"] = "Thủ tục nhanh, gọn"
        expected.append(answers)
    got = sorted((r.answers for r in responses), key=lambda a: a["comments"])
    assert got == sorted(expected, key=lambda a: a["comments"])

    # No keyed value remains; quality counts do.
    keyings = list(session.exec(select(PaperKeying)).all())
    assert len(keyings) == 20 and all(k.keyed is None for k in keyings)
    assert {e.status for e in session.exec(select(PaperEntry)).all()} == {"completed"}
    invitations = session.exec(select(Invitation)).all()
    assert all(inv.completed_at is not None for inv in invitations)

    progress = entry_progress(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
    assert (progress.keyed_once, progress.keyed_twice, progress.disagreement) == (0, 10, 0)
    assert (progress.resolved, progress.agreed, progress.responses) == (3, 7, 10)
    clerks = {c.username: c for c in progress.clerks}
    assert clerks["lan"].disagreement_rate == pytest.approx(0.3)
    assert clerks["minh"].disagreement_rate == pytest.approx(0.3)
    # Lan lost form 2's and form 5's "channels" and form 8's comment; Minh lost form 5's "sex"
    # and form 8's comment (the supervisor typed a value neither keyed).
    assert (clerks["lan"].errors, clerks["minh"].errors) == (3, 2)
    n_fields = len(keying_fields(definition))
    assert clerks["lan"].items == 10 * n_fields

    # The back-check hook saw every form, collected by the first clerk, on paper.
    collected = session.exec(select(CollectedForm)).all()
    assert len(collected) == 10
    assert {(c.collector_id, c.mode) for c in collected} == {(lan.id, "paper")}
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions.count("data_entry.keyed") == 20 and actions.count("data_entry.resolved") == 3


def test_the_same_clerk_cannot_key_a_form_twice(session: Session, settings: Settings) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 2)
    lan = make_user(session, "clerk", "lan")
    form = keyed_form(work.definition, paper_answers(0))
    _key(session, work.numbers[0], lan, form)
    with pytest.raises(Conflict, match="another clerk"):
        keying_target(session=session, form_number=work.numbers[0], clerk=lan, scope=UNLIMITED)
    with pytest.raises(Conflict, match="another clerk"):
        _key(session, work.numbers[0], lan, form)
    assert len(session.exec(select(PaperKeying)).all()) == 1
    assert (
        keying_target(
            session=session,
            form_number=work.numbers[0],
            clerk=make_user(session, "clerk", "b"),
            scope=UNLIMITED,
        ).round
        == 2
    )


def test_a_form_answered_online_is_refused_and_a_keyed_form_cannot_be_answered_online(
    session: Session, settings: Settings
) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 3)
    lan, minh = make_user(session, "clerk", "lan"), make_user(session, "clerk", "minh")
    online = session.get(Invitation, work.invitation_ids[0])
    assert online is not None
    assert submit_response(session=session, invitation=online, answers=typed_answers()).created
    form = keyed_form(work.definition, paper_answers(0))
    with pytest.raises(Conflict, match="already answered"):
        _key(session, work.numbers[0], lan, form)
    assert session.exec(select(PaperEntry)).all() == []

    # Keyed twice on paper: the citizen's link now says "completed", a submission is refused.
    form = keyed_form(work.definition, paper_answers(1))
    _key(session, work.numbers[1], lan, form)
    assert _key(session, work.numbers[1], minh, form) == "completed"
    link = resolve_link(session=session, secret_key=settings.secret_key, token=work.tokens[1])
    assert link.state == "completed" and link.invitation is not None
    again = submit_response(session=session, invitation=link.invitation, answers=typed_answers())
    assert not again.created
    assert len(session.exec(select(Response)).all()) == 2
    with pytest.raises(Conflict, match="keyed twice"):
        _key(session, work.numbers[1], make_user(session, "clerk", "third"), form)


def test_answered_online_between_the_two_keyings(session: Session, settings: Settings) -> None:
    """The first completion wins; the second keying is refused and the first one's values go."""
    work = build_paper_fieldwork(session, settings.secret_key, 1)
    lan, minh = make_user(session, "clerk", "lan"), make_user(session, "clerk", "minh")
    form = keyed_form(work.definition, paper_answers(0))
    _key(session, work.numbers[0], lan, form)
    invitation = session.get(Invitation, work.invitation_ids[0])
    assert invitation is not None
    assert submit_response(session=session, invitation=invitation, answers=typed_answers()).created
    with pytest.raises(Conflict, match="already answered"):
        _key(session, work.numbers[0], minh, form)
    assert session.exec(select(PaperKeying)).all() == []
    assert [r.mode for r in session.exec(select(Response)).all()] == ["web"]


def test_an_online_draft_is_completed_by_the_paper_form(
    session: Session, settings: Settings
) -> None:
    """A citizen who started online and then sent the paper form has one response: paper."""
    from survey.responses import start_or_resume

    work = build_paper_fieldwork(session, settings.secret_key, 1)
    invitation = session.get(Invitation, work.invitation_ids[0])
    assert invitation is not None
    start_or_resume(session=session, invitation=invitation)
    form = keyed_form(work.definition, paper_answers(0))
    _key(session, work.numbers[0], make_user(session, "clerk", "lan"), form)
    _key(session, work.numbers[0], make_user(session, "clerk", "minh"), form)
    (response,) = session.exec(select(Response)).all()
    assert (response.mode, response.status, response.invitation_id) == ("paper", "completed", None)
    assert response.answers == drop_hidden(work.definition, paper_answers(0))


def test_scopes_hide_other_agencies_forms(session: Session, settings: Settings) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 2)
    own = Scope(agencies=frozenset({"79-BN"}), provinces=None)
    clerk = make_user(session, "clerk", "lan", [("agency", "79-BN")])
    form = keyed_form(work.definition, paper_answers(1))
    with pytest.raises(NotFound):
        key_form(session=session, form_number=work.numbers[1], clerk=clerk, scope=own, form=form)
    assert keying_target(
        session=session, form_number=work.numbers[0], clerk=clerk, scope=own
    ).agency_name.startswith("UBND")
    # A supervisor of the other agency does not see the disagreement of this one.
    _key(session, work.numbers[0], clerk, keyed_form(work.definition, paper_answers(0)))
    other = make_user(session, "clerk", "minh")
    _key(session, work.numbers[0], other, keyed_form(work.definition, paper_answers(3)))
    q1 = Scope(agencies=frozenset({"79-Q1"}), provinces=None)
    assert list_disagreements(session=session, campaign_id=work.campaign_id, scope=q1) == []
    assert entry_progress(session=session, campaign_id=work.campaign_id, scope=q1).keyed_twice == 0
    (row,) = list_disagreements(session=session, campaign_id=work.campaign_id, scope=own)
    with pytest.raises(NotFound):
        get_disagreement(session=session, entry_id=row.entry_id, scope=q1)


def test_resolution_rules(session: Session, settings: Settings) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 1)
    admin = make_user(session, "admin", "quan-tri")
    minh = make_user(session, "clerk", "minh")
    first = keyed_form(work.definition, paper_answers(0))
    _key(session, work.numbers[0], admin, first)
    _key(session, work.numbers[0], minh, first | {"access_q15": "5"})
    (row,) = list_disagreements(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
    with pytest.raises(PermissionDenied):
        resolve_disagreement(
            session=session,
            entry_id=row.entry_id,
            supervisor=admin,
            scope=UNLIMITED,
            values={"access_q15": "5"},
        )
    supervisor = make_user(session, "coordinator", "giam-sat")
    with pytest.raises(InvalidInput, match="every field"):
        resolve_disagreement(
            session=session,
            entry_id=row.entry_id,
            supervisor=supervisor,
            scope=UNLIMITED,
            values={},
        )
    with pytest.raises(KeyingInvalid) as refused:
        resolve_disagreement(
            session=session,
            entry_id=row.entry_id,
            supervisor=supervisor,
            scope=UNLIMITED,
            values={"access_q15": "7"},
        )
    assert refused.value.rules == {"access_q15": "scale"}
    assert session.exec(select(Response)).all() == []
    resolve_disagreement(
        session=session,
        entry_id=row.entry_id,
        supervisor=supervisor,
        scope=UNLIMITED,
        values={"access_q15": "0"},
    )
    (response,) = session.exec(select(Response)).all()
    assert response.answers["access_q15"] == 0 and response.mode == "paper"
    with pytest.raises(Conflict):
        get_disagreement(session=session, entry_id=row.entry_id, scope=UNLIMITED)
    entry = session.exec(select(PaperEntry)).one()
    assert entry.resolved_by == supervisor.id
    assert session.exec(select(PaperKeying).where(col(PaperKeying.keyed).is_not(None))).all() == []


def test_a_mistyped_form_number_is_refused(session: Session, settings: Settings) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 1)
    clerk = make_user(session, "clerk", "lan")
    number = work.numbers[0]
    swapped = number[:3] + number[4] + number[3] + number[5:]
    if swapped == number:
        swapped = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidInput):
        keying_target(session=session, form_number=swapped, clerk=clerk, scope=UNLIMITED)


def test_closing_and_purging_end_unfinished_keyings(session: Session, settings: Settings) -> None:
    from survey.campaigns import close_campaign
    from survey.purge import purge_contacts

    work = build_paper_fieldwork(session, settings.secret_key, 3)
    lan, minh = make_user(session, "clerk", "lan"), make_user(session, "clerk", "minh")
    forms = [keyed_form(work.definition, paper_answers(i)) for i in range(3)]
    _key(session, work.numbers[0], lan, forms[0])  # keyed once
    _key(session, work.numbers[1], lan, forms[1])  # keyed twice, in disagreement
    _key(session, work.numbers[1], minh, forms[1] | {"access_q15": "0"})
    _key(session, work.numbers[2], lan, forms[2])  # a response
    _key(session, work.numbers[2], minh, forms[2])
    (row,) = list_disagreements(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
    close_campaign(session=session, campaign_id=work.campaign_id)
    supervisor = make_user(session, "coordinator", "giam-sat")
    with pytest.raises(KeyingRefused) as refused:
        resolve_disagreement(
            session=session,
            entry_id=row.entry_id,
            supervisor=supervisor,
            scope=UNLIMITED,
            values={"access_q15": "0"},
        )
    assert refused.value.reason == "not_active"
    with pytest.raises(KeyingRefused):
        _key(session, work.numbers[0], minh, forms[0])
    purge_contacts(session=session, campaign_id=work.campaign_id)
    entries = session.exec(select(PaperEntry)).all()
    assert [e.status for e in entries] == ["completed"]
    keyings = session.exec(select(PaperKeying)).all()
    assert len(keyings) == 2 and all(k.keyed is None for k in keyings)
    assert len(session.exec(select(Response)).all()) == 1
