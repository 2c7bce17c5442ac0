"""Coordinator pages for fieldwork under ``/staff/campaigns``: list and create campaigns, run the
fieldwork steps, watch the outbox (every message and its link, so a demo works with the local
outbox and no SMS operator) and read dispositions and AAPOR rates per stratum, agency and channel.

Only coordinators and administrators see these pages. Phone numbers are shown masked (the last
three digits), enough to tell messages apart. Every POST carries the staff form token and answers
with a redirect (post/redirect/get) or the form again with an error summary.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SESSION_COOKIE, AddressDep, SessionDep, SettingsDep
from api.i18n import choose_language
from api.pages.coordinator import (
    EDITOR_ROLES,
    FormDep,
    PageUser,
    StaffRoute,
    csrf_token,
    error_context,
    render,
)
from api.routers.campaigns import require_national
from survey.campaigns import (
    activate_campaign,
    close_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
)
from survey.dispositions import DISPOSITIONS, GROUPINGS, campaign_dispositions
from survey.draws import list_draws
from survey.errors import InvalidInput, PermissionDenied, Problem
from survey.invitations import create_invitations
from survey.models import StaffUser
from survey.outbox import list_messages, outbox_counts, preview_invitation_sms, queue_invitation_sms
from survey.purge import purge_contacts
from survey.questionnaires import list_questionnaires
from survey.settings import Settings
from survey.worker import requeue_unknown

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

CAMPAIGN_FIELDS = (
    "name",
    "draw_id",
    "questionnaire_id",
    "field_start",
    "field_end",
    "reminder_days",
    "sms_template",
    "reminder_template",
)
ACTIONS = ("activate", "invite", "queue", "close", "purge")
_LINK = re.compile(r"https?://\S+/r/[A-Za-z0-9_-]+")
# Outbox rows per page of the campaign page; every message (and so every link) is on some page.
MESSAGES_PER_PAGE = 100

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "campaigns": "Đợt khảo sát",
        "new_campaign": "Tạo đợt khảo sát",
        "name": "Tên đợt",
        "draw": "Mẫu đã chọn",
        "questionnaire": "Phiếu hỏi (đã ban hành)",
        "field_start": "Ngày bắt đầu",
        "field_end": "Ngày kết thúc",
        "reminder_days": "Nhắc lại sau (ngày, cách nhau bởi dấu phẩy)",
        "sms_template": "Nội dung tin nhắn mời",
        "reminder_template": "Nội dung tin nhắn nhắc",
        "template_hint": "Dùng {agency}, {link}, {deadline}; để trống để dùng mẫu chuẩn.",
        "strip": "Bỏ dấu tiếng Việt (160 ký tự/tin thay vì 70)",
        "create": "Tạo đợt",
        "status": "Trạng thái",
        "activate": "Bắt đầu khảo sát",
        "invite": "Tạo thư mời",
        "queue": "Xếp tin nhắn vào hàng đợi",
        "close": "Kết thúc đợt",
        "purge": "Xóa số điện thoại",
        "letters": "In thư mời (QR)",
        "preview": "Ước tính tin nhắn",
        "messages": "Tin nhắn",
        "segments": "Số tin (phần)",
        "outbox": "Hộp thư đi",
        "kind": "Loại",
        "to": "Số nhận",
        "open_link": "Mở đường dẫn",
        "dispositions": "Tình trạng mẫu và tỷ lệ trả lời (AAPOR)",
        "by": "Theo",
        "cases": "Số trường hợp",
        "exports": "Tải về",
        "none_yet": "Chưa có.",
        "unknown_note": "Tin ở trạng thái 'unknown' có thể đã được gửi: kiểm tra nhật ký cổng SMS "
        "trước khi gửi lại.",
        "back": "Quay lại",
        "requeue": "Gửi lại",
        "all_statuses": "Mọi trạng thái",
        "show": "Xem",
        "showing": "Tin {first}–{last} trong {total}",
        "page": "Trang {page}/{pages}",
        "previous": "Trang trước",
        "next": "Trang sau",
    },
    "en": {
        "campaigns": "Campaigns",
        "new_campaign": "New campaign",
        "name": "Name",
        "draw": "Sample (draw)",
        "questionnaire": "Questionnaire (published)",
        "field_start": "Start date",
        "field_end": "End date",
        "reminder_days": "Remind after (days, comma-separated)",
        "sms_template": "Invitation SMS",
        "reminder_template": "Reminder SMS",
        "template_hint": "Use {agency}, {link}, {deadline}; leave empty for the standard text.",
        "strip": "Remove Vietnamese diacritics (160 characters per SMS instead of 70)",
        "create": "Create",
        "status": "Status",
        "activate": "Start fieldwork",
        "invite": "Create invitations",
        "queue": "Queue the invitation SMS",
        "close": "Close the campaign",
        "purge": "Delete phone numbers",
        "letters": "Print letters (QR)",
        "preview": "SMS estimate",
        "messages": "Messages",
        "segments": "SMS parts",
        "outbox": "Outbox",
        "open_link": "Open link",
        "dispositions": "Case dispositions and response rates (AAPOR)",
        "kind": "Kind",
        "to": "To",
        "by": "By",
        "cases": "Cases",
        "exports": "Downloads",
        "none_yet": "None yet.",
        "unknown_note": "Messages in 'unknown' may have been sent: check the SMS gateway's log "
        "before sending again.",
        "back": "Back",
        "requeue": "Send again",
        "all_statuses": "All statuses",
        "show": "Show",
        "showing": "Messages {first}–{last} of {total}",
        "page": "Page {page} of {pages}",
        "previous": "Previous page",
        "next": "Next page",
    },
}


def _editor(user: StaffUser, session: SessionDep) -> None:
    if user.role not in EDITOR_ROLES:
        raise PermissionDenied(f"fieldwork pages need the role coordinator; yours is {user.role}")
    require_national(user, session)


def _check_form_token(request: Request, form: FormDep, settings: Settings) -> None:
    session_token = request.cookies.get(SESSION_COOKIE, "")
    sent = form.get("csrf")
    if not session_token or sent != csrf_token(settings, session_token):
        raise PermissionDenied("the form has expired: reload the page and send it again")


def _words(request: Request) -> dict[str, str]:
    return WORDS[choose_language(request)]


# Names of dispositions, message states, groupings and message kinds shown to coordinators; the
# codes themselves stay in exports and the API.
LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "duplicate": "Trùng số điện thoại",
        "not_invited": "Chưa mời",
        "completed": "Hoàn thành",
        "partial": "Trả lời dở",
        "opted_out": "Từ chối",
        "opened": "Đã mở, chưa trả lời",
        "not_contactable": "Không liên lạc được",
        "expired": "Hết hạn",
        "delivered": "Đã nhận tin",
        "sent": "Đã gửi",
        "letter": "Thư mời giấy",
        "queued": "Chờ gửi",
        "claimed": "Đang xử lý",
        "sending": "Đang gửi",
        "failed": "Gửi lỗi",
        "unknown": "Không rõ",
        "cancelled": "Đã huỷ",
        "all": "Toàn bộ",
        "stratum": "Tầng",
        "agency": "Cơ quan",
        "channel": "Kênh mời",
        "dossier_channel": "Kênh nộp hồ sơ",
        "invitation": "Mời",
        "reminder": "Nhắc lại",
        "draft": "Bản nháp",
        "active": "Đang khảo sát",
        "closed": "Đã kết thúc",
    },
    "en": {
        "duplicate": "Duplicate phone",
        "not_invited": "Not invited",
        "completed": "Completed",
        "partial": "Partial",
        "opted_out": "Opted out",
        "opened": "Opened, no answer",
        "not_contactable": "Not contactable",
        "expired": "Expired",
        "delivered": "Delivered",
        "sent": "Sent",
        "letter": "Letter",
        "queued": "Queued",
        "claimed": "Claimed",
        "sending": "Sending",
        "failed": "Failed",
        "unknown": "Unknown",
        "cancelled": "Cancelled",
        "all": "All",
        "stratum": "Stratum",
        "agency": "Agency",
        "channel": "Invitation channel",
        "dossier_channel": "Filing channel",
        "invitation": "Invitation",
        "reminder": "Reminder",
        "draft": "Draft",
        "active": "In the field",
        "closed": "Closed",
    },
}


def _mask(phone: str | None) -> str:
    return "" if not phone else "•" * (len(phone) - 3) + phone[-3:]


def _local_datetime(text: str, settings: Settings, end: bool) -> datetime | None:
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = time(23, 59, 59) if end else time(0, 0)
    return datetime.combine(day, moment, tzinfo=ZoneInfo(settings.timezone)).astimezone(UTC)


def _form_context(session: SessionDep, form: dict[str, Any]) -> dict[str, Any]:
    questionnaires = list_questionnaires(session=session, status="published")
    return {"form": form, "draws": list_draws(session=session), "questionnaires": questionnaires}


@router.get("/staff/campaigns")
def campaigns_page(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    _editor(user, session)
    return render(
        request,
        "fieldwork/campaigns.html",
        {
            "w": _words(request),
            "labels": LABELS[choose_language(request)],
            "campaigns": list_campaigns(session=session),
            **_form_context(session, {"reminder_days": "3, 7"}),
        },
        user=user,
        settings=settings,
    )


@router.post("/staff/campaigns")
def campaign_submit(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    _editor(user, session)
    _check_form_token(request, form, settings)
    values = {key: str(form.get(key, "")) for key in (*CAMPAIGN_FIELDS, "strip_diacritics")}
    problems: list[Problem] = []
    start = _local_datetime(values["field_start"], settings, end=False)
    end = _local_datetime(values["field_end"], settings, end=True)
    if start is None:
        problems.append(Problem(("field_start",), "enter the start date as YYYY-MM-DD"))
    if end is None:
        problems.append(Problem(("field_end",), "enter the end date as YYYY-MM-DD"))
    if start is not None and end is not None and end <= start:
        problems.append(Problem(("field_end",), "the field period must end after it starts"))
    try:
        days = [int(d) for d in values["reminder_days"].replace(" ", "").split(",") if d]
    except ValueError:
        problems.append(Problem(("reminder_days",), "write whole days separated by commas"))
        days = []
    for field in ("draw_id", "questionnaire_id"):
        if not values[field].isdigit():
            problems.append(Problem((field,), "choose one from the list"))
    try:
        if problems:
            raise InvalidInput("the campaign cannot be created", problems)
        assert start is not None and end is not None
        campaign = create_campaign(
            session=session,
            name=values["name"],
            draw_id=int(values["draw_id"]),
            questionnaire_id=int(values["questionnaire_id"]),
            field_start=start,
            field_end=end,
            sms_template=values["sms_template"],
            reminder_template=values["reminder_template"],
            strip_diacritics=values["strip_diacritics"] == "yes",
            reminder_days=days,
            created_by=user.id,
        )
    except InvalidInput as error:
        errors, links = error_context(error.problems, CAMPAIGN_FIELDS)
        return render(
            request,
            "fieldwork/campaigns.html",
            {
                "w": _words(request),
                "labels": LABELS[choose_language(request)],
                "campaigns": list_campaigns(session=session),
                **_form_context(session, values),
                "errors": errors,
                "error_links": links,
            },
            user=user,
            settings=settings,
            status_code=422,
        )
    return Response(status_code=303, headers={"Location": f"/staff/campaigns/{campaign.id}"})


def _pager(
    campaign_id: int,
    by: str,
    status: str,
    page: int,
    pages: int,
    total: int,
    offset: int,
    messages: list[dict[str, Any]],
) -> dict[str, Any]:
    """The outbox's filter and page links; they keep the other query parameters."""

    def url(number: int) -> str:
        query = {"by": by, **({"status": status} if status else {}), "page": number}
        return f"/staff/campaigns/{campaign_id}?{urlencode(query)}#outbox"

    return {
        "status": status,
        "page": page,
        "pages": pages,
        "total": total,
        "first": offset + 1 if messages else 0,
        "last": offset + len(messages),
        "previous": url(page - 1) if page > 1 else "",
        "next": url(page + 1) if page < pages else "",
    }


