"""Downloads of a published release on the public site, no sign-in: CSV, its dictionary, XLSX,
PDF and JSON under ``/public/releases/{id}/``.

Drafts and releases under review answer 404, as their pages do. The files are those staff get
for the whole release (:mod:`survey.release_documents.files`, cached once made, since published
figures never change).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.deps import SessionDep
from api.pages.coordinator import StaffRoute
from api.params import ReleaseId
from api.policy import Public
from api.routers.release_documents import document_response
from survey.release_documents.files import release_file

# Errors as HTML pages (a 404 for a draft reads like the release page's own).
router = APIRouter(route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(Public)])


def _published(session: SessionDep, release_id: int, kind: str) -> Response:
    return document_response(
        release_file(session=session, release_id=release_id, kind=kind, published_only=True)
    )


@router.get("/public/releases/{release_id}/release.csv")
def public_csv(release_id: ReleaseId, session: SessionDep) -> Response:
    return _published(session, release_id, "csv")


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


def download_links(release_id: int | None, w: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(label, href, kind) of each download of a published release, for its public page."""
    base = f"/public/releases/{release_id}"
    return [
        (w["doc_pdf"], f"{base}/release.pdf", "PDF"),
        (w["doc_xlsx"], f"{base}/release.xlsx", "XLSX"),
        (w["doc_csv"], f"{base}/release.csv", "CSV"),
        (w["doc_dictionary"], f"{base}/dictionary.csv", "CSV"),
        (w["doc_json"], f"{base}/release.json", "JSON"),
    ]
