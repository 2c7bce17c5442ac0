"""The data-entry JSON API: two clerks key forms by their printed number (bearer tokens, as a
script would), the second never receives the first keying; a coordinator lists the forms
whose keyings differ, reads both values and resolves them into a paper response. Roles,
scopes and bad input are refused with the field named."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from api.app import create_app
from survey.data_entry import keying_fields
from survey.models import Response
from survey.paper_forms import format_form_number
from survey.questionnaires import display_numbers
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.data_entry_fixtures import build_paper_fieldwork, keyed_form, paper_answers


def test_two_clerks_key_and_a_coordinator_resolves_through_the_api(
    settings: Settings, session: Session
) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 4)
    definition = work.definition
    lan = bearer(session, "clerk", "lan")
    minh = bearer(session, "clerk", "minh")
    boss = bearer(session, "coordinator", "giam-sat")
    number = work.numbers[0]
    client = TestClient(create_app(settings))

    # The fields come in printed order with the printed numbers and keys; the grouped
    # number as printed (12345-67890) is accepted.
    target = client.get(f"/api/entry/forms/{format_form_number(number)}", headers=lan)
    assert target.status_code == 200, target.text
    body = target.json()
    assert body["round"] == 1 and body["form_number"] == number
    assert body["campaign_id"] == work.campaign_id
    fields = keying_fields(definition)
    assert [f["code"] for f in body["fields"]] == [f.code for f in fields]
    by_code = {f["code"]: f for f in body["fields"]}
    assert by_code["access_q15"]["number"] == str(display_numbers(definition)["access_q15"])
    assert [o["key"] for o in by_code["access_q15"]["options"]] == ["1", "2", "3", "4", "5", "0"]

    # A value off the scale: 422 naming the field in the body, nothing stored.
    first_form = keyed_form(definition, paper_answers(0))
    bad = client.post(
        f"/api/entry/forms/{number}",
        json={"values": {**first_form, "access_q15": "7"}},
        headers=lan,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "values", "access_q15"]
    assert "1 to 5" in bad.json()["detail"][0]["msg"]
    left = session.execute(text("SELECT count(*) FROM paper_keying"))
    assert left.scalar_one() == 0

    once = client.post(f"/api/entry/forms/{number}", json={"values": first_form}, headers=lan)
    assert once.status_code == 200, once.text
    assert once.json() == {"status": "keyed_once", "form_number": number, "differing_items": 0}
    # The same clerk cannot key it twice.
    assert client.get(f"/api/entry/forms/{number}", headers=lan).status_code == 409
    again = client.post(f"/api/entry/forms/{number}", json={"values": first_form}, headers=lan)
    assert again.status_code == 409

    # The second clerk gets round 2 and nothing of the first keying.
    second = client.get(f"/api/entry/forms/{number}", headers=minh)
    assert second.status_code == 200 and second.json()["round"] == 2
    assert paper_answers(0)["comments"] not in second.text
    second_form = first_form | {"access_q16": "2" if first_form["access_q16"] != "2" else "3"}
    differs = client.post(f"/api/entry/forms/{number}", json={"values": second_form}, headers=minh)
    assert differs.status_code == 200
    assert differs.json() == {"status": "disagreement", "form_number": number, "differing_items": 1}
    # A form both agree on becomes a response at once.
    other = keyed_form(definition, paper_answers(1))
    for clerk in (lan, minh):
        done = client.post(
            f"/api/entry/forms/{work.numbers[1]}", json={"values": other}, headers=clerk
        )
    assert done.json()["status"] == "completed"

    # Roles: clerks do not supervise, coordinators do not key.
    listing = f"/api/entry/campaigns/{work.campaign_id}/disagreements"
    assert client.get(listing, headers=lan).status_code == 403
    assert client.get(f"/api/entry/forms/{work.numbers[2]}", headers=boss).status_code == 403

    rows = client.get(listing, headers=boss)
    assert rows.status_code == 200
    [row] = rows.json()
    assert row["form_number"] == number and row["differing"] == ["access_q16"]
    entry = f"/api/entry/disagreements/{row['entry_id']}"
    shown = client.get(entry, headers=boss).json()
    assert (shown["first_clerk"], shown["second_clerk"]) == ("lan", "minh")
    [value] = shown["values"]
    assert value["field"]["code"] == "access_q16"
    assert (value["first"], value["second"]) == (
        first_form["access_q16"],
        second_form["access_q16"],
    )
    # A coordinator scoped to another agency does not find it.
    elsewhere = bearer(session, "coordinator", "khac", [("agency", "AG-NONE")])
    assert client.get(entry, headers=elsewhere).status_code == 404

    missing = client.post(entry, json={"values": {}}, headers=boss)
    assert missing.status_code == 422
    assert [d["loc"][-1] for d in missing.json()["detail"]] == ["access_q16"]
    impossible = client.post(entry, json={"values": {"access_q16": "8"}}, headers=boss)
    assert impossible.status_code == 422
    assert impossible.json()["detail"][0]["loc"] == ["body", "values", "access_q16"]
    resolved = client.post(entry, json={"values": {"access_q16": "5"}}, headers=boss)
    assert resolved.status_code == 200
    assert resolved.json() == {"entry_id": row["entry_id"], "status": "completed"}
    assert client.post(entry, json={"values": {"access_q16": "5"}}, headers=boss).status_code == 409
    assert client.get(listing, headers=boss).json() == []

    session.expire_all()
    responses = session.exec(select(Response)).all()
    assert sorted(r.answers["access_q16"] for r in responses) == sorted(
        [5, paper_answers(1)["access_q16"]]
    )
    assert {r.mode for r in responses} == {"paper"}
    kept = session.execute(text("SELECT count(*) FROM paper_keying WHERE keyed IS NOT NULL"))
    assert kept.scalar_one() == 0


def test_form_numbers_and_bodies_are_checked(settings: Settings, session: Session) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 1)
    lan = bearer(session, "clerk", "lan")
    client = TestClient(create_app(settings))
    # A wrong check digit is a typing error (422), a good number never printed is 404.
    digits = work.numbers[0]
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert client.get(f"/api/entry/forms/{wrong}", headers=lan).status_code == 422
    assert client.get(f"/api/entry/forms/{'x' * 33}", headers=lan).status_code == 422
    extra = client.post(f"/api/entry/forms/{digits}", json={"values": {}, "other": 1}, headers=lan)
    assert extra.status_code == 422
    empty = client.post(f"/api/entry/forms/{digits}", json={"values": {}}, headers=lan)
    assert empty.status_code == 422
    assert all(d["loc"][:2] == ["body", "values"] for d in empty.json()["detail"])
    assert client.get("/api/entry/disagreements/0", headers=lan).status_code in (403, 422)
    assert client.get("/api/entry/forms/1", headers={}).status_code == 401
