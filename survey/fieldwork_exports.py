"""Exports of fieldwork results for analysts: responses and dispositions as CSV or XLSX.

The responses file carries what analysis needs (stratum, inclusion probability, weight, agency,
province, level, procedure field, filing channel, answers) and nothing that leads back to a
person: no phone, no invitation id, no dossier code, no response id, and the completion *month*
only. It passes the disclosure rule (:mod:`survey.disclosure`, k = 5): its columns shared with
the sample export are shown only in combinations that hold at least five respondents; otherwise
``completed_month``, then ``procedure_field``, ``channel`` and ``level`` read ``*`` for the whole
group, and rows of a stratum/weight/agency/province group of fewer than five are left out. The
XLSX file has a ``notes`` sheet saying how many rows were generalised or left out.
Rows are ordered by stratum, agency and a keyed hash of the response id, not in completion order.
``stratum_population`` is the stratum's frame count N_h recorded at the draw, so the file is ready
for ``sipas analyze FILE -q sipas-service --strata stratum --fpc stratum_population --by
agency_code`` (weights N_h / respondents: the within-stratum non-response adjustment).

Every cell goes through :func:`survey.spreadsheet_cells.safe_cell`, so a free-text answer or an
imported value cannot run as a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, col, select

from survey.audit import SYSTEM_ACTOR, record_event
from survey.backchecks import excluded_count, not_excluded
from survey.campaigns import get_campaign
from survey.disclosure import GENERALISED, K, k_anonymise
from survey.dispositions import DISPOSITIONS, campaign_dispositions
from survey.draws import population_by_stratum
from survey.models import Draw, Questionnaire, Response, StaffUser
from survey.settings import Settings
from survey.spreadsheet_cells import safe_row
from survey.users import UNLIMITED, Scope

RESPONSE_COLUMNS = (
    "stratum",
    "stratum_population",
    "inclusion_prob",
    "weight",
    "agency_code",
    "province_code",
    "level",
    "procedure_field",
    "channel",
    "mode",
    "language",
    "completed_month",
)
# Quasi-identifiers: the responses file's columns another role can also download (the sample
# export has the design and dossier columns; coordinators know who responded and roughly when).
# The base columns are kept as they are (estimation and the releases' domains need them);
# the others are refined in this order, so the last one is the first to read "*".
QUASI_IDENTIFIER_BASE = (
    "status",
    "stratum",
    "inclusion_prob",
    "weight",
    "agency_code",
    "province_code",
)
# ``mode`` too: staff know which invitations were keyed from paper or interviewed.
QUASI_IDENTIFIER_REFINE = ("level", "channel", "procedure_field", "completed_month", "mode")

RATE_COLUMNS = ("rr1", "rr2", "rr3", "rr4", "coop1", "coop2", "ref1", "con1")


@dataclass(frozen=True)
class _AnswerColumn:
    """One column of answers: the answer key it reads and, for a 0/1 column, the option."""

    name: str
    key: str
    flag: str | None = None  # 0/1: is ``flag`` chosen (multiple) / is the row "yes" (grid)


def _answer_columns(
    definition: dict[str, Any], responses: Sequence[Response]
) -> list[_AnswerColumn]:
    """Definition order (criteria by element, then questions); stray keys after.

    Single choice, band, priority rows and free text: one column with the option code (or the
    text). Multiple choice: one 0/1 column ``<question>__<option>`` per option. Yes/no grid:
    one 0/1 column per row (1 = yes). Blank = not answered (or not asked)."""
    columns = [
        _AnswerColumn(criterion["code"], criterion["code"])
        for element in definition.get("elements", [])
        for criterion in element.get("criteria", [])
    ]
    for question in definition.get("questions", []):
        code, kind = question["code"], question.get("type")
        if kind == "multiple":
            columns.extend(
                _AnswerColumn(f"{code}__{o['code']}", code, o["code"]) for o in question["options"]
            )
        elif kind == "yesno_grid":
            columns.extend(_AnswerColumn(r["code"], r["code"], "yes") for r in question["rows"])
        elif kind == "priority":
            columns.extend(_AnswerColumn(r["code"], r["code"]) for r in question["rows"])
        else:
            columns.append(_AnswerColumn(code, code))
    seen = {c.key for c in columns}
    extra = sorted({key for r in responses for key in r.answers} - seen)
    return columns + [_AnswerColumn(key, key) for key in extra]


def _answer_cell(answers: dict[str, Any], column: _AnswerColumn) -> Any:
    value = answers.get(column.key)
    if value is None or value == "":
        return ""
    if column.flag is not None:
        chosen = value if isinstance(value, list) else [value]
        return 1 if column.flag in chosen else 0
    if isinstance(value, list):  # a stray key the definition does not describe
        return ";".join(str(v) for v in value)
    return value


@dataclass(frozen=True)
class ResponseExport:
    """The anonymous responses file: header, rows and what the disclosure rule did."""

    header: list[str]
    rows: list[list[Any]]
    respondents: int
    suppressed: int
    generalised: dict[str, int] = field(default_factory=dict)
    k: int = K
    excluded: int = 0  # left out after a failed back-check (survey.backchecks)

    def notes(self) -> list[list[str]]:
        """Lines of the ``notes`` sheet, Vietnamese then English."""
        hidden = ", ".join(f"{c} ({n})" for c, n in self.generalised.items()) or "-"
        return [
            ["vi", "en"],
            [
                f"Quy tắc công bố: mỗi tổ hợp cột cũng có trong file mẫu ứng với ít nhất "
                f"{self.k} người trả lời.",
                f"Disclosure rule: every combination of the columns also found in the sample "
                f"export matches at least {self.k} respondents.",
            ],
            [
                f"Số dòng bị lược bỏ (nhóm dưới {self.k} người): {self.suppressed} trên "
                f"{self.respondents}.",
                f"Rows left out (groups of fewer than {self.k}): {self.suppressed} of "
                f"{self.respondents}.",
            ],
            [
                f"Cột được thay bằng “{GENERALISED}” (số dòng): {hidden}.",
                f"Columns shown as “{GENERALISED}” (rows): {hidden}.",
            ],
            [
                f"Phiếu bị loại sau phúc tra (không có trong file, không tính vào chỉ số): "
                f"{self.excluded}.",
                f"Forms excluded after a failed back-check (not in the file, not in any index): "
                f"{self.excluded}.",
            ],
        ]


def _month_text(response: Response) -> str:
    return response.completed_month.strftime("%Y-%m") if response.completed_month else ""


def response_export(
    *,
    session: Session,
    settings: Settings,
    campaign_id: int,
    include_partial: bool = False,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> ResponseExport:
    """The anonymous responses file after the disclosure rule (see the module docstring).

    The download is recorded in the audit log (who, when, how many rows) and committed.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    query = select(Response).where(
        col(Response.campaign_id) == campaign_id, not_excluded(Response.id)
    )
    if not include_partial:
        query = query.where(col(Response.status) == "completed")
    responses = list(session.exec(query).all())
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    definition = questionnaire.definition if questionnaire is not None else {}
    columns = _answer_columns(definition, responses)
    draw = session.get(Draw, campaign.draw_id)
    population = (population_by_stratum(draw) if draw is not None else None) or {}

    def order(response: Response) -> tuple[str, str, str]:
        digest = hmac.new(
            settings.secret_key.encode(), f"export:{response.id}".encode(), hashlib.sha256
        ).hexdigest()
        return (response.stratum, response.agency_code, digest)

    ordered = sorted(responses, key=order)
    quasi = [
        {
            "status": r.status,
            "stratum": r.stratum,
            "inclusion_prob": r.inclusion_prob,
            "weight": r.weight,
            "agency_code": r.agency_code,
            "province_code": r.province_code,
            "level": r.level,
            "channel": r.channel,
            "procedure_field": r.procedure_field,
            "completed_month": _month_text(r),
            "mode": r.mode,
        }
        for r in ordered
    ]
    rule = k_anonymise(quasi, base=QUASI_IDENTIFIER_BASE, refine=QUASI_IDENTIFIER_REFINE)
    header = [*RESPONSE_COLUMNS, "status", *(c.name for c in columns)]
    rows: list[list[Any]] = []
    for r, values, hidden in zip(ordered, quasi, rule.hidden, strict=True):
        if hidden is None:
            continue
        shown = {c: GENERALISED if c in hidden else v for c, v in values.items()}
        rows.append(
            [
                r.stratum,
                population.get(r.stratum, ""),
                r.inclusion_prob,
                r.weight,
                r.agency_code,
                r.province_code,
                shown["level"],
                shown["procedure_field"],
                shown["channel"],
                shown["mode"],
                r.language,
                shown["completed_month"],
                r.status,
                *(_answer_cell(r.answers, column) for column in columns),
            ]
        )
    record_event(
        session=session,
        action="export.responses",
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        target=f"campaign:{campaign_id}",
        details={"rows": len(rows), "include_partial": include_partial},
        address=address,
    )
    session.commit()
    return ResponseExport(
        header=header,
        rows=rows,
        respondents=len(ordered),
        suppressed=rule.suppressed,
        generalised=rule.generalised,
        k=rule.k,
        excluded=excluded_count(session=session, campaign_id=campaign_id),
    )


