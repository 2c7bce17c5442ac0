"""Invitations, reminders, opt-outs and link tokens (``survey.invitations``,
``survey.reminders``, ``survey.optouts``, ``survey.tokens``) in Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (
        r"campaign (?P<id>\d+) is closed; invitations can only be added before fieldwork ends",
        "đợt khảo sát {id} đã đóng; chỉ thêm được lời mời trước khi kết thúc thu thập",
    ),
    (r"no such invitation", "không có lời mời này"),
    (r"invitation (?P<id>\d+) is already completed", "lời mời {id} đã hoàn thành"),
    (
        r"a completed invitation cannot be revoked",
        "không huỷ được lời mời đã hoàn thành",
    ),
    (
        r"invitation (?P<id>\d+) is completed or opted out; it cannot be reissued",
        "lời mời {id} đã hoàn thành hoặc người dân đã từ chối; không cấp lại được",
    ),
    (r"completed or opted out", "đã hoàn thành hoặc người dân đã từ chối"),
)
