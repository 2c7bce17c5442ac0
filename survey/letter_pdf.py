"""Print-ready invitation letters as PDF: A4, the official header, addressee, QR and short link.

Each letter is one A4 page in the administrative document layout of Decree 30/2020/ND-CP
(governing body and issuing agency top left, the national motto top right, place and date,
title, body, the signer's title and name), addressed to the applicant's name and postal
address (:class:`survey.models.DossierContact`, purged after fieldwork). It carries the short
link (:mod:`survey.short_links`, 130 bits, easy to type) printed and as a QR code (segno, ISO/IEC
18004, error correction M), the deadline, the time the form takes (the figure the answer page
states, :data:`survey.questionnaires.ANSWER_MINUTES`) and the form number
(:mod:`survey.paper_forms`). The paper questionnaire (:mod:`survey.paper_questionnaire`) may
follow each letter.

WeasyPrint lays the HTML out with the DejaVu fonts (installed system fonts, embedded in the PDF
as subsets, every Vietnamese diacritic included). Batches are cut into parts of
:data:`PART_SIZE` letters so a campaign of thousands is printed part by part in bounded memory;
every part printed is recorded in the audit log (letters reveal who was sampled).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, PackageLoader, select_autoescape
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from survey.audit import SYSTEM_ACTOR, record_event
from survey.campaigns import get_campaign
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.models import (
    Campaign,
    Dossier,
    DossierContact,
    Invitation,
    Questionnaire,
    SampleUnit,
    StaffUser,
    utcnow,
)
from survey.outbox import deadline_text
from survey.paper_forms import assign_form_numbers, format_form_number
from survey.paper_questionnaire import paper_form
from survey.questionnaires import ANSWER_MINUTES
from survey.settings import Settings
from survey.short_links import format_short_code, register_short_codes, short_link
from survey.users import UNLIMITED, Scope

PART_SIZE = 200
CHANNELS = ("letter", "sms")


@dataclass(frozen=True)
class LetterHeader:
    """The official header and signature (Settings ``letter_*``, ``SIPAS_LETTER_*``)."""

    parent_agency: str
    agency: str
    place: str
    signer_title: str
    signer_name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LetterHeader:
        return cls(
            parent_agency=settings.letter_parent_agency,
            agency=settings.letter_agency,
            place=settings.letter_place,
            signer_title=settings.letter_signer_title,
            signer_name=settings.letter_signer_name,
        )


@dataclass(frozen=True)
class PrintedLetter:
    """What one letter prints (no phone: a letter never shows one)."""

    invitation_id: int
    form_number: str
    short_code: str
    link: str
    full_name: str
    postal_address: str
    agency: str
    procedure: str


@dataclass(frozen=True)
class LetterBatch:
    """How many letters a selection holds and in how many parts it prints."""

    letters: int
    parts: int
    part_size: int


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("survey", "letter_templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_data_uri(data: str, *, error: str = "m") -> str:
    """``data`` as a QR code in an SVG data URI (vector: sharp at any print resolution)."""
    return str(segno.make(data, error=error, micro=False).svg_data_uri(scale=4, border=4))


def letter_date(when: date, place: str) -> str:
    """``Hà Nội, ngày 02 tháng 12 năm 2026`` (Decree 30/2020: day and month below 10 with 0)."""
    return f"{place}, ngày {when:%d} tháng {when:%m} năm {when:%Y}"


def _selection(
    campaign_id: int,
    *,
    channel: str | None,
    invitation_ids: Sequence[int] | None,
    scope: Scope,
) -> Any:
    # Six columns: more than sqlmodel's typed select() overloads take.
    query = (
        sa_select(
            col(Invitation.id),
            col(Invitation.token_salt),
            func.coalesce(func.nullif(Dossier.agency_name, ""), Dossier.agency_code),
            func.coalesce(func.nullif(Dossier.procedure_field, ""), Dossier.procedure_code),
            col(DossierContact.full_name),
            col(DossierContact.postal_address),
        )
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .outerjoin(DossierContact, col(DossierContact.dossier_id) == col(Dossier.id))
        .where(
            col(Invitation.campaign_id) == campaign_id,
            col(Invitation.completed_at).is_(None),
            col(Invitation.opted_out_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            *scope.where(Dossier.agency_code, Dossier.province_code),
        )
        .order_by(col(Invitation.id))
    )
    if channel is not None:
        query = query.where(col(Invitation.channel) == channel)
    if invitation_ids is not None:
        query = query.where(col(Invitation.id).in_(list(invitation_ids)))
    return query


def _check_channel(channel: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput(
            f"unknown channel {channel!r}",
            [Problem(("channel",), "use letter, sms or all")],
        )


def count_letters(
    *,
    session: Session,
    campaign_id: int,
    channel: str | None = "letter",
    scope: Scope = UNLIMITED,
    part_size: int = PART_SIZE,
) -> LetterBatch:
    """How many letters the campaign would print (open invitations in scope) and in how many
    parts of ``part_size``."""
    get_campaign(session=session, campaign_id=campaign_id)
    _check_channel(channel)
    query = _selection(campaign_id, channel=channel, invitation_ids=None, scope=scope)
    n = int(session.execute(sa_select(func.count()).select_from(query.subquery())).scalar_one())
    return LetterBatch(letters=n, parts=max(1, math.ceil(n / part_size)), part_size=part_size)


def _letters(session: Session, settings: Settings, rows: Sequence[Any]) -> list[PrintedLetter]:
    ids = [int(r[0]) for r in rows]
    numbers = assign_form_numbers(session, ids)
    codes = register_short_codes(session, settings, ((int(r[0]), str(r[1])) for r in rows))
    return [
        PrintedLetter(
            invitation_id=int(invitation_id),
            form_number=numbers[int(invitation_id)],
            short_code=codes[int(invitation_id)],
            link=short_link(settings, codes[int(invitation_id)]),
            full_name=str(name or ""),
            postal_address=str(address or ""),
            agency=str(agency),
            procedure=str(procedure or ""),
        )
        for invitation_id, _salt, agency, procedure, name, address in rows
    ]


def _questionnaire(session: Session, campaign: Campaign) -> Questionnaire:
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    if questionnaire is None:  # pragma: no cover - a foreign key keeps it
        raise NotFound(f"questionnaire {campaign.questionnaire_id} does not exist")
    return questionnaire


def render_letters_html(
    *,
    campaign: Campaign,
    letters: Sequence[PrintedLetter],
    header: LetterHeader,
    deadline: str,
    today: date,
    with_form: bool = False,
) -> str:
    """The HTML of the letters, one A4 page each (``with_form``: the letter mentions the paper
    form sent with it)."""
    return (
        _templates()
        .get_template("letters.html")
        .render(
            campaign=campaign,
            form=with_form,
            letters=[
                {
                    "letter": letter,
                    "qr": qr_data_uri(letter.link),
                    "form_number": format_form_number(letter.form_number),
                    "short_code": format_short_code(letter.short_code),
                }
                for letter in letters
            ],
            header=header,
            deadline=deadline,
            minutes=ANSWER_MINUTES,
            dated=letter_date(today, header.place),
        )
    )


def render_form_html(*, campaign: Campaign, questionnaire: Questionnaire, deadline: str) -> str:
    """The HTML of the paper questionnaire, its top margin left free for the stamps."""
    return (
        _templates()
        .get_template("paper_form_doc.html")
        .render(campaign=campaign, form=paper_form(questionnaire.definition), deadline=deadline)
    )


def render_stamps_html(form_numbers: Sequence[str], pages: int) -> str:
    """One page per form page: the form number and its QR code, for the form's top margin."""
    stamps = []
    for number in form_numbers:
        stamp = {"qr": qr_data_uri(number, error="h"), "number": format_form_number(number)}
        stamps.extend([stamp] * pages)
    return _templates().get_template("form_stamps.html").render(stamps=stamps)


