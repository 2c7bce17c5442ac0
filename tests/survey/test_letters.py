"""Printable letters: one page per invitation, the right link, a QR code that decodes to it."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, select

from survey.invitations import create_invitations, invitation_link, invitation_token
from survey.letters import qr_svg, render_letters
from survey.models import Invitation
from survey.questionnaires import ANSWER_MINUTES
from survey.settings import Settings
from tests.survey.campaign_factory import NOW, build_fieldwork

ROOT = Path(__file__).resolve().parents[2]


def test_one_letter_per_phoneless_invitation(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=5, without_phone=(1, 3))
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    html = render_letters(session=session, settings=settings, campaign_id=fw.campaign.id)
    assert html.count('<section class="letter">') == 2
    # One letter per printed page; the rule lives in a stylesheet (no inline style under CSP).
    assert '<link rel="stylesheet" href="/static/letters.css">' in html
    assert "page-break-after: always" in (ROOT / "api" / "static" / "letters.css").read_text()
    assert html.count("<svg") == 2
    letters = session.exec(
        select(Invitation).where(col(Invitation.channel) == "letter").order_by(col(Invitation.id))
    ).all()
    links = [invitation_link(settings, invitation_token(settings, i)) for i in letters]
    assert re.findall(r'<p class="link">([^<]+)</p>', html) == links
    assert "UBND xã B" in html and "Hộ tịch" in html and "16/03/2026" in html
    # The same minutes as the answer page says (one figure).
    assert f"khoảng {ANSWER_MINUTES} phút" in html
    everyone = render_letters(
        session=session, settings=settings, campaign_id=fw.campaign.id, channel=None
    )
    assert everyone.count('<section class="letter">') == 5
    # Letters carry no phone number.
    assert not any(phone in everyone for phone in fw.phones.values())


def test_qr_code_is_a_valid_svg_of_the_right_size() -> None:
    link = "https://khaosat.example.vn/r/" + "A" * 43
    svg = qr_svg(link)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    # 72 bytes at level M: version 4-M holds 62 bytes, 5-M holds 84 (ISO/IEC 18004:2015,
    # table 7), so version 5, 17 + 4 * 5 = 37 modules; border 2 and scale 4 give 164 px.
    match = re.search(r'width="(\d+)"', svg)
    assert match is not None and int(match.group(1)) == (37 + 2 * 2) * 4
