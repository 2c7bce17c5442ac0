"""Bounded parameter types: every id, offset, limit and text the API reads has a range.

Without them a number past 2**63 (or past 2**31 for a 32-bit key on PostgreSQL) or a text longer
than its column reaches the database and comes back as a 500; with them it is a 422 naming the
parameter. The bounds follow the columns (``survey/models``):

- frames, designs, draws, questionnaires, campaigns, releases and staff users have ``INTEGER``
  keys (32-bit on PostgreSQL): :data:`INT32_MAX`;
- dossiers, sample units, invitations, messages and responses have ``BIGINT`` keys, and
  offsets are ``BIGINT`` in SQL: :data:`INT64_MAX`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import Field

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def _path_id(what: str) -> Any:
    # One example per id, so the fuzzer (and the reader of /docs) tries an id that may exist.
    return Path(ge=1, le=INT32_MAX, description=f"the {what}'s id", examples=[1])


def _query_id(what: str) -> Any:
    return Query(ge=1, le=INT32_MAX, description=f"only those of this {what}")


FrameId = Annotated[int, _path_id("frame")]
DesignId = Annotated[int, _path_id("design")]
DrawId = Annotated[int, _path_id("draw")]
CampaignId = Annotated[int, _path_id("campaign")]
QuestionnaireId = Annotated[int, _path_id("questionnaire")]
ReleaseId = Annotated[int, _path_id("release")]

FrameFilter = Annotated[int | None, _query_id("frame")]
DesignFilter = Annotated[int | None, _query_id("design")]
CampaignFilter = Annotated[int | None, _query_id("campaign")]

Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="rows to skip")]

# Fields of request bodies.
Id32 = Annotated[int, Field(ge=1, le=INT32_MAX)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def limit_query(maximum: int) -> Any:
    """``limit``: a page of at most ``maximum`` rows."""
    return Query(ge=1, le=maximum, description=f"rows per page (at most {maximum:,})")


def choice_query(choices: tuple[str, ...], description: str) -> Any:
    """A text query parameter that must be one of ``choices``."""
    pattern = "^(" + "|".join(choices) + ")$"
    return Query(pattern=pattern, max_length=max(len(c) for c in choices), description=description)


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a download, published with the file types it may have."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    # A JSON download is a document clients parse: publish it as an object, not as bytes.
    document = {"schema": {"type": "object"}}
    content = {m: document if m.endswith("json") else binary for m in media_types}
    return {200: {"description": "the file", "content": content}}
