"""Coordinator pages for fieldwork under ``/staff/campaigns``: list and create campaigns, run the
fieldwork steps, watch the outbox (every message and its state) and read dispositions and AAPOR
rates per stratum, agency and channel.

National coordinators and administrators run fieldwork and see the outbox; every staff account
reads a campaign and its dispositions (a scoped coordinator: of their agencies only), as
``docs/access.md`` says. The outbox never shows a citizen's link: the token in each message is
cut off (the printed letters are the only place a full link is shown). Phone numbers are shown
masked (the last three digits), enough to tell messages apart. Every POST carries the staff form
token and answers with a redirect (post/redirect/get) or the form again with an error summary.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import AddressDep, SessionDep, SettingsDep
from api.i18n import RATE_DEFINITIONS, RATE_WORDS, choose_language
from api.pages.coordinator import (
    FormDep,
    StaffRoute,
    check_form_token,
    error_context,
    render,
)
from api.policy import Analyst, AsNationalCoordinator, AsStaff, NationalCoordinator
from survey.campaigns import (
    activate_campaign,
    close_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
)
from survey.dispositions import (
    DISPOSITIONS,
    GROUPINGS,
    DispositionGroup,
    aapor_rates,
    campaign_dispositions,
)
from survey.draws import list_draws
from survey.errors import Conflict, InvalidInput, Problem
from survey.invitations import create_invitations
from survey.outbox import (
    agency_name_budget,
    count_messages,
    list_messages,
    outbox_counts,
    preview_invitation_sms,
    queue_invitation_sms,
    requeue_message,
)
from survey.purge import purge_contacts
from survey.questionnaires import list_questionnaires
from survey.settings import Settings
from survey.unit_names import campaign_units
from survey.users import Scope

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
# A citizen's link in a message's text: the token is the key to their answers.
_LINK = re.compile(r"(https?://\S+/[rm]/)[A-Za-z0-9_-]+")
# The outbox's "answered" filter: a link answered (completed in any mode) or not.
ANSWERED_FILTERS: dict[str, bool] = {"yes": True, "no": False}
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
        "letters_pdf": "Thư mời và phiếu giấy (PDF)",
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
        "requeue_reason": "Lý do gửi lại (bắt buộc)",
        "all_statuses": "Mọi trạng thái",
        "show": "Xem",
        "showing": "Tin {first}–{last} trong {total}",
        "page": "Trang {page}/{pages}",
        "previous": "Trang trước",
        "next": "Trang sau",
        "agency_budget": "Với mẫu chuẩn, bỏ dấu, và địa chỉ {base}: tên cơ quan tối đa {n} ký tự "
        "thì mỗi tin mời và tin nhắc vừa 1 tin (160 ký tự). Tên dài hơn sẽ tốn 2 tin trở lên.",
        "campaign_budget": "Tên cơ quan tối đa {n} ký tự để mỗi tin vừa 1 tin.",
        "preview_total": "Tổng cộng: {messages} tin nhắn, {parts} phần",
        "preview_invitations": "Tin mời chưa gửi: {messages} tin, {parts} phần",
        "preview_reminders": "Tin nhắc (tối đa, nếu chưa ai trả lời): {messages} tin, {parts} phần",
        "preview_worst": "Trường hợp dài nhất – {agency}: tin mời {invitation} phần, "
        "tin nhắc {reminder} phần",
        "confirm_title": "Xác nhận gửi tin nhắn nhiều phần",
        "confirm_text": "Có tin mời cần tới {max} phần; cả đợt tốn {parts} phần cho {messages} "
        "tin. Rút gọn mẫu tin hoặc xác nhận để gửi.",
        "confirm_queue": "Xác nhận và xếp tin vào hàng đợi",
        "answered": "Đã trả lời",
        "unanswered": "Chưa trả lời",
        "all_links": "Mọi đường dẫn",
        "link_state": "Đường dẫn",
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
        "letters_pdf": "Letters and paper forms (PDF)",
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
        "requeue_reason": "Why send it again (required)",
        "all_statuses": "All statuses",
        "show": "Show",
        "showing": "Messages {first}–{last} of {total}",
        "page": "Page {page} of {pages}",
        "previous": "Previous page",
        "next": "Next page",
        "agency_budget": "With the standard texts, without diacritics and the address {base}: "
        "an agency name of at most {n} characters keeps every invitation and reminder in one "
        "SMS (160 characters). Longer names cost 2 SMS or more.",
        "campaign_budget": "Agency names of at most {n} characters keep each message in one SMS.",
        "preview_total": "In total: {messages} messages, {parts} parts",
        "preview_invitations": "Invitations not yet queued: {messages} messages, {parts} parts",
        "preview_reminders": "Reminders (at most, if nobody answers): {messages} messages, "
        "{parts} parts",
        "preview_worst": "Longest case – {agency}: invitation {invitation} parts, "
        "reminder {reminder} parts",
        "confirm_title": "Confirm sending messages of several parts",
        "confirm_text": "Some invitations take up to {max} parts; the batch costs {parts} parts "
        "for {messages} messages. Shorten the template or confirm to send.",
        "confirm_queue": "Confirm and queue the messages",
        "answered": "Answered",
        "unanswered": "Not answered",
        "all_links": "All links",
        "link_state": "Link",
    },
}


def hide_links(text: str) -> str:
    """A message's text with every citizen's link cut before its token."""
    return _LINK.sub(r"\1…", text)


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
        "interview_partial": "Phỏng vấn dở dang",
        "interview_refusal": "Từ chối phỏng vấn",
        "interview_noncontact": "Chưa gặp được",
        "interview_other": "Không phỏng vấn được (lý do khác)",
        "interview_unknown": "Chưa rõ (gọi/đến không được)",
        "interview_not_eligible": "Không thuộc đối tượng",
        "mode": "Hình thức",
        "web": "Trực tuyến",
        "paper": "Phiếu giấy",
        "phone": "Điện thoại",
        "face_to_face": "Trực tiếp",
        "none": "Chưa mời",
        "backchecks": "Phúc tra phiếu do cán bộ thu thập",
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
        "interview_partial": "Partial interview",
        "interview_refusal": "Interview refused",
        "interview_noncontact": "Not reached yet",
        "interview_other": "No interview (other)",
        "interview_unknown": "Unknown (no answer, not found)",
        "interview_not_eligible": "Not eligible",
        "mode": "Mode",
        "web": "Web",
        "paper": "Paper",
        "phone": "Phone",
        "face_to_face": "Face to face",
        "none": "Not invited",
        "backchecks": "Back-checks of forms collected by staff",
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


def disposition_total(groups: Sequence[DispositionGroup]) -> DispositionGroup:
    """The totals row: every group's counts summed, and the AAPOR rates of those sums."""
    counts = dict.fromkeys(DISPOSITIONS, 0)
    for group in groups:
        for disposition, n in group.counts.items():
            counts[disposition] = counts.get(disposition, 0) + n
    return DispositionGroup(
        group="all",
        cases=sum(g.cases for g in groups),
        counts=counts,
        rates=aapor_rates(counts),
    )


