"""The campaigns API end to end: roles, fieldwork steps, no phone in anything analysts get."""

from __future__ import annotations

import io
from dataclasses import replace

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from api.app import create_app
from survey.models import Invitation, Response
from survey.settings import Settings
from survey.worker import process_batch
from tests.api.helpers import auth_headers
from tests.survey.campaign_factory import build_fieldwork
from tests.survey.fake_sms import RecordingGateway


def _add_responses(session: Session, campaign_id: int, questionnaire_id: int, count: int) -> None:
    """``count`` completed responses alike in every column the disclosure rule looks at."""
    invitation = session.exec(select(Invitation)).first()
    assert invitation is not None
    for _ in range(count):
        session.add(
            Response(
                campaign_id=campaign_id,
                questionnaire_id=questionnaire_id,
                answers={"access_q15": 5, "channels": ["online", "direct"]},
                status="completed",
                stratum="A",
                inclusion_prob=0.5,
                weight=2.0,
                agency_code="AGA",
                province_code="01",
                level="commune",
                channel="direct",
                completed_month=invitation.created_at.date().replace(day=1),
            )
        )
    invitation.completed_at = invitation.created_at
    session.add(invitation)
    session.commit()


def test_fieldwork_over_http(settings: Settings, session: Session) -> None:
    coordinator = auth_headers(session, "coordinator")
    analyst = auth_headers(session, "analyst")
    fw = build_fieldwork(session, n=4, without_phone=(3,), activate=False)
    body = {
        "name": "Đợt 2",
        "draw_id": fw.campaign.draw_id,
        "questionnaire_id": fw.campaign.questionnaire_id,
        "field_start": fw.campaign.field_start.isoformat() + "+00:00"
        if fw.campaign.field_start.tzinfo is None
        else fw.campaign.field_start.isoformat(),
        "field_end": "2099-01-01T00:00:00+07:00",
        "reminder_days": [2, 5],
    }
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/campaigns", json=body).status_code == 401
        assert client.post("/api/campaigns", json=body, headers=analyst).status_code == 403
        bad = client.post(
            "/api/campaigns", json={**body, "sms_template": "no link"}, headers=coordinator
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["sms_template"]
        created = client.post("/api/campaigns", json=body, headers=coordinator)
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        assert created.json()["reminder_days"] == [2, 5]
        queued_early = client.post(f"/api/campaigns/{cid}/sms/queue", headers=coordinator)
        assert queued_early.status_code == 409
        assert (
            client.post(f"/api/campaigns/{cid}/activate", headers=coordinator).json()["status"]
            == "active"
        )
        invited = client.post(f"/api/campaigns/{cid}/invitations", headers=coordinator).json()
        assert (invited["sms"], invited["letter"]) == (3, 1)
        preview = client.get(
            f"/api/campaigns/{cid}/sms/preview?price_per_segment=800", headers=coordinator
        ).json()
        assert preview["messages"] == 3 and preview["cost"] == 800 * preview["segments"]
        queued = client.post(f"/api/campaigns/{cid}/sms/queue", headers=coordinator).json()
        assert queued["queued"] == 3
        assert (
            client.post(f"/api/campaigns/{cid}/sms/queue", headers=coordinator).json()["queued"]
            == 0
        )
        # Real clock, quiet hours switched off (the test may run at night in Hanoi).
        daytime = replace(settings, quiet_hours_start="00:00", quiet_hours_end="00:00")
        process_batch(session=session, settings=daytime, gateway=RecordingGateway())
        assert client.get(f"/api/campaigns/{cid}/sms/counts", headers=coordinator).json() == {
            "sent": 3
        }
        rates = client.get(f"/api/campaigns/{cid}/dispositions?by=channel", headers=coordinator)
        groups = {g["group"]: g for g in rates.json()}
        assert groups["sms"]["counts"]["sent"] == 3 and groups["letter"]["counts"]["letter"] == 1
        # Analysts read dispositions (aggregates), never the outbox (docs/access.md).
        assert client.get(f"/api/campaigns/{cid}/dispositions", headers=analyst).status_code == 200
        assert client.get(f"/api/campaigns/{cid}/sms/counts", headers=analyst).status_code == 403

        letters = client.get(f"/api/campaigns/{cid}/letters", headers=coordinator)
        assert letters.status_code == 200 and letters.text.count('class="letter"') == 1
        assert "<svg" in letters.text

        # Fewer than k = 5 alike respondents are left out of the export (docs/privacy.md) ...
        _add_responses(session, cid, fw.campaign.questionnaire_id, count=4)
        csv_file = client.get(f"/api/campaigns/{cid}/exports/responses.csv", headers=analyst)
        assert csv_file.status_code == 200
        assert len(csv_file.content.decode("utf-8-sig").splitlines()) == 1
        # ... five are exported.
        _add_responses(session, cid, fw.campaign.questionnaire_id, count=1)
        csv_file = client.get(f"/api/campaigns/{cid}/exports/responses.csv", headers=analyst)
        assert csv_file.status_code == 200
        lines = csv_file.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 6
        assert lines[0].startswith("stratum,stratum_population,inclusion_prob,weight")
        assert "online;direct" in lines[1]
        xlsx = client.get(f"/api/campaigns/{cid}/exports/responses.xlsx", headers=analyst)
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet.max_row == 6
        exported = csv_file.text + str([list(r) for r in sheet.iter_rows(values_only=True)])
        for forbidden in ("phone", "invitation", "dossier", "HS-0", "+849", *fw.phones.values()):
            assert forbidden not in exported
        # Days and times of day are left out: the completion month only ("2026-12").
        month = lines[1].split(",")[lines[0].split(",").index("completed_month")]
        assert len(month) == 7 and month[4] == "-"
        # Dispositions are aggregates: analysts may download them (docs/access.md).
        assert (
            client.get(
                f"/api/campaigns/{cid}/exports/dispositions.csv", headers=analyst
            ).status_code
            == 200
        )
        assert (
            client.get(
                f"/api/campaigns/{cid}/exports/dispositions.xlsx", headers=coordinator
            ).status_code
            == 200
        )

        assert client.post(f"/api/campaigns/{cid}/purge", headers=coordinator).status_code == 409
        client.post(f"/api/campaigns/{cid}/close", headers=coordinator)
        # The draft campaign on the same frame would still need the frame's phones.
        blocked = client.post(f"/api/campaigns/{cid}/purge", headers=coordinator)
        assert blocked.status_code == 409 and str(fw.campaign.id) in blocked.text
        client.post(f"/api/campaigns/{fw.campaign.id}/close", headers=coordinator)
        purged = client.post(f"/api/campaigns/{cid}/purge", headers=coordinator).json()
        assert purged["invitations"] == 3 and purged["contacts"] == 3
        listed = client.get("/api/campaigns", headers=coordinator).json()
        assert [c["id"] for c in listed] == [cid, fw.campaign.id]
        assert "phone" not in str(listed)


def test_unknown_campaign_is_404(settings: Settings, session: Session) -> None:
    coordinator = auth_headers(session, "coordinator")
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/campaigns/999", headers=coordinator)
        assert response.status_code == 404 and response.json()["detail"][0]["loc"]
        assert client.get("/api/campaigns/999/dispositions", headers=coordinator).status_code == 404


def test_coordinator_limited_to_an_agency_cannot_run_fieldwork(
    settings: Settings, session: Session
) -> None:
    # The rated agency must not see links or who answered; it reads its own dispositions.
    scoped = auth_headers(session, "coordinator", scopes=[("agency", "AGA")])
    fw = build_fieldwork(session, n=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/campaigns", headers=scoped).status_code == 200
        assert (
            client.post(f"/api/campaigns/{fw.campaign.id}/close", headers=scoped).status_code == 403
        )
        letters = client.get(f"/api/campaigns/{fw.campaign.id}/letters", headers=scoped)
        assert letters.status_code == 403 and "/r/" not in letters.text
