"""Exports of fieldwork results for analysts: responses and dispositions as CSV or XLSX.

The responses file carries what analysis needs (stratum, inclusion probability, weight, agency,
province, level, procedure field, filing channel, answers) and nothing that leads back to a
person: no phone, no invitation id, no dossier code, no response id, and the completion *date*
only (a time of day could be matched against an agency's own records of who was called when).
Rows are ordered by stratum, agency and a keyed hash of the response id, not in completion order.
``stratum_population`` is the stratum's frame count N_h recorded at the draw, so the file is ready
for ``sipas analyze FILE -q sipas-service --strata stratum --fpc stratum_population --by
agency_code`` (weights N_h / respondents: the within-stratum non-response adjustment).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, col, select

from survey.campaigns import as_utc, get_campaign
from survey.dispositions import DISPOSITIONS, campaign_dispositions
from survey.draws import population_by_stratum
from survey.models import Draw, Questionnaire, Response
from survey.settings import Settings

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
    "language",
    "completed_date",
)

RATE_COLUMNS = ("rr1", "rr2", "rr3", "rr4", "coop1", "coop2", "ref1", "con1")


def _answer_codes(definition: dict[str, Any], responses: Sequence[Response]) -> list[str]:
    # Definition order first (criteria by element, then extra questions); stray keys after.
    codes = [
        criterion["code"]
        for element in definition.get("elements", [])
        for criterion in element.get("criteria", [])
    ] + [question["code"] for question in definition.get("questions", [])]
    seen = set(codes)
    extra = sorted({key for r in responses for key in r.answers} - seen)
    return codes + extra


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def response_table(
    *, session: Session, settings: Settings, campaign_id: int, include_partial: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the anonymous responses file (see the module docstring)."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    query = select(Response).where(col(Response.campaign_id) == campaign_id)
    if not include_partial:
        query = query.where(col(Response.status) == "completed")
    responses = list(session.exec(query).all())
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    definition = questionnaire.definition if questionnaire is not None else {}
    codes = _answer_codes(definition, responses)
    draw = session.get(Draw, campaign.draw_id)
    population = (population_by_stratum(draw) if draw is not None else None) or {}

    def order(response: Response) -> tuple[str, str, str]:
        digest = hmac.new(
            settings.secret_key.encode(), f"export:{response.id}".encode(), hashlib.sha256
        ).hexdigest()
        return (response.stratum, response.agency_code, digest)

    header = [*RESPONSE_COLUMNS, "status", *codes]
    rows = [
        [
            r.stratum,
            population.get(r.stratum, ""),
            r.inclusion_prob,
            r.weight,
            r.agency_code,
            r.province_code,
            r.level,
            r.procedure_field,
            r.channel,
            r.language,
            as_utc(r.completed_at).date().isoformat() if r.completed_at else "",
            r.status,
            *(_cell(r.answers.get(code, "")) for code in codes),
        ]
        for r in sorted(responses, key=order)
    ]
    return header, rows


def disposition_table(
    *, session: Session, campaign_id: int, by: str = "stratum"
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of dispositions and AAPOR rates per group."""
    groups = campaign_dispositions(session=session, campaign_id=campaign_id, by=by)
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
    return header, rows


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV text (RFC 4180, UTF-8 with a byte-order mark so Excel shows Vietnamese correctly)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]], *, sheet: str) -> bytes:
    """An XLSX workbook with one sheet."""
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet[:31]
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
