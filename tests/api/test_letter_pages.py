"""Letters through the web: a coordinator downloads the PDF, a citizen types the short link.

End to end: the PDF's QR code is decoded by ZBar (tests/survey/test_letter_pdf.py) and the link
it holds, typed the way a person might (small letters, spaces instead of dashes), opens that
invitation's answer page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.app import create_app
from survey.audit import list_events
from survey.invitations import invitation_token
from survey.models import Invitation, utcnow
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.test_letter_pdf import NAME, build_letter_world, pdf_text, qr_codes


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def test_a_coordinator_prints_a_letter_and_its_qr_code_opens_the_answer_page(
    client: TestClient, session: Session, settings: Settings, tmp_path: Path
) -> None:
    campaign_id, ids = build_letter_world(session, settings, n=2, now=utcnow())
    headers = bearer(session, "coordinator")
    answer = client.get(
        f"/api/campaigns/{campaign_id}/invitations/{ids[0]}/letter.pdf", headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    assert f"{NAME} 0" in " ".join(pdf_text(answer.content, tmp_path, page=1).split())
    (link,) = qr_codes(answer.content, tmp_path, page=1)
    assert link.startswith(settings.public_base_url.rstrip("/") + "/m/")
    code = link.rsplit("/", 1)[1]
    # Typed by a person: small letters, spaces for dashes, O for zero.
    typed = code.lower().replace("-", " ").replace("0", "o")
    opened = client.get(f"/m/{typed}")
    invitation = session.get(Invitation, ids[0])
    assert invitation is not None
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/r/{invitation_token(settings, invitation)}"
    assert opened.headers["referrer-policy"] == "no-referrer"
    welcome = client.get(opened.headers["location"])
    assert welcome.status_code == 200 and "UBND xã A" in welcome.text
    # The box on /m sends what is typed on to /m/<code>.
    boxed = client.get("/m", params={"code": code})
    assert boxed.status_code == 303 and boxed.headers["location"] == f"/m/{code}"
    event = list_events(session=session, action="letters.printed").events[0]
    assert event.actor_name == "coordinator-user" and event.details["letters"] == 1


def test_batches_in_parts_and_the_scope_of_a_coordinator(
    client: TestClient, session: Session, settings: Settings
) -> None:
    campaign_id, ids = build_letter_world(session, settings, n=4)
    national = bearer(session, "coordinator", "national")
    parts = client.get(
        f"/api/campaigns/{campaign_id}/letters/parts", params={"part_size": 3}, headers=national
    )
    assert parts.json() == {"letters": 4, "parts": 2, "part_size": 3}
    second = client.get(
        f"/api/campaigns/{campaign_id}/letters.pdf",
        params={"part": 2, "part_size": 3, "form": "false"},
        headers=national,
    )
    assert second.status_code == 200 and second.content.startswith(b"%PDF")
    scoped = bearer(session, "coordinator", "scoped", scopes=[("agency", "AGA")])
    own = client.get(f"/api/campaigns/{campaign_id}/letters/parts", headers=scoped)
    assert own.json()["letters"] == 2
    # AGB's invitation (every second one) is not the scoped coordinator's to print.
    other = client.get(
        f"/api/campaigns/{campaign_id}/invitations/{ids[1]}/letter.pdf", headers=scoped
    )
    assert other.status_code == 404
    assert other.json()["detail"][0]["loc"] == ["invitation_id"]
    beyond = client.get(
        f"/api/campaigns/{campaign_id}/letters.pdf", params={"part": 9}, headers=national
    )
    assert beyond.status_code == 422 and beyond.json()["detail"][0]["loc"] == ["part"]
    for role in ("analyst", "publisher"):
        refused = client.get(
            f"/api/campaigns/{campaign_id}/letters.pdf", headers=bearer(session, role)
        )
        assert refused.status_code == 403


def test_mistyped_and_unknown_codes_get_the_box_again_in_vietnamese(
    client: TestClient, session: Session, settings: Settings
) -> None:
    build_letter_world(session, settings, n=1)
    empty = client.get("/m")
    assert empty.status_code == 200 and "Nhập mã trên thư mời" in empty.text
    short = client.get("/m/ABCD-EFGH")
    assert short.status_code == 422
    assert "Mã chưa đúng" in short.text and 'id="code-error"' in short.text
    assert short.text.count("Lỗi: ") == 1  # the title says it first
    unknown = client.get("/m/" + "Z" * 26)
    assert unknown.status_code == 404 and "Không tìm thấy mã này" in unknown.text
    english = client.get("/m/" + "Z" * 26, params={"lang": "en"})
    assert "This code was not found" in english.text
    invalid = client.get("/m/ABCD-EFGH-JKMN-PQRS-TVWX-YZ0-12U")
    assert invalid.status_code == 422
    # A browser signed in as staff is turned away, as on /r/.
    client.cookies.set("sipas_session", "x")
    assert client.get("/m/" + "Z" * 26).status_code == 403


def test_every_letter_leads_to_its_own_invitation(
    client: TestClient, session: Session, settings: Settings, tmp_path: Path
) -> None:
    campaign_id, ids = build_letter_world(session, settings, n=3, now=utcnow())
    pdf = client.get(
        f"/api/campaigns/{campaign_id}/letters.pdf",
        params={"form": "false"},
        headers=bearer(session, "coordinator"),
    ).content
    tokens = {
        invitation_token(settings, i)
        for i in session.exec(select(Invitation).where(col(Invitation.id).in_(ids))).all()
    }
    reached = set()
    for page in (1, 2, 3):
        (link,) = qr_codes(pdf, tmp_path, page=page)
        reached.add(client.get("/m/" + link.rsplit("/", 1)[1]).headers["location"][3:])
    assert reached == tokens


def test_no_schema_the_api_returns_has_an_applicants_name_or_address() -> None:
    """Names and addresses leave the platform only on printed letters (coordinators, audited)
    and to the interviewer assigned a face-to-face case: no JSON schema of the API has a postal
    address, and a ``full_name`` only where it is a staff account's own (users and /api/auth/me)
    or the assigned case's contact, which only /api/interviews answers."""
    document = create_app(Settings(database_url="sqlite://", development=True)).openapi()
    schemas = document["components"]["schemas"]
    assert schemas, "the walk found no schema"
    with_address = [
        n for n, s in schemas.items() if "postal_address" in (s.get("properties") or {})
    ]
    assert with_address == []
    with_name = {n for n, s in schemas.items() if "full_name" in (s.get("properties") or {})}
    assert with_name and all(
        "User" in n or n.startswith("Me") or n == "ContactPublic" for n in with_name
    ), with_name
    contact_ref = "#/components/schemas/ContactPublic"
    paths_with_contact = {
        path
        for path, operations in document["paths"].items()
        if contact_ref in str(operations) or _refers_to(schemas, operations, contact_ref)
    }
    assert paths_with_contact and all(
        p.startswith("/api/interviews") for p in paths_with_contact
    ), paths_with_contact


def _refers_to(
    schemas: dict[str, Any], node: Any, ref: str, seen: frozenset[str] = frozenset()
) -> bool:
    """Whether ``node`` reaches the schema ``ref`` through $ref links."""
    text = str(node)
    if ref in text:
        return True
    for name in schemas:
        own = f"#/components/schemas/{name}"
        if (
            own in text
            and name not in seen
            and _refers_to(schemas, schemas[name], ref, seen | {name})
        ):
            return True
    return False