@router.get("/staff/campaigns/{campaign_id}")
def campaign_page(
    campaign_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    by: str = "stratum",
    status: str = "",
    page: int = 1,
) -> Response:
    _editor(user, session)
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    by = by if by in GROUPINGS else "stratum"
    counts = outbox_counts(session=session, campaign_id=campaign_id)
    total = counts.get(status, 0) if status else sum(counts.values())
    pages = max(1, math.ceil(total / MESSAGES_PER_PAGE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * MESSAGES_PER_PAGE
    messages = [
        {
            "id": m.id,
            "kind": m.kind,
            "to": _mask(m.to_e164),
            "text": m.text,
            "link": (found.group(0) if (found := _LINK.search(m.text)) else ""),
            "encoding": m.encoding,
            "segments": m.segments,
            "status": m.status,
            "attempts": m.attempts,
            "error": m.last_error,
        }
        for m in list_messages(
            session=session,
            campaign_id=campaign_id,
            status=status or None,
            limit=MESSAGES_PER_PAGE,
            offset=offset,
        )
    ]
    return render(
        request,
        "fieldwork/campaign.html",
        {
            "w": _words(request),
            "labels": LABELS[choose_language(request)],
            "campaign": campaign,
            "counts": counts,
            "preview": preview_invitation_sms(
                session=session, settings=settings, campaign_id=campaign_id
            ),
            "messages": messages,
            "pager": _pager(campaign_id, by, status, page, pages, total, offset, messages),
            "by": by,
            "groupings": GROUPINGS,
            "dispositions": DISPOSITIONS,
            "groups": campaign_dispositions(session=session, campaign_id=campaign_id, by=by),
        },
        user=user,
        settings=settings,
    )


@router.post("/staff/campaigns/{campaign_id}/messages/{message_id}/requeue")
def message_requeue(
    campaign_id: int,
    message_id: int,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Send an ``unknown`` message again: the coordinator checked the gateway's log."""
    _editor(user, session)
    _check_form_token(request, form, settings)
    requeue_unknown(session=session, message_id=message_id)
    return Response(status_code=303, headers={"Location": f"/staff/campaigns/{campaign_id}"})


@router.post("/staff/campaigns/{campaign_id}/{action}")
def campaign_action(
    campaign_id: int,
    action: str,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    _editor(user, session)
    _check_form_token(request, form, settings)
    if action == "activate":
        activate_campaign(session=session, campaign_id=campaign_id)
    elif action == "invite":
        create_invitations(session=session, settings=settings, campaign_id=campaign_id)
    elif action == "queue":
        queue_invitation_sms(session=session, settings=settings, campaign_id=campaign_id)
    elif action == "close":
        close_campaign(session=session, campaign_id=campaign_id)
    elif action == "purge":
        purge_contacts(session=session, campaign_id=campaign_id, actor=user, address=address)
    else:
        raise InvalidInput(f"unknown action {action!r}", [Problem(("action",), ", ".join(ACTIONS))])
    return Response(status_code=303, headers={"Location": f"/staff/campaigns/{campaign_id}"})