def response_table(
    *, session: Session, settings: Settings, campaign_id: int, include_partial: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the anonymous responses file (:func:`response_export`)."""
    export = response_export(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        include_partial=include_partial,
    )
    return export.header, export.rows


def disposition_table(
    *,
    session: Session,
    campaign_id: int,
    by: str = "stratum",
    scope: Scope = UNLIMITED,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of dispositions and AAPOR rates per group (the scope's cases only);
    the download is recorded in the audit log and committed."""
    groups = campaign_dispositions(session=session, campaign_id=campaign_id, by=by, scope=scope)
    header = [by, "cases", *DISPOSITIONS, *RATE_COLUMNS]
    rows = [
        [
            g.group,
            g.cases,
            *(g.counts[d] for d in DISPOSITIONS),
            *(getattr(g.rates, rate) for rate in RATE_COLUMNS),
        ]
        for g in groups
    ]
    record_event(
        session=session,
        action="export.dispositions",
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        target=f"campaign:{campaign_id}",
        details={"by": by, "rows": len(rows), "scoped": scope.limited},
        address=address,
    )
    session.commit()
    return header, rows


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV text (RFC 4180, UTF-8 with a byte-order mark so Excel shows Vietnamese correctly);
    formula-like text is neutralised (:mod:`survey.spreadsheet_cells`)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerows(safe_row("" if v is None else v for v in row) for row in rows)
    return buffer.getvalue()


def to_xlsx(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    sheet: str,
    notes: Sequence[Sequence[str]] = (),
) -> bytes:
    """An XLSX workbook with one sheet (plus a ``notes`` sheet when ``notes`` are given);
    formula-like text is written as text cells, never as formulas."""
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet[:31]
    worksheet.append(safe_row(header))
    for row in rows:
        worksheet.append(safe_row(row))
    if notes:
        notes_sheet = workbook.create_sheet("notes")
        for line in notes:
            notes_sheet.append(safe_row(line))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
