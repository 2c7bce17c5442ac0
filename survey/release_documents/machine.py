"""The release as machine-readable JSON: the hashed content, the review, the method, the columns.

``content`` is exactly what the release's SHA-256 covers (:func:`survey.release_hashing.
release_content`), so a reader can check the citation with any JSON library: the SHA-256 of
:func:`survey.release_hashing.canonical_json` of ``content`` equals ``content_sha256`` (for a
submitted or published release read in full; an account limited to some agencies gets its own
rows only, which then no longer hash to it).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from survey.release_documents.dictionary import dictionary_records
from survey.release_documents.league import document_leagues
from survey.release_documents.method import method_facts
from survey.release_documents.shares import has_shares, shares_dictionary_records
from survey.release_documents.source import DocumentSource
from survey.release_hashing import FORMAT, release_content

DOCUMENT_FORMAT = "sipas-release-document/1"


def release_document(source: DocumentSource) -> dict[str, Any]:
    """The JSON document as a dict (see the module docstring)."""
    r = source.release
    return {
        "document_format": DOCUMENT_FORMAT,
        "hash_format": FORMAT,
        "id": r.id,
        "name": r.name,
        "campaign_id": r.campaign_id,
        "campaign_name": source.campaign_name,
        "period": None
        if source.period is None
        else {"start": source.period[0].isoformat(), "end": source.period[1].isoformat()},
        "version": r.version,
        "status": r.status,
        "content_sha256": r.content_sha256,
        "supersedes_id": r.supersedes_id,
        "superseded_by_id": r.superseded_by_id,
        "superseded_at": None if r.superseded_at is None else r.superseded_at.isoformat(),
        "steps": [{"step": s.step, "by": s.by, "at": s.at.isoformat()} for s in source.steps],
        "labels": {lang: dict(labels) for lang, labels in source.node_labels.items()},
        "method": [asdict(f) for f in method_facts(source)],
        "csv_dictionary": dictionary_records(percent=source.percent, by=source.by),
        "content": release_content(r),
        # The rankings as practised: blocks, bands, top and bottom five, not-ranked units.
        "leagues": document_leagues(source),
        # The columns of shares.csv, for a release that publishes judgement/expectation shares.
        **(
            {"shares_csv_dictionary": shares_dictionary_records(source.by)} if has_shares(r) else {}
        ),
    }


def release_json(source: DocumentSource) -> str:
    """The document as UTF-8 JSON text (Vietnamese kept as is, not escaped)."""
    return json.dumps(release_document(source), ensure_ascii=False, indent=1, allow_nan=False)
