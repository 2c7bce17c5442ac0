"""Frame import pages beyond the upload form: the column-mapping form and the problems download.

When an uploaded file's header does not give a frame by itself, the upload
(:func:`api.pages.coordinator.upload`) stages the file (:mod:`survey.frame_staging`) and sends
the coordinator here: a form listing every platform field, its Vietnamese name and a ``<select>``
of the file's own headers (pre-selected where recognised). Sending it imports the staged file.
No JavaScript; the staff form token on every POST; errors in the summary and beside the field.

The problems download gives every stored problem as CSV or XLSX in the coordinator's language,
with the same scope as the report page: coordinators (a scoped one: their rows), never analysts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.engine import Engine

from api.deps import AddressDep, SessionDep, SettingsDep, get_engine
from api.i18n import choose_language, frame_import_texts
from api.pages.coordinator import FormDep, StaffRoute, check_form_token, error_context, render
from api.policy import AsCoordinator, AsNationalCoordinator, Caller
from api.problem_text import problem_sheet_words, problem_text
from survey.errors import InvalidInput, Problem
from survey.frame_files import (
    CONTACT_FIELDS,
    FIELDS,
    REQUIRED_FIELDS,
    recognised_columns,
    unknown_headers,
)
from survey.frame_problem_exports import ProblemFormat, export_frame_problems
from survey.frame_staging import StagedUpload, get_staged_upload, import_staged_upload
from survey.settings import Settings

router = APIRouter(route_class=StaffRoute, include_in_schema=False)
EngineDep = Annotated[Engine, Depends(get_engine)]
MAPPABLE_FIELDS: tuple[str, ...] = (*FIELDS, *CONTACT_FIELDS)
StagingId = Annotated[str, PathParam(min_length=1, max_length=64)]


def mapping_url(staging_id: str) -> str:
    return f"/staff/frames/mapping/{staging_id}"


def _field_rows(staged: StagedUpload, chosen: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    words = frame_import_texts(lang)
    return [
        {
            "field": field,
            "label": words[f"field_{field}"],
            "required": field in REQUIRED_FIELDS,
            "chosen": chosen.get(field, ""),
        }
        for field in MAPPABLE_FIELDS
    ]


def _mapping_page(
    request: Request,
    caller: Caller,
    settings: Settings,
    staged: StagedUpload,
    chosen: Mapping[str, str],
    *,
    problems: Sequence[Problem] = (),
    status_code: int = 200,
) -> Response:
    lang = choose_language(request)
    fields = [f"map_{f}" for f in MAPPABLE_FIELDS]
    errors, links = error_context(
        [Problem(p.loc, problem_text(p.msg, lang)) for p in problems], fields
    )
    return render(
        request,
        "coordinator/frame_mapping.html",
        {
            "m": frame_import_texts(lang),
            "staged": staged,
            "headers": list(enumerate(staged.headers)),
            "unknown": unknown_headers(staged.headers),
            "rows": _field_rows(staged, chosen, lang),
            "errors": errors,
            "error_links": links,
        },
        user=caller,
        settings=settings,
        status_code=status_code,
    )


@router.get("/staff/frames/mapping/{staging_id}")
def mapping_form(
    staging_id: StagingId, request: Request, caller: AsNationalCoordinator, settings: SettingsDep
) -> Response:
    staged = get_staged_upload(staging_id=staging_id, owner_id=_owner(caller))
    recognised = recognised_columns(staged.headers)
    chosen = {field: str(position) for field, position in recognised.items()}
    return _mapping_page(request, caller, settings, staged, chosen)


def _owner(caller: Caller) -> int:
    assert caller.id is not None
    return caller.id


def read_mapping(
    form: Mapping[str, Any], headers: Sequence[str], lang: str
) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """The form's choices as ``{field: position}`` (to show again), ``{header: field}`` (for the
    importer) and the problems, each naming its ``map_<field>`` select."""
    words = frame_import_texts(lang)
    chosen: dict[str, str] = {}
    column_map: dict[str, str] = {}
    taken: dict[int, str] = {}
    problems: list[Problem] = []
    for field in MAPPABLE_FIELDS:
        key = f"map_{field}"
        value = str(form.get(key) or "").strip()
        if not value:
            if field in REQUIRED_FIELDS:
                problems.append(
                    Problem((key,), words["mapping_missing"].format(field=words[f"field_{field}"]))
                )
            continue
        chosen[field] = value
        if not value.isdigit() or int(value) >= len(headers):
            problems.append(Problem((key,), words["mapping_bad_choice"]))
            continue
        position = int(value)
        if position in taken:
            other = words[f"field_{taken[position]}"]
            problems.append(
                Problem(
                    (key,), words["mapping_twice"].format(column=headers[position], other=other)
                )
            )
            continue
        taken[position] = field
        column_map[headers[position]] = field
    return chosen, column_map, problems


@router.post("/staff/frames/mapping/{staging_id}")
def mapping_submit(
    staging_id: StagingId,
    request: Request,
    form: FormDep,
    caller: AsNationalCoordinator,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    check_form_token(request, form, settings)
    staged = get_staged_upload(staging_id=staging_id, owner_id=_owner(caller))
    chosen, column_map, problems = read_mapping(form, staged.headers, choose_language(request))
    if not problems:
        try:
            report = import_staged_upload(
                engine=engine,
                staging_id=staging_id,
                owner_id=_owner(caller),
                column_map=column_map,
                # The form lists every field: a column it leaves out is not read.
                aliases=False,
            )
        except InvalidInput as error:
            if not any(p.loc[:1] in (("header",), ("column_map",)) for p in error.problems):
                raise
            problems = list(error.problems)
        else:
            return Response(
                status_code=303, headers={"Location": f"/staff/frames/{report.frame_id}"}
            )
    return _mapping_page(
        request, caller, settings, staged, chosen, problems=problems, status_code=422
    )


def _download(
    frame_id: int,
    fmt: ProblemFormat,
    request: Request,
    caller: Caller,
    session: SessionDep,
    address: str | None,
) -> StreamingResponse:
    lang = choose_language(request)
    export = export_frame_problems(
        session=session,
        frame_id=frame_id,
        fmt=fmt,
        words=problem_sheet_words(lang),
        translate=lambda message: problem_text(message, lang),
        viewer=caller.user,
        scope=caller.scope,
        address=address,
    )
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


# Two routes, not one ``problems.{fmt}``: each URL names its file type, as the links do.
@router.get("/staff/frames/{frame_id}/problems.csv")
def download_problems_csv(
    frame_id: int, request: Request, caller: AsCoordinator, session: SessionDep, address: AddressDep
) -> StreamingResponse:
    return _download(frame_id, "csv", request, caller, session, address)


@router.get("/staff/frames/{frame_id}/problems.xlsx")
def download_problems_xlsx(
    frame_id: int, request: Request, caller: AsCoordinator, session: SessionDep, address: AddressDep
) -> StreamingResponse:
    return _download(frame_id, "xlsx", request, caller, session, address)
