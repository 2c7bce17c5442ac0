"""Downloads of a published release on the public site, no sign-in: CSV, its dictionary, XLSX,
PDF and JSON under ``/public/releases/{id}/``.

Drafts and releases under review answer 404, as their pages do. The files are those staff get
for the whole release (:mod:`survey.release_documents.files`, cached once made, since published
figures never change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import SessionDep
from api.formatting import CHANNEL_NAMES
from api.i18n import SHARES_TEXT
from api.pages.coordinator import StaffRoute
from api.params import ReleaseId
from api.policy import Public
from api.routers.release_documents import document_response
from survey.release_csv import CsvLanguage, named_release_csv
from survey.release_documents.files import release_file
from survey.release_documents.source import load_published_source

# Errors as HTML pages (a 404 for a draft reads like the release page's own).
router = APIRouter(route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(Public)])


def _published(session: SessionDep, release_id: int, kind: str) -> Response:
    return document_response(
        release_file(session=session, release_id=release_id, kind=kind, published_only=True)
    )


@router.get("/public/releases/{release_id}/release.csv")
def public_csv(
    release_id: ReleaseId,
    session: SessionDep,
    lang: Annotated[CsvLanguage | None, Query()] = None,
) -> Response:
    """The machine CSV (stable keys), or with ``lang`` headers in vi/en and names beside codes."""
    if lang is None:
        return _published(session, release_id, "csv")
    source = load_published_source(session=session, release_id=release_id)
    content = named_release_csv(source, lang=lang, channel_names=CHANNEL_NAMES[lang])
    return Response(
        content="\ufeff" + content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="release-{release_id}-{lang}.csv"',
            "X-Release-SHA256": source.release.content_sha256 or "",
        },
    )


@router.get("/public/releases/{release_id}/shares.csv")
def public_shares(release_id: ReleaseId, session: SessionDep) -> Response:
    """Judgement and expectation shares of a published release (survey.release_documents.shares)."""
    return _published(session, release_id, "shares")


@router.get("/public/releases/{release_id}/dictionary.csv")
def public_dictionary(release_id: ReleaseId, session: SessionDep) -> Response:
    return _published(session, release_id, "dictionary")


@router.get("/public/releases/{release_id}/release.xlsx")
def public_xlsx(release_id: ReleaseId, session: SessionDep) -> Response:
    return _published(session, release_id, "xlsx")


@router.get("/public/releases/{release_id}/release.pdf")
def public_pdf(release_id: ReleaseId, session: SessionDep) -> Response:
    return _published(session, release_id, "pdf")


@router.get("/public/releases/{release_id}/release.json")
def public_json(release_id: ReleaseId, session: SessionDep) -> Response:
    return _published(session, release_id, "json")


def download_links(
    release_id: int | None, w: Mapping[str, str], lang: str = "vi", *, shares: bool = False
) -> list[tuple[str, str, str]]:
    """(label, href, kind) of each download of a published release, for its public page
    (``shares``: the release publishes judgement and expectation shares, ``shares.csv``)."""
    base = f"/public/releases/{release_id}"
    extra = [(SHARES_TEXT[lang]["download"], f"{base}/shares.csv", "CSV")] if shares else []
    return [
        (w["doc_pdf"], f"{base}/release.pdf", "PDF"),
        (w["doc_xlsx"], f"{base}/release.xlsx", "XLSX"),
        (w["doc_csv"], f"{base}/release.csv", "CSV"),
        (w["doc_csv_named"], f"{base}/release.csv?lang={lang}", "CSV"),
        (w["doc_dictionary"], f"{base}/dictionary.csv", "CSV"),
        (w["doc_json"], f"{base}/release.json", "JSON"),
        *extra,
    ]