def _mask(phone: str | None) -> str:
    return "" if not phone else "•" * (len(phone) - 3) + phone[-3:]


def _local_datetime(text: str, settings: Settings, end: bool) -> datetime | None:
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = time(23, 59, 59) if end else time(0, 0)
    return datetime.combine(day, moment, tzinfo=ZoneInfo(settings.timezone)).astimezone(UTC)


def _form_context(
    session: SessionDep, form: dict[str, Any], scope: Scope, settings: Settings
) -> dict[str, Any]:
    questionnaires = list_questionnaires(session=session, status="published")
    draws = list_draws(session=session, scope=scope)
    return {
        "form": form,
        "draws": draws,
        "questionnaires": questionnaires,
        # The honest limit of the default texts for this deployment's public address.
        "agency_budget": agency_name_budget(settings),
        "public_base_url": settings.public_base_url.rstrip("/"),
    }


@router.get("/staff/campaigns")
def campaigns_page(
    request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(
        request,
        "fieldwork/campaigns.html",
        {
            "w": _words(request),
            "labels": LABELS[choose_language(request)],
            "campaigns": list_campaigns(session=session, scope=caller.scope),
            # New campaigns send without diacritics unless the coordinator unticks it.
            **_form_context(
                session,
                {"reminder_days": "3, 7", "strip_diacritics": "yes"},
                caller.scope,
                settings,
            ),
        },
        user=caller,
        settings=settings,
    )


@router.post("/staff/campaigns")
def campaign_submit(
    request: Request,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    check_form_token(request, form, settings)
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
            created_by=caller.id,
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
                **_form_context(session, values, caller.scope, settings),
                "errors": errors,
                "error_links": links,
            },
            user=caller,
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
    answered: str = "",
) -> dict[str, Any]:
    """The outbox's filter and page links; they keep the other query parameters."""

    def url(number: int) -> str:
        query = {
            "by": by,
            **({"status": status} if status else {}),
            **({"answered": answered} if answered else {}),
            "page": number,
        }
        return f"/staff/campaigns/{campaign_id}?{urlencode(query)}#outbox"

    return {
        "status": status,
        "answered": answered,
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
    caller: AsStaff,
    session: SessionDep,
    settings: SettingsDep,
    by: str = "stratum",
    status: str = "",
    page: int = 1,
    answered: str = "",
    confirm: str = "",
) -> Response:
    campaign = get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope)
    by = by if by in GROUPINGS else "stratum"
    groups = campaign_dispositions(
        session=session, campaign_id=campaign_id, by=by, scope=caller.scope
    )
    lang = choose_language(request)
    context: dict[str, Any] = {
        "w": _words(request),
        "labels": LABELS[choose_language(request)],
        "campaign": campaign,
        "by": by,
        "groupings": GROUPINGS,
        "dispositions": DISPOSITIONS,
        "groups": groups,
        # The rates of the sum, not the mean of the groups' rates.
        "total": disposition_total(groups) if by != "all" else None,
        "rate_definitions": RATE_DEFINITIONS[lang],
        "rate_words": RATE_WORDS[lang],
        "can_export_responses": Analyst.allows(caller.role),
        # Every case once, under the mode it was completed in or last offered (dispositions).
        "mode_groups": groups
        if by == "mode"
        else campaign_dispositions(
            session=session, campaign_id=campaign_id, by="mode", scope=caller.scope
        ),
    }
    context["stratum_columns"], context["agency_names"] = campaign_units(
        session=session, campaign_id=campaign_id
    )
    if NationalCoordinator.allows(caller.role, limited=caller.scope.limited):
        answered = answered if answered in ANSWERED_FILTERS else ""
        context.update(_outbox(campaign_id, session, settings, by, status, page, answered))
        context["confirm_queue"] = confirm == "queue" and context["preview"].needs_confirmation
    return render(request, "fieldwork/campaign.html", context, user=caller, settings=settings)