def compose_letters_pdf(
    *,
    campaign: Campaign,
    questionnaire: Questionnaire | None,
    letters: Sequence[PrintedLetter],
    header: LetterHeader,
    deadline: str,
    today: date,
) -> bytes:
    """The letters as one PDF, each followed by its copy of the paper form when
    ``questionnaire`` is given.

    The questionnaire is the same for everyone, so it is laid out once and copied after each
    letter with that letter's form number stamped on every page (pypdf ``merge_page``): laying
    out a 3-page form with WeasyPrint takes seconds, copying it milliseconds.
    """
    letters_pdf = html_to_pdf(
        render_letters_html(
            campaign=campaign,
            letters=letters,
            header=header,
            deadline=deadline,
            today=today,
            with_form=questionnaire is not None,
        )
    )
    if questionnaire is None or not letters:
        return letters_pdf
    letter_pages = PdfReader(io.BytesIO(letters_pdf)).pages
    if len(letter_pages) != len(letters):  # pragma: no cover - the layout keeps one a page
        raise RuntimeError(f"{len(letters)} letters laid out on {len(letter_pages)} pages")
    form_pages = PdfReader(
        io.BytesIO(
            html_to_pdf(
                render_form_html(campaign=campaign, questionnaire=questionnaire, deadline=deadline)
            )
        )
    ).pages
    stamps = PdfReader(
        io.BytesIO(
            html_to_pdf(render_stamps_html([x.form_number for x in letters], len(form_pages)))
        )
    ).pages
    writer = PdfWriter()
    for i, letter_page in enumerate(letter_pages):
        writer.add_page(letter_page)
        for j, form_page in enumerate(form_pages):
            # The form is drawn onto this copy's own stamp page: the writer keeps one object per
            # source page, so the shared form pages must never be the ones that change.
            copy = writer.add_page(stamps[i * len(form_pages) + j])
            copy.merge_page(form_page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def html_to_pdf(html: str) -> bytes:
    """Lay ``html`` out as PDF with WeasyPrint (fonts from the system: DejaVu, embedded)."""
    from weasyprint import HTML  # imported late: it loads Pango, which commands do not need

    return bytes(HTML(string=html, base_url=".").write_pdf())


def print_letters(
    *,
    session: Session,
    settings: Settings,
    campaign_id: int,
    channel: str | None = "letter",
    invitation_ids: Sequence[int] | None = None,
    part: int = 1,
    part_size: int = PART_SIZE,
    with_form: bool = True,
    scope: Scope = UNLIMITED,
    actor: StaffUser | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """One part of the campaign's letters as a PDF (committed: form numbers, short links and
    the audit event).

    Parameters
    ----------
    channel
        ``"letter"`` (invitations without a phone), ``"sms"`` or ``None`` for all.
    invitation_ids
        Only these invitations (one letter: a single id).
    part, part_size
        Which slice of ``part_size`` letters, from 1 (:func:`count_letters` gives the parts).
    with_form
        Print the paper questionnaire after each letter.
    scope
        A scoped coordinator prints only the letters of their agencies or provinces.

    Completed, opted-out and revoked invitations get no letter.

    Raises
    ------
    InvalidInput
        For a part number out of range or an unknown channel.
    Conflict
        When the campaign's contacts were purged.
    NotFound
        When one invitation was asked for and it has no letter to print (unknown, in another
        campaign, out of scope, completed, opted out or revoked).
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    _check_channel(channel)
    if campaign.contact_purged_at is not None:
        raise Conflict(
            f"campaign {campaign_id}'s contacts were purged after fieldwork; no letter can be "
            "printed",
            [Problem(("campaign_id",), "letters are printed during fieldwork only")],
        )
    if part < 1:
        raise InvalidInput("parts are numbered from 1", [Problem(("part",), "use 1 or more")])
    query = _selection(campaign_id, channel=channel, invitation_ids=invitation_ids, scope=scope)
    rows = session.execute(query.offset((part - 1) * part_size).limit(part_size)).all()
    if not rows and invitation_ids is not None:
        raise NotFound(
            "no letter to print for this invitation",
            [
                Problem(
                    ("invitation_id",),
                    "it is not in this campaign or your scope, or it was completed, opted out "
                    "or revoked",
                )
            ],
        )
    if not rows and part > 1:
        raise InvalidInput(
            f"part {part} is empty", [Problem(("part",), "ask count_letters for the parts")]
        )
    letters = _letters(session, settings, rows)
    now = now or utcnow()
    questionnaire = _questionnaire(session, campaign) if with_form else None
    # Letters name who was sampled: printing is recorded, with counts, never names or links.
    record_event(
        session=session,
        action="letters.printed",
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        target=f"campaign:{campaign_id}",
        details={
            "letters": len(letters),
            "channel": channel or "all",
            "part": part,
            "format": "pdf",
            "with_form": with_form,
        },
        address=address,
    )
    session.commit()
    return compose_letters_pdf(
        campaign=campaign,
        questionnaire=questionnaire,
        letters=letters,
        header=LetterHeader.from_settings(settings),
        deadline=deadline_text(campaign, settings),
        today=now.astimezone(ZoneInfo(settings.timezone)).date(),
    )
