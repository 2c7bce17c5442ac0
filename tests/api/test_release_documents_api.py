"""Release documents over HTTP: staff downloads beside release.csv (same policy and scope), the
public site's downloads of published releases (no sign-in, drafts 404), links on both pages."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from api.app import create_app
from survey.releases import (
    CSV_COLUMNS,
    compute_release,
    correct_release,
    publish_release,
    submit_release,
)
from survey.settings import Settings
from tests.api.fast_users import bearer, make_user
from tests.survey.release_fixtures import build_release_campaign

STAFF_FILES = ("release.xlsx", "release.pdf", "release.json", "dictionary.csv")
PUBLIC_FILES = ("release.csv", *STAFF_FILES)
TYPES = {
    "release.csv": "text/csv",
    "dictionary.csv": "text/csv",
    "release.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "release.pdf": "application/pdf",
    "release.json": "application/json",
}


@dataclass(frozen=True)
class Releases:
    published: int
    draft: int
    sha256: str


@pytest.fixture
def releases(session: Session) -> Releases:
    rc = build_release_campaign(session)
    maker = make_user(session, "analyst", "docs-analyst")
    reviewer = make_user(session, "publisher", "docs-publisher")
    published = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Chỉ số hài lòng 2026",
        min_respondents=10,
        created_by=maker.id,
    )
    draft = compute_release(session=session, campaign_id=rc.campaign_id, name="Bản nháp")
    assert published.id is not None and draft.id is not None
    submit_release(session=session, release_id=published.id, actor=maker)
    publish_release(session=session, release_id=published.id, actor=reviewer)
    session.refresh(published)
    assert published.content_sha256
    return Releases(published.id, draft.id, published.content_sha256)


def test_staff_downloads_follow_the_csv_policy(
    settings: Settings, session: Session, releases: Releases
) -> None:
    analyst = bearer(session, "analyst")
    scoped = bearer(session, "coordinator", "docs-scoped", scopes=[("agency", "AG-A")])
    with TestClient(create_app(settings)) as client:
        for name in STAFF_FILES:
            url = f"/api/releases/{releases.published}/{name}"
            assert client.get(url).status_code == 401, name
            answer = client.get(url, headers=analyst)
            assert answer.status_code == 200, (name, answer.text[:200])
            assert answer.headers["content-type"].startswith(TYPES[name])
            assert answer.headers["x-release-sha256"] == releases.sha256
            assert (
                f'filename="release-{releases.published}' in answer.headers["content-disposition"]
            )
            # A scoped account reads published releases only (as release.csv).
            assert (
                client.get(f"/api/releases/{releases.draft}/{name}", headers=scoped).status_code
                == 404
            )
        draft_pdf = client.get(f"/api/releases/{releases.draft}/release.pdf", headers=analyst)
        assert draft_pdf.status_code == 200 and draft_pdf.headers["x-release-sha256"] == ""
        assert client.get("/api/releases/999999/release.xlsx", headers=analyst).status_code == 404

        # The scoped account's workbook and JSON hold its own agency's rows only.
        scoped_pdf = client.get(f"/api/releases/{releases.published}/release.pdf", headers=scoped)
        assert scoped_pdf.status_code == 200 and scoped_pdf.content.startswith(b"%PDF-")
        own = client.get(f"/api/releases/{releases.published}/release.json", headers=scoped)
        rows = own.json()["content"]["results"]["rows"]
        assert rows and {r["domain"].get("agency_code") for r in rows} == {"AG-A"}
        book = load_workbook(
            io.BytesIO(
                client.get(
                    f"/api/releases/{releases.published}/release.xlsx", headers=scoped
                ).content
            )
        )
        codes = {row[0] for row in book["Yếu tố"].iter_rows(min_row=3, values_only=True)}
        assert codes == {"AG-A"}

        client.cookies.set("sipas_session", analyst["Authorization"].removeprefix("Bearer "))
        page = client.get(f"/staff/releases/{releases.published}")
        assert page.status_code == 200
        for name in STAFF_FILES:
            assert f'href="/api/releases/{releases.published}/{name}"' in page.text


def test_public_downloads_of_published_releases_only(
    settings: Settings, releases: Releases
) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for name in PUBLIC_FILES:
            answer = client.get(f"/public/releases/{releases.published}/{name}")
            assert answer.status_code == 200, (name, answer.text[:200])
            assert answer.headers["content-type"].startswith(TYPES[name])
            assert answer.headers["x-release-sha256"] == releases.sha256
            assert client.get(f"/public/releases/{releases.draft}/{name}").status_code == 404
        header = next(
            csv.reader(
                io.StringIO(
                    client.get(f"/public/releases/{releases.published}/release.csv").content.decode(
                        "utf-8-sig"
                    )
                )
            )
        )
        dictionary = list(
            csv.DictReader(
                io.StringIO(
                    client.get(
                        f"/public/releases/{releases.published}/dictionary.csv"
                    ).content.decode("utf-8-sig")
                )
            )
        )
        # The dictionary lists the CSV's columns, then the name columns of ?lang=vi|en.
        assert header == list(CSV_COLUMNS) == [r["name"] for r in dictionary][: len(header)]
        document = json.loads(
            client.get(f"/public/releases/{releases.published}/release.json").text
        )
        assert document["content_sha256"] == releases.sha256 and document["status"] == "published"
        # Published figures never change: the second PDF is the first one.
        first = client.get(f"/public/releases/{releases.published}/release.pdf").content
        assert client.get(f"/public/releases/{releases.published}/release.pdf").content == first

        page = client.get(f"/public/releases/{releases.published}")
        assert page.status_code == 200 and 'id="downloads"' in page.text
        for name in PUBLIC_FILES:
            assert f'href="/public/releases/{releases.published}/{name}"' in page.text
        assert "Báo cáo đầy đủ" in page.text
        assert f'href="/public/releases/{releases.published}/release.csv?lang=vi"' in page.text
        english = client.get(f"/public/releases/{releases.published}?lang=en")
        assert "Full report with charts and method note" in english.text
        assert f'href="/public/releases/{releases.published}/release.csv?lang=en"' in english.text


def test_public_named_csv_has_the_staff_named_csv_and_never_a_draft(
    session: Session, settings: Settings, releases: Releases
) -> None:
    staff = bearer(session, "analyst")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for lang in ("vi", "en"):
            public = client.get(
                f"/public/releases/{releases.published}/release.csv", params={"lang": lang}
            )
            assert public.status_code == 200
            assert public.headers["x-release-sha256"] == releases.sha256
            assert (
                f"release-{releases.published}-{lang}.csv" in public.headers["content-disposition"]
            )
            same = client.get(
                f"/api/releases/{releases.published}/release.csv",
                params={"lang": lang},
                headers=staff,
            )
            assert public.content == same.content
            header = next(csv.reader(io.StringIO(public.content.decode("utf-8-sig"))))
            machine = next(
                csv.reader(
                    io.StringIO(
                        client.get(
                            f"/public/releases/{releases.published}/release.csv"
                        ).content.decode("utf-8-sig")
                    )
                )
            )
            # Headers in the language, not the machine keys.
            assert header != machine and len(header) > len(machine)
            assert (
                client.get(
                    f"/public/releases/{releases.draft}/release.csv", params={"lang": lang}
                ).status_code
                == 404
            )
        assert (
            client.get(
                f"/public/releases/{releases.published}/release.csv", params={"lang": "fr"}
            ).status_code
            == 422
        )


def test_a_superseded_release_says_so_in_its_documents(
    settings: Settings, session: Session, releases: Releases
) -> None:
    maker = make_user(session, "analyst", "docs-corrector")
    reviewer = make_user(session, "publisher", "docs-reviewer")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        url = f"/public/releases/{releases.published}/release.json"
        before = client.get(url).json()  # made, and kept, while the release is in force
        assert before["status"] == "published" and before["superseded_by_id"] is None
        correction = correct_release(
            session=session, release_id=releases.published, reason="thêm phiếu giấy", actor=maker
        )
        assert correction.id is not None
        submit_release(session=session, release_id=correction.id, actor=maker)
        publish_release(session=session, release_id=correction.id, actor=reviewer)
        after = client.get(url).json()
        assert after["status"] == "superseded" and after["superseded_by_id"] == correction.id
        assert after["content_sha256"] == releases.sha256  # the figures did not change
        book = load_workbook(
            io.BytesIO(client.get(f"/public/releases/{releases.published}/release.xlsx").content)
        )
        method = {row[0]: row[3] for row in book["Phương pháp"].iter_rows(values_only=True)}
        assert method["status"] == "superseded"
        assert method["superseded_by_id"] == correction.id
        newer = client.get(f"/public/releases/{correction.id}/release.json").json()
        assert newer["supersedes_id"] == releases.published
        assert newer["content"]["correction_reason"] == "thêm phiếu giấy"
