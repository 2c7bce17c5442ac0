"""The data-entry pages end to end: two clerks key paper forms on keyboard-only pages, a
supervisor settles a disagreement side by side, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from api.app import create_app
from api.pages.coordinator import csrf_token
from survey.data_entry import keying_fields
from survey.models import Invitation, Response, StaffUser
from survey.paper_forms import format_form_number
from survey.questionnaires import display_numbers
from survey.responses import submit_response
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import PASSWORD, make_user
from tests.survey.data_entry_fixtures import build_paper_fieldwork, keyed_form, paper_answers
from tests.survey.national_form_fixture import typed_answers, typed_definition

# The numbers the paper form prints (and the keying page shows) for the criteria used below.
Q15, Q16 = (f"Câu {display_numbers(typed_definition())[c]}" for c in ("access_q15", "access_q16"))


def _client(settings: Settings, session: Session, user: StaffUser) -> tuple[TestClient, str]:
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="pages")
    client = TestClient(create_app(settings), follow_redirects=False)
    client.cookies.set("sipas_session", token)
    return client, csrf_token(settings, token)


def test_two_clerks_and_a_supervisor_on_the_pages(settings: Settings, session: Session) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 4)
    definition = work.definition
    lan, lan_csrf = _client(settings, session, make_user(session, "clerk", "lan"))
    minh, minh_csrf = _client(settings, session, make_user(session, "clerk", "minh"))
    boss, boss_csrf = _client(settings, session, make_user(session, "coordinator", "giam-sat"))
    number = work.numbers[0]

    start = lan.get("/staff/entry")
    assert start.status_code == 200 and "<script" not in start.text
    assert re.search(r'id="f-form_number"[^>]*autofocus', start.text)
    # The printed grouping (12345-67890) is accepted.
    opened = lan.post(
        "/staff/entry", data={"csrf": lan_csrf, "form_number": format_form_number(number)}
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/staff/entry/forms/{number}"
    page = lan.get(opened.headers["location"])
    assert page.status_code == 200 and "<script" not in page.text
    codes = [f.code for f in keying_fields(definition)]
    assert re.findall(r'<input id="f-([a-z0-9_]+)"', page.text) == codes
    assert re.search(r'id="f-sex"[^>]*autofocus', page.text)
    assert 'name="access_q15" type="text" class="short" size="2" inputmode="numeric"' in page.text
    assert Q15 in page.text and "9 = để trống" in page.text and "1 Nam · 2 Nữ" in page.text

    # Mistakes are named by question, with the fix, and the typed values stay.
    first_form = keyed_form(definition, paper_answers(0))
    bad = lan.post(
        f"/staff/entry/forms/{number}",
        data={**first_form, "csrf": lan_csrf, "access_q15": "7", "access_q16": ""},
    )
    assert bad.status_code == 422
    assert "<title>Lỗi: " in bad.text and 'href="#f-access_q15"' in bad.text
    assert f"{Q15}: gõ từ 1 đến 5, 0 nếu chọn “Không áp dụng”, 9 nếu để trống." in bad.text
    assert f"{Q16}: chưa gõ." in bad.text
    assert re.search(r'id="f-access_q15"[^>]*value="7" autofocus', bad.text)
    saved = lan.post(f"/staff/entry/forms/{number}", data={**first_form, "csrf": lan_csrf})
    assert saved.status_code == 303
    after = lan.get(saved.headers["location"])
    assert "Đã lưu lần nhập thứ nhất của phiếu " + format_form_number(number) in after.text

    # The same clerk cannot key it again.
    again = lan.post("/staff/entry", data={"csrf": lan_csrf, "form_number": number})
    assert again.status_code == 409 and "Bạn đã nhập phiếu này rồi" in again.text
    assert lan.get(f"/staff/entry/forms/{number}").status_code == 409

    # The second clerk sees an empty form: nothing of the first keying.
    second_page = minh.get(f"/staff/entry/forms/{number}")
    assert second_page.status_code == 200 and "Lần nhập thứ 2" in second_page.text
    assert paper_answers(0)["comments"] not in second_page.text
    assert not re.search(r'<input id="f-[a-z0-9_]+"[^>]* value="[^"]', second_page.text)
    second_form = first_form | {"access_q16": "2" if first_form["access_q16"] != "2" else "3"}
    differs = minh.post(f"/staff/entry/forms/{number}", data={**second_form, "csrf": minh_csrf})
    assert differs.status_code == 303 and "done=disagreement" in differs.headers["location"]
    assert "khác nhau ở 1 câu" in minh.get(differs.headers["location"]).text

    # A second form on which both agree becomes a response at once.
    other = keyed_form(definition, paper_answers(1))
    for client, csrf in ((lan, lan_csrf), (minh, minh_csrf)):
        done = client.post(f"/staff/entry/forms/{work.numbers[1]}", data={**other, "csrf": csrf})
        assert done.status_code == 303
    assert "done=completed" in done.headers["location"]

    # Roles: clerks do not supervise, coordinators do not key.
    assert lan.get(f"/staff/entry/campaigns/{work.campaign_id}").status_code == 403
    assert boss.get("/staff/entry").status_code == 403

    progress = boss.get(f"/staff/entry/campaigns/{work.campaign_id}")
    assert progress.status_code == 200
    counts = re.search(r'<tr id="counts">(.*?)</tr>', progress.text)
    assert counts is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', counts.group(1)) == [
        "0",
        "2",
        "1",
        "0",
        "1",
        "1",
    ]
    assert format_form_number(number) in progress.text and Q16 in progress.text
    link = re.search(r'href="(/staff/entry/disagreements/\d+)"', progress.text)
    assert link is not None
    side = boss.get(link.group(1))
    assert side.status_code == 200
    assert "Lần nhập 1 (lan)" in side.text and "Lần nhập 2 (minh)" in side.text
    assert Q16 in side.text and Q15 not in side.text  # only where they differ
    unchosen = boss.post(link.group(1), data={"csrf": boss_csrf})
    assert unchosen.status_code == 422 and f"{Q16}: chọn một trong hai giá trị" in unchosen.text
    resolved = boss.post(
        link.group(1),
        data={"csrf": boss_csrf, "pick-access_q16": "typed", "typed-access_q16": "5"},
    )
    assert resolved.status_code == 303
    assert "Đã đối chiếu phiếu" in boss.get(resolved.headers["location"]).text

    responses = session.exec(select(Response)).all()
    assert sorted(r.answers["access_q16"] for r in responses) == sorted(
        [5, paper_answers(1)["access_q16"]]
    )
    assert {r.mode for r in responses} == {"paper"}
    left = session.execute(text("SELECT count(*) FROM paper_keying WHERE keyed IS NOT NULL"))
    assert left.scalar_one() == 0

    # A form already answered online is refused at keying, in words saying what to do.
    invitation = session.get(Invitation, work.invitation_ids[2])
    assert invitation is not None
    assert submit_response(session=session, invitation=invitation, answers=typed_answers()).created
    refused = lan.post("/staff/entry", data={"csrf": lan_csrf, "form_number": work.numbers[2]})
    assert refused.status_code == 409 and "Người dân này đã trả lời" in refused.text
    mistyped = lan.post("/staff/entry", data={"csrf": lan_csrf, "form_number": "12345"})
    assert mistyped.status_code == 422 and "Số phiếu không đúng" in mistyped.text
    for client in (lan, minh, boss):
        client.close()


def test_english_and_a_scoped_clerk(settings: Settings, session: Session) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 2)
    clerk = make_user(session, "clerk", "lan", [("agency", "79-BN")])
    client, csrf = _client(settings, session, clerk)
    # Invitation 1 belongs to agency 79-Q1: not among this clerk's forms.
    hidden = client.post(
        "/staff/entry?lang=en", data={"csrf": csrf, "form_number": work.numbers[1]}
    )
    assert hidden.status_code == 404 and "There is no form" in hidden.text
    page = client.get(f"/staff/entry/forms/{work.numbers[0]}?lang=en")
    assert page.status_code == 200 and "Keying 1" in page.text and "9 = left blank" in page.text
    client.close()


def test_clerks_land_on_the_form_number_box_and_coordinators_find_the_progress(
    settings: Settings, session: Session
) -> None:
    work = build_paper_fieldwork(session, settings.secret_key, 1)
    make_user(session, "clerk", "nhap-lan")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        signed = client.post(
            "/staff/sign-in", data={"username": "nhap-lan", "password": PASSWORD, "next": "/staff"}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/staff/entry"
    boss, _ = _client(settings, session, make_user(session, "coordinator", "giam-sat"))
    page = boss.get(f"/staff/campaigns/{work.campaign_id}")
    assert f'href="/staff/entry/campaigns/{work.campaign_id}"' in page.text
    listing = boss.get("/staff/entry/campaigns")
    assert (
        listing.status_code == 200 and f"/staff/entry/campaigns/{work.campaign_id}" in listing.text
    )
    boss.close()
