"""Printable invitation letters: one A4 page per person, in Vietnamese, with the link and a QR code.

For sampled dossiers without a phone (channel ``letter``) or for postal delivery of any
invitation. The QR code is an inline SVG made by ``segno`` (pure Python; ISO/IEC 18004), so the
page needs no image files and no network: print it from the browser (CSS page breaks put one
letter per sheet). The print-ready letters for the post, with addressee, official header, short
link and the paper form, are PDFs (survey/letter_pdf.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import segno
from sqlalchemy import func
from sqlmodel import Session, col, select

from survey.audit import SYSTEM_ACTOR, record_event
from survey.campaigns import get_campaign
from survey.invitations import invitation_link
from survey.models import Dossier, Invitation, SampleUnit, StaffUser
from survey.outbox import deadline_text
from survey.questionnaires import ANSWER_MINUTES
from survey.settings import Settings
from survey.tokens import make_token


def qr_svg(link: str) -> str:
    """The link as an inline SVG QR code (error correction M, survives a creased letter)."""
    return str(segno.make(link, error="m", micro=False).svg_inline(scale=4, border=2))


def _letter(agency: str, procedure: str, link: str, deadline: str) -> str:
    return f"""<section class="letter">
<p>{escape(agency)}</p>
<h1>THƯ MỜI THAM GIA KHẢO SÁT<br>mức độ hài lòng về sự phục vụ hành chính</h1>
<p>Kính gửi Ông/Bà,</p>
<p>Ông/Bà đã giải quyết thủ tục hành chính <strong>{escape(procedure)}</strong> tại
<strong>{escape(agency)}</strong>. Để giúp cơ quan nhà nước phục vụ người dân tốt hơn, xin
Ông/Bà dành khoảng {ANSWER_MINUTES} phút trả lời phiếu khảo sát trực tuyến trước ngày
<strong>{escape(deadline)}</strong>.</p>
<p>Ông/Bà có thể quét mã QR dưới đây bằng điện thoại, hoặc gõ địa chỉ:</p>
<p class="link">{escape(link)}</p>
<div class="qr">{qr_svg(link)}</div>
<p>Câu trả lời của Ông/Bà được giữ bí mật: cơ quan được đánh giá không biết ai đã trả lời và
trả lời thế nào. Đường dẫn chỉ dùng cho một người; xin không chuyển cho người khác.</p>
<p>Trân trọng cảm ơn Ông/Bà.</p>
</section>"""


def render_letters(
    *,
    session: Session,
    settings: Settings,
    campaign_id: int,
    channel: str | None = "letter",
    invitation_ids: Sequence[int] | None = None,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> str:
    """A printable HTML document with one letter per invitation.

    Parameters
    ----------
    channel
        ``"letter"`` (default: invitations without a phone), ``"sms"`` or ``None`` for all.
    invitation_ids
        Only these invitations.
    actor, address
        Who prints (recorded in the audit log, with the count, never the links).

    Completed, opted-out and revoked invitations get no letter.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    query = (
        select(
            col(Invitation.token_salt),
            func.coalesce(func.nullif(Dossier.agency_name, ""), Dossier.agency_code),
            func.coalesce(func.nullif(Dossier.procedure_field, ""), Dossier.procedure_code),
        )
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(
            col(Invitation.campaign_id) == campaign_id,
            col(Invitation.completed_at).is_(None),
            col(Invitation.opted_out_at).is_(None),
            col(Invitation.revoked_at).is_(None),
        )
        .order_by(col(Invitation.id))
    )
    if channel is not None:
        query = query.where(col(Invitation.channel) == channel)
    if invitation_ids is not None:
        query = query.where(col(Invitation.id).in_(list(invitation_ids)))
    deadline = deadline_text(campaign, settings)
    letters = [
        _letter(
            str(agency),
            str(procedure or ""),
            invitation_link(settings, make_token(settings.secret_key, salt)),
            deadline,
        )
        for salt, agency, procedure in session.exec(query)
    ]
    # Letters carry personal links: printing them is recorded, whoever asks.
    record_event(
        session=session,
        action="letters.printed",
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        target=f"campaign:{campaign_id}",
        details={"letters": len(letters), "channel": channel or "all"},
        address=address,
    )
    session.commit()
    body = "\n".join(letters) or '<p class="no-print">Không có thư nào cần in.</p>'
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thư mời — {escape(campaign.name)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/letters.css"></head>
<body>
{body}
</body></html>"""
