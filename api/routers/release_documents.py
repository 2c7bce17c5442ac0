"""A release's documents for staff: XLSX workbook, PDF report, JSON and the CSV's dictionary.

Beside ``release.csv`` (:mod:`api.routers.releases`) and with its policy: every staff account
reads; an account limited to some agencies or provinces gets published releases only, with its
own agencies' rows. Each answer carries the release's SHA-256 in ``X-Release-SHA256``. The
documents are made in :mod:`survey.release_documents` from the stored figures.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import SessionDep
from api.params import ReleaseId, file_responses
from api.policy import AsStaff
from survey.release_documents.files import DocumentFile, release_file

router = APIRouter(tags=["releases"])


def document_response(document: DocumentFile) -> Response:
    """A download: the file, its name and the release's SHA-256."""
    return Response(
        content=document.content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "X-Release-SHA256": document.sha256,
        },
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/api/releases/{release_id}/release.xlsx", responses=file_responses(XLSX))
def download_xlsx(release_id: ReleaseId, session: SessionDep, caller: AsStaff) -> Response:
    """The release as a workbook: a sheet per table, typed numbers, method and dictionary."""
    return document_response(
        release_file(session=session, release_id=release_id, kind="xlsx", scope=caller.scope)
    )


@router.get("/api/releases/{release_id}/release.pdf", responses=file_responses("application/pdf"))
def download_pdf(release_id: ReleaseId, session: SessionDep, caller: AsStaff) -> Response:
    """The release as a PDF report in Vietnamese (A4, charts, method note, SHA-256)."""
    return document_response(
        release_file(session=session, release_id=release_id, kind="pdf", scope=caller.scope)
    )


@router.get("/api/releases/{release_id}/release.json", responses=file_responses("application/json"))
def download_json(release_id: ReleaseId, session: SessionDep, caller: AsStaff) -> Response:
    """The release's hashed content with its review steps, method and CSV dictionary."""
    return document_response(
        release_file(session=session, release_id=release_id, kind="json", scope=caller.scope)
    )


@router.get("/api/releases/{release_id}/shares.csv", responses=file_responses("text/csv"))
def download_shares(release_id: ReleaseId, session: SessionDep, caller: AsStaff) -> Response:
    """Judgement and expectation shares: a row per domain, item and category (header only for
    a form without them); the columns are in ``dictionary.csv``."""
    return document_response(
        release_file(session=session, release_id=release_id, kind="shares", scope=caller.scope)
    )


@router.get("/api/releases/{release_id}/dictionary.csv", responses=file_responses("text/csv"))
def download_dictionary(release_id: ReleaseId, session: SessionDep, caller: AsStaff) -> Response:
    """Every column of ``release.csv``: name, Vietnamese and English label, type, unit."""
    return document_response(
        release_file(session=session, release_id=release_id, kind="dictionary", scope=caller.scope)
    )