def _outbox(
    campaign_id: int,
    session: SessionDep,
    settings: Settings,
    by: str,
    status: str,
    page: int,
    answered: str = "",
) -> dict[str, Any]:
    """The outbox part of the campaign page: message states and whether each link was
    answered (never the answers), never a citizen's token."""
    counts = outbox_counts(session=session, campaign_id=campaign_id)
    done = ANSWERED_FILTERS.get(answered)
    total = count_messages(
        session=session, campaign_id=campaign_id, status=status or None, answered=done
    )
    pages = max(1, math.ceil(total / MESSAGES_PER_PAGE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * MESSAGES_PER_PAGE
    messages = [
        {
            "id": row.message.id,
            "kind": row.message.kind,
            "to": _mask(row.message.to_e164),
            "text": hide_links(row.message.text),
            "encoding": row.message.encoding,
            "segments": row.message.segments,
            "status": row.message.status,
            "attempts": row.message.attempts,
            "error": row.message.last_error,
            "answered": row.answered,
        }
        for row in list_messages(
            session=session,
            campaign_id=campaign_id,
            status=status or None,
            answered=done,
            limit=MESSAGES_PER_PAGE,
            offset=offset,
        )
    ]
    preview = preview_invitation_sms(session=session, settings=settings, campaign_id=campaign_id)
    preview = dataclasses.replace(
        preview,
        sample_text=hide_links(preview.sample_text),
        worst_text=hide_links(preview.worst_text),
    )
    return {
        "counts": counts,
        "preview": preview,
        "messages": messages,
        "pager": _pager(campaign_id, by, status, page, pages, total, offset, messages, answered),
    }


@router.post("/staff/campaigns/{campaign_id}/messages/{message_id}/requeue")
def message_requeue(
    campaign_id: int,
    message_id: int,
    request: Request,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Send a ``failed`` or ``unknown`` message again, with the coordinator's reason."""
    check_form_token(request, form, settings)
    reason = form.get("reason")
    requeue_message(
        session=session,
        message_id=message_id,
        campaign_id=campaign_id,
        reason=reason if isinstance(reason, str) else "",
        actor=caller.user,
    )
    return Response(status_code=303, headers={"Location": f"/staff/campaigns/{campaign_id}"})


@router.post("/staff/campaigns/{campaign_id}/{action}")
def campaign_action(
    campaign_id: int,
    action: str,
    request: Request,
    caller: AsNationalCoordinator,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    check_form_token(request, form, settings)
    if action == "activate":
        activate_campaign(session=session, campaign_id=campaign_id)
    elif action == "invite":
        create_invitations(session=session, settings=settings, campaign_id=campaign_id)
    elif action == "queue":
        # More than one part per message is asked for on the page first (confirm=yes).
        try:
            queue_invitation_sms(
                session=session,
                settings=settings,
                campaign_id=campaign_id,
                max_parts=None if form.get("confirm") == "yes" else 1,
            )
        except Conflict as error:
            if not any(p.loc == ("confirm",) for p in error.problems):
                raise
            return Response(
                status_code=303,
                headers={"Location": f"/staff/campaigns/{campaign_id}?confirm=queue#queue-confirm"},
            )
    elif action == "close":
        close_campaign(session=session, campaign_id=campaign_id)
    elif action == "purge":
        purge_contacts(session=session, campaign_id=campaign_id, actor=caller.user, address=address)
    else:
        raise InvalidInput(f"unknown action {action!r}", [Problem(("action",), ", ".join(ACTIONS))])
    return Response(status_code=303, headers={"Location": f"/staff/campaigns/{campaign_id}"})
