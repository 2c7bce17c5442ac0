"""Four eyes and versions through the API and the pages: submit, publish by someone else,
correct; the SHA-256 in the JSON, the CSV and its header; superseded versions stay readable."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.pages.coordinator import csrf_token
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import build_release_campaign


def _login(session: Session, role: str, name: str) -> tuple[dict[str, str], str]:
    """A bearer header and the raw token (a page cookie) of a new user."""
    user = make_user(session, role, name)
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="test")
    return {"Authorization": f"Bearer {token}"}, token


def test_four_eyes_through_the_api_and_the_hash_everywhere(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session)
    analyst, _ = _login(session, "analyst", "lap")
    admin, _ = _login(session, "admin", "quan-tri")
    publisher, _ = _login(session, "publisher", "cong-bo")
    with TestClient(create_app(settings)) as client:
        url = f"/api/campaigns/{rc.campaign_id}/releases"
        assert client.post(url, json={"name": "x"}, headers=publisher).status_code == 403
        created = client.post(url, json={"name": "Quý I", "min_respondents": 10}, headers=admin)
        assert created.status_code == 201 and created.json()["content_sha256"] is None
        rid = created.json()["id"]
        fingerprint = created.json()["fingerprint"]
        assert fingerprint["responses"]["count"] == len(rc.strata)
        assert fingerprint["draw"]["seed"] is not None and fingerprint["frame"]["sha256"]

        assert client.post(f"/api/releases/{rid}/submit", headers=publisher).status_code == 403
        submitted = client.post(f"/api/releases/{rid}/submit", headers=analyst)
        assert submitted.status_code == 200
        sha = submitted.json()["content_sha256"]
        assert len(sha) == 64 and submitted.json()["submitted_by"] is not None
        # The admin computed it: four eyes refuse, naming why.
        refused = client.post(f"/api/releases/{rid}/publish", headers=admin)
        assert refused.status_code == 403 and "four eyes" in refused.json()["detail"][0]["msg"]
        published = client.post(f"/api/releases/{rid}/publish", headers=publisher)
        assert published.status_code == 200, published.text
        body = published.json()
        assert body["status"] == "published" and body["content_sha256"] == sha
        assert body["published_by"] != body["created_by"] and body["published_at"]

        download = client.get(f"/api/releases/{rid}/release.csv", headers=publisher)
        assert download.headers["x-release-sha256"] == sha
        rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert {(r["release_sha256"], r["release_version"], r["release_status"]) for r in rows} == {
            (sha, "1", "published")
        }


def test_a_correction_supersedes_and_the_old_version_stays_readable(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session)
    analyst, _ = _login(session, "analyst", "lap")
    checker, _ = _login(session, "analyst", "kiem")
    publisher, _ = _login(session, "publisher", "cong-bo")
    limited, _ = _login(session, "coordinator", "co-quan")
    with TestClient(create_app(settings)) as client:
        old = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases", json={"name": "Quý I"}, headers=analyst
        ).json()["id"]
        client.post(f"/api/releases/{old}/submit", headers=checker)
        assert client.post(f"/api/releases/{old}/publish", headers=publisher).status_code == 200

        corrections = f"/api/releases/{old}/corrections"
        assert client.post(corrections, json={}, headers=analyst).status_code == 422
        assert client.post(corrections, json={"reason": "x"}, headers=publisher).status_code == 403
        made = client.post(corrections, json={"reason": "Sai mã tỉnh"}, headers=analyst)
        assert made.status_code == 201, made.text
        new = made.json()
        assert (new["version"], new["supersedes_id"], new["status"]) == (2, old, "draft")
        assert new["correction_reason"] == "Sai mã tỉnh" and new["name"] == "Quý I"
        client.post(f"/api/releases/{new['id']}/submit", headers=checker)
        assert client.post(f"/api/releases/{new['id']}/publish", headers=publisher).is_success

        before = client.get(f"/api/releases/{old}", headers=limited).json()
        assert before["status"] == "superseded" and before["superseded_by_id"] == new["id"]
        assert before["results"]["rows"]
        listed = {r["id"]: r["status"] for r in client.get("/api/releases", headers=limited).json()}
        assert listed == {old: "superseded", new["id"]: "published"}
        again = client.post(corrections, json={"reason": "again"}, headers=analyst)
        assert again.status_code == 409 and str(new["id"]) in again.json()["detail"][0]["msg"]


def test_pages_show_the_review_steps_hash_and_versions(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session)
    analyst, analyst_token = _login(session, "analyst", "nguoi-lap")
    admin, admin_token = _login(session, "admin", "quan-tri")
    _, publisher_token = _login(session, "publisher", "nguoi-cong-bo")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        rid = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases", json={"name": "Quý I"}, headers=analyst
        ).json()["id"]
        url = f"/staff/releases/{rid}"
        client.cookies.set("sipas_session", admin_token)
        page = client.get(url + "?lang=vi").text
        assert f'action="{url}/submit"' in page and f'action="{url}/publish"' not in page
        csrf = csrf_token(settings, admin_token)
        assert client.post(url + "/submit", data={"csrf": csrf}).status_code == 303
        page = client.get(url + "?lang=en").text
        assert "submitted for review" in page and 'id="four-eyes"' in page
        assert f'action="{url}/publish"' not in page  # the admin submitted it

        client.cookies.set("sipas_session", publisher_token)
        page = client.get(url + "?lang=vi").text
        assert f'action="{url}/publish"' in page and f'action="{url}/submit"' not in page
        pcsrf = csrf_token(settings, publisher_token)
        assert client.post(url + "/publish", data={"csrf": pcsrf}).status_code == 303
        page = client.get(url + "?lang=en").text
        sha = client.get(f"/api/releases/{rid}", headers=admin).json()["content_sha256"]
        assert f'<code class="hash" id="sha256">{sha}</code>' in page
        assert "nguoi-lap" in page and "quan-tri" in page and "nguoi-cong-bo" in page
        assert "Data fingerprint" in page
        assert f'action="{url}/correct"' not in page  # publishers do not correct

        client.cookies.set("sipas_session", analyst_token)
        acsrf = csrf_token(settings, analyst_token)
        empty = client.post(url + "/correct", data={"csrf": acsrf, "reason": " "})
        assert empty.status_code == 422 and 'href="#f-reason"' in empty.text
        made = client.post(url + "/correct", data={"csrf": acsrf, "reason": "Phiếu giấy"})
        assert made.status_code == 303
        new_url = made.headers["location"]
        assert new_url != url
        page = client.get(new_url + "?lang=vi").text
        assert "Bản đính chính của phiên bản" in page and "Phiếu giấy" in page

        new_id = int(new_url.rsplit("/", 1)[1])
        client.cookies.set("sipas_session", admin_token)
        client.post(new_url + "/submit", data={"csrf": csrf})
        client.cookies.set("sipas_session", publisher_token)
        assert client.post(new_url + "/publish", data={"csrf": pcsrf}).status_code == 303
        page = client.get(url + "?lang=en").text
        assert 'id="superseded"' in page and f'href="/staff/releases/{new_id}"' in page
        assert "Version 2" in page and "superseded" in page


def test_a_reviewer_sends_a_release_back_through_the_api_and_the_page(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session)
    analyst, analyst_token = _login(session, "analyst", "nguoi-lap")
    publisher, publisher_token = _login(session, "publisher", "nguoi-duyet")
    admin, _ = _login(session, "admin", "quan-tri")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        rid = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases", json={"name": "Quý I"}, headers=analyst
        ).json()["id"]
        back = f"/api/releases/{rid}/send-back"
        reason = {"reason": "Thiếu phiếu giấy của Lào Cai"}
        not_yet = client.post(back, json=reason, headers=publisher)
        assert not_yet.status_code == 409
        assert "submitted for review" in not_yet.json()["detail"][0]["msg"]
        assert client.post(f"/api/releases/{rid}/submit", headers=analyst).status_code == 200
        assert client.post(back, json=reason, headers=analyst).status_code == 403
        short = client.post(back, json={"reason": "sai"}, headers=publisher)
        assert short.status_code == 422
        assert short.json()["detail"][0]["loc"][-1] == "reason"
        assert "5 to 500" in short.json()["detail"][0]["msg"]
        sent = client.post(back, json=reason, headers=publisher)
        assert sent.status_code == 200, sent.text
        assert sent.json()["status"] == "draft" and sent.json()["content_sha256"] is None

        # The page: the preparer sees the step with its reason and can submit again.
        url = f"/staff/releases/{rid}"
        client.cookies.set("sipas_session", analyst_token)
        page = client.get(url + "?lang=vi").text
        assert "Trả lại để sửa" in page and "Thiếu phiếu giấy của Lào Cai" in page
        assert "nguoi-duyet" in page and f'action="{url}/submit"' in page
        assert f'action="{url}/send-back"' not in page
        acsrf = csrf_token(settings, analyst_token)
        assert client.post(url + "/submit", data={"csrf": acsrf}).status_code == 303

        client.cookies.set("sipas_session", publisher_token)
        page = client.get(url + "?lang=vi").text
        assert f'action="{url}/send-back"' in page and 'name="send_back_reason"' in page
        pcsrf = csrf_token(settings, publisher_token)
        without_token = client.post(url + "/send-back", data={"send_back_reason": "Sai mã tỉnh"})
        assert without_token.status_code in (400, 403)
        empty = client.post(url + "/send-back", data={"csrf": pcsrf, "send_back_reason": " "})
        assert empty.status_code == 422 and 'href="#f-send_back_reason"' in empty.text
        assert "từ 5 đến 500 ký tự" in empty.text and 'aria-invalid="true"' in empty.text
        assert client.get(f"/api/releases/{rid}", headers=admin).json()["status"] == "submitted"
        done = client.post(url + "/send-back", data={"csrf": pcsrf, "send_back_reason": "Sai mã"})
        assert done.status_code == 303 and done.headers["location"] == url
        page = client.get(url + "?lang=en").text
        assert page.count('class="step-sent_back"') == 2 and "Sai mã" in page

        # Published: sending back is refused, naming the way (a correction).
        client.post(f"/api/releases/{rid}/submit", headers=analyst)
        assert client.post(f"/api/releases/{rid}/publish", headers=publisher).status_code == 200
        late = client.post(back, json=reason, headers=admin)
        assert late.status_code == 409 and "correction" in late.json()["detail"][0]["msg"]


def test_release_csv_in_a_language_beside_the_machine_csv(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session)
    analyst, _ = _login(session, "analyst", "lap")
    with TestClient(create_app(settings)) as client:
        rid = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases", json={"name": "Quý I"}, headers=analyst
        ).json()["id"]
        url = f"/api/releases/{rid}/release.csv"
        machine = client.get(url, headers=analyst)
        assert machine.status_code == 200
        assert f'filename="release-{rid}.csv"' in machine.headers["content-disposition"]
        machine_rows = list(csv.reader(io.StringIO(machine.content.decode("utf-8-sig"))))
        assert machine_rows[0][:2] == ["agency_code", "province_code"]
        for lang, first in (
            ("vi", ["Mã cơ quan", "Tên cơ quan"]),
            ("en", ["Agency code", "Agency"]),
        ):
            named = client.get(url, params={"lang": lang}, headers=analyst)
            assert named.status_code == 200, named.text
            assert named.content.startswith("\ufeff".encode())
            assert f'filename="release-{rid}-{lang}.csv"' in named.headers["content-disposition"]
            rows = list(csv.reader(io.StringIO(named.content.decode("utf-8-sig"))))
            assert rows[0][:2] == first and len(rows) == len(machine_rows)
            agencies = {r[0]: r[1] for r in rows[1:] if r[0]}
            # This frame names no agency: each keeps its code as its name.
            codes = {r[0] for r in machine_rows[1:] if r[0]}
            assert len(codes) > 1 and agencies == {code: code for code in codes}
        refused = client.get(url, params={"lang": "fr"}, headers=analyst)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "lang"
