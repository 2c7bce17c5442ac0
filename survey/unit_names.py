"""Names of the units a frame codes: agencies as the agency's own file names them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from survey.models.designs import Design, Draw
from survey.models.fieldwork import Campaign
from survey.models.frames import Dossier


def agency_names(*, session: Session, frame_id: int) -> dict[str, str]:
    """Agency code -> name as given in the frame (the most common spelling; blank ones left out)."""
    rows = session.exec(
        select(Dossier.agency_code, Dossier.agency_name)
        .where(Dossier.frame_id == frame_id, col(Dossier.agency_name) != "")
        .distinct()
        .order_by(Dossier.agency_code, Dossier.agency_name)
    ).all()
    names: dict[str, str] = {}
    for code, name in rows:
        # Sorted, so a code with several spellings keeps one stable name.
        names.setdefault(code, name)
    return names


def campaign_units(*, session: Session, campaign_id: int) -> tuple[list[str], dict[str, str]]:
    """The stratification columns of a campaign's design and its frame's agency names."""
    row = session.exec(
        select(Design.frame_id, Design.stratify_by)
        .join(Draw, col(Draw.design_id) == col(Design.id))
        .join(Campaign, col(Campaign.draw_id) == col(Draw.id))
        .where(Campaign.id == campaign_id)
    ).first()
    if row is None:
        return [], {}
    frame_id, columns = row
    return list(columns), agency_names(session=session, frame_id=frame_id)
