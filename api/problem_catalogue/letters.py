"""Printed invitation letters (``survey.letters``, ``survey.letter_pdf``) in Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"unknown channel (?P<channel>.+)", "không có kênh mời {channel}"),
    (r"use letter, sms or all", "hãy dùng letter (thư), sms hoặc all (tất cả)"),
    # "questionnaire N does not exist" is said by campaigns.py.
    (
        r"campaign (?P<id>\d+)'s contacts were purged after fieldwork; no letter can be printed",
        "thông tin liên hệ của đợt khảo sát {id} đã được xoá sau khi kết thúc thu thập; không "
        "in được thư nào",
    ),
    (
        r"letters are printed during fieldwork only",
        "thư chỉ được in trong thời gian thu thập",
    ),
    (r"parts are numbered from 1", "các phần được đánh số từ 1"),
    (r"use 1 or more", "hãy dùng số từ 1 trở lên"),
    (r"no letter to print for this invitation", "không có thư nào để in cho lời mời này"),
    (
        r"it is not in this campaign or your scope, or it was completed, opted out or revoked",
        "lời mời không thuộc đợt khảo sát này hoặc phạm vi của bạn, hoặc đã hoàn thành, người "
        "dân đã từ chối, hoặc lời mời đã bị huỷ",
    ),
    (r"part (?P<n>\d+) is empty", "phần {n} không có thư nào"),
    (r"ask count_letters for the parts", "hãy dùng count_letters để biết số phần"),
)
