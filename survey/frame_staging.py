"""Uploaded frame files kept for a moment while the coordinator matches their columns to fields.

A web upload whose header the platform cannot read alone (a required field missing, or columns it
does not recognise) is not lost: the file is *staged* under a random id (128 bits,
:func:`secrets.token_urlsafe`), with who uploaded it and what they typed (frame name, period,
"import the valid rows"), and the coordinator is shown a mapping form. Submitting the form imports
the staged file (:func:`import_staged_upload`) and removes it. A staged file

- is used only by the account that uploaded it (anyone else gets "not found", so an id does not
  even confirm that an upload exists);
- lives in a folder readable by the service's user only (mode 0700) and is never served;
- is removed after the import, or after :data:`STAGING_LIFETIME` by :func:`sweep_staged_uploads`,
  which every new staging runs (an abandoned form leaves nothing behind for long).

It holds applicants' phones, names and addresses, like the upload itself: the same care as
``docs/privacy.md`` asks of the import's temporary copy.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Engine

from survey.errors import InvalidInput, NotFound, Problem
from survey.frame_files import read_frame_header, resolve_columns, unknown_headers
from survey.frames import ImportReport, import_frame

STAGING_LIFETIME = timedelta(hours=1)
DEFAULT_STAGING_ROOT = Path(tempfile.gettempdir()) / "sipas-staged-frames"
_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_META = "upload.json"


@dataclass(frozen=True)
class StagedUpload:
    """A staged frame file and what its uploader asked for."""

    staging_id: str
    owner_id: int
    filename: str  # as the coordinator knows it; the server's copy is ``path``
    name: str
    period_start: date | None
    period_end: date | None
    accept_valid_rows: bool
    created_at: datetime
    headers: tuple[str, ...]
    path: Path

    @property
    def needs_mapping(self) -> bool:
        """Whether the coordinator must match columns to fields: a required field has no
        recognised column, or some column is not recognised."""
        if unknown_headers(self.headers):
            return True
        try:
            resolve_columns(self.headers, None)
        except InvalidInput:
            return True
        return False


def _folder(root: Path, staging_id: str) -> Path | None:
    # Only ids of our own shape become paths: nothing sent can name another folder.
    return root / staging_id if _ID.fullmatch(staging_id) else None


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def stage_upload(
    *,
    root: Path = DEFAULT_STAGING_ROOT,
    source: BinaryIO,
    filename: str,
    owner_id: int,
    name: str,
    period_start: date | None = None,
    period_end: date | None = None,
    accept_valid_rows: bool = False,
    now: datetime | None = None,
) -> StagedUpload:
    """Keep an uploaded file under a new random id and read its header row.

    ``filename`` is the upload's display name (its suffix, ``.csv`` or ``.xlsx``, is kept for
    the reader). Staging first sweeps files older than :data:`STAGING_LIFETIME`.

    Raises
    ------
    InvalidInput
        When the file cannot be read at all (damaged, empty, not UTF-8): nothing is kept.
    """
    sweep_staged_uploads(root=root, now=now)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging_id = secrets.token_urlsafe(16)
    folder = root / staging_id
    folder.mkdir(mode=0o700)
    suffix = Path(filename).suffix.lower()
    path = folder / ("upload" + (suffix if suffix in (".csv", ".xlsx", ".txt") else ""))
    try:
        with path.open("wb") as handle:
            shutil.copyfileobj(source, handle)
        path.chmod(0o600)
        headers = tuple(read_frame_header(path, display_name=filename))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    staged = StagedUpload(
        staging_id=staging_id,
        owner_id=owner_id,
        filename=filename,
        name=name,
        period_start=period_start,
        period_end=period_end,
        accept_valid_rows=accept_valid_rows,
        created_at=_now(now),
        headers=headers,
        path=path,
    )
    meta = {
        "owner_id": owner_id,
        "filename": filename,
        "name": name,
        "period_start": period_start.isoformat() if period_start else None,
        "period_end": period_end.isoformat() if period_end else None,
        "accept_valid_rows": accept_valid_rows,
        "created_at": staged.created_at.isoformat(),
        "headers": list(headers),
        "file": path.name,
    }
    (folder / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return staged


def _not_found(staging_id: str) -> NotFound:
    return NotFound(
        "no such uploaded file",
        [
            Problem(
                ("staging_id",),
                f"the uploaded file {staging_id[:32]!r} is not kept for your account: it was "
                "imported already, was kept longer than an hour, or another account uploaded "
                "it; upload the file again",
            )
        ],
    )


def _read(folder: Path) -> StagedUpload | None:
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        return StagedUpload(
            staging_id=folder.name,
            owner_id=int(meta["owner_id"]),
            filename=str(meta["filename"]),
            name=str(meta["name"]),
            period_start=date.fromisoformat(meta["period_start"]) if meta["period_start"] else None,
            period_end=date.fromisoformat(meta["period_end"]) if meta["period_end"] else None,
            accept_valid_rows=bool(meta["accept_valid_rows"]),
            created_at=datetime.fromisoformat(meta["created_at"]),
            headers=tuple(str(h) for h in meta["headers"]),
            path=folder / str(meta["file"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def get_staged_upload(
    *,
    root: Path = DEFAULT_STAGING_ROOT,
    staging_id: str,
    owner_id: int,
    now: datetime | None = None,
) -> StagedUpload:
    """The staged upload ``staging_id`` of the account ``owner_id``.

    Raises
    ------
    NotFound
        When there is none: never staged, imported, expired, or another account's.
    """
    folder = _folder(root, staging_id)
    staged = _read(folder) if folder is not None else None
    if (
        staged is None
        or staged.owner_id != owner_id
        or _now(now) - staged.created_at > STAGING_LIFETIME
        or not staged.path.is_file()
    ):
        raise _not_found(staging_id)
    return staged


def discard_staged_upload(*, root: Path = DEFAULT_STAGING_ROOT, staging_id: str) -> None:
    """Remove a staged upload (nothing happens when it is gone already)."""
    folder = _folder(root, staging_id)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_staged_uploads(*, root: Path = DEFAULT_STAGING_ROOT, now: datetime | None = None) -> int:
    """Remove staged uploads older than :data:`STAGING_LIFETIME` (and unreadable leftovers of
    that age); returns how many were removed."""
    if not root.is_dir():
        return 0
    cutoff = _now(now) - STAGING_LIFETIME
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir() or not _ID.fullmatch(folder.name):
            continue
        staged = _read(folder)
        if staged is not None:
            created = staged.created_at
        else:
            try:
                created = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
            except OSError:
                continue
        if created < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def import_staged_upload(
    *,
    engine: Engine,
    root: Path = DEFAULT_STAGING_ROOT,
    staging_id: str,
    owner_id: int,
    column_map: Mapping[str, str],
    aliases: bool = True,
    now: datetime | None = None,
) -> ImportReport:
    """Import a staged file with the coordinator's ``{file column: field}`` choices (the whole
    choice when ``aliases`` is false, as from the mapping form), then remove it. When the
    columns still do not give a frame (:class:`InvalidInput` before any row is read) the file
    stays staged, so the form can be corrected and sent again.

    Raises
    ------
    NotFound
        As :func:`get_staged_upload`.
    InvalidInput
        As :func:`survey.frames.import_frame`.
    """
    staged = get_staged_upload(root=root, staging_id=staging_id, owner_id=owner_id, now=now)
    try:
        report = import_frame(
            engine=engine,
            source=staged.path,
            name=staged.name,
            column_map=column_map,
            accept_valid_rows=staged.accept_valid_rows,
            created_by=owner_id,
            source_filename=staged.filename,
            period_start=staged.period_start,
            period_end=staged.period_end,
            aliases=aliases,
        )
    except InvalidInput as error:
        if any(p.loc[:1] in (("header",), ("column_map",)) for p in error.problems):
            raise
        discard_staged_upload(root=root, staging_id=staging_id)
        raise
    discard_staged_upload(root=root, staging_id=staging_id)
    return report
