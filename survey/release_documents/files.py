"""A release's documents as downloadable files: bytes, media type, file name and SHA-256.

One entry point for the staff API and the public site (:func:`release_file`). A PDF takes
seconds of CPU, and the public site asks for it without signing in; published figures never
change, so the files of a published or superseded release, read in full, are kept in a small
in-process cache keyed by everything they print that can change (the release's status and
what superseded it). Drafts and releases under review are made afresh (their review steps move),
and so are scoped accounts' files (their own rows only).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from survey.errors import NotFound, Problem
from survey.models.releases import FROZEN_STATUSES
from survey.release_documents.dictionary import dictionary_csv
from survey.release_documents.machine import release_json
from survey.release_documents.report import release_report_pdf
from survey.release_documents.shares import shares_csv, shares_dictionary_rows
from survey.release_documents.source import (
    DocumentSource,
    load_document_source,
    load_published_source,
)
from survey.release_documents.workbook import release_workbook
from survey.releases import release_csv
from survey.users import UNLIMITED, Scope


class DocumentKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
    JSON = "json"
    DICTIONARY = "dictionary"
    SHARES = "shares"


@dataclass(frozen=True)
class DocumentFile:
    content: bytes
    media_type: str
    filename: str
    sha256: str  # the release's, "" before it is submitted


def _csv(source: DocumentSource) -> bytes:
    # A byte-order mark, so spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + release_csv(source.release)).encode("utf-8")


_MAKERS: dict[DocumentKind, tuple[Callable[[DocumentSource], bytes], str, str]] = {
    DocumentKind.CSV: (_csv, "text/csv; charset=utf-8", "release-{id}.csv"),
    DocumentKind.XLSX: (
        release_workbook,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "release-{id}.xlsx",
    ),
    DocumentKind.PDF: (release_report_pdf, "application/pdf", "release-{id}.pdf"),
    DocumentKind.JSON: (
        lambda s: release_json(s).encode("utf-8"),
        "application/json",
        "release-{id}.json",
    ),
    DocumentKind.DICTIONARY: (
        lambda s: (
            "\ufeff"
            + dictionary_csv(percent=s.percent, by=s.by)
            + shares_dictionary_rows(s.release)
        ).encode("utf-8"),
        "text/csv; charset=utf-8",
        "release-{id}-dictionary.csv",
    ),
}
# Judgement and expectation shares (survey.release_documents.shares); header only without.
_MAKERS[DocumentKind.SHARES] = (
    lambda s: ("\ufeff" + shares_csv(s.release)).encode("utf-8"),
    "text/csv; charset=utf-8",
    "release-{id}-shares.csv",
)
CACHE_SIZE = 32
_CACHE: OrderedDict[tuple[object, ...], DocumentFile] = OrderedDict()
_LOCK = threading.Lock()


def _kind(kind: str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError:
        raise NotFound(
            f"no document {kind!r}",
            [Problem(("kind",), f"use one of {', '.join(k.value for k in DocumentKind)}")],
        ) from None


def _make(source: DocumentSource, kind: DocumentKind) -> DocumentFile:
    maker, media_type, filename = _MAKERS[kind]
    release = source.release
    return DocumentFile(
        content=maker(source),
        media_type=media_type,
        filename=filename.format(id=release.id),
        sha256=release.content_sha256 or "",
    )


def release_file(
    *,
    session: Session,
    release_id: int,
    kind: str,
    scope: Scope = UNLIMITED,
    published_only: bool = False,
) -> DocumentFile:
    """The document ``kind`` (csv, xlsx, pdf, json, dictionary) of a release.

    ``published_only`` (the public site) answers :class:`NotFound` for drafts and releases
    under review; ``scope`` limits a staff account to its own rows (and to published releases).
    """
    document = _kind(kind)
    source = (
        load_published_source(session=session, release_id=release_id)
        if published_only
        else load_document_source(session=session, release_id=release_id, scope=scope)
    )
    release = source.release
    if release.status not in FROZEN_STATUSES or scope.limited:
        return _make(source, document)
    key = (release_id, document, release.content_sha256, release.status, release.superseded_by_id)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    made = _make(source, document)
    with _LOCK:
        _CACHE[key] = made
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return made
