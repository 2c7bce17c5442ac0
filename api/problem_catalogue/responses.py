"""Answering a questionnaire and short links (``survey.responses``, ``survey.short_links``) in
Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    # A questionnaire's pages, answered online or in an interview (survey.interviews too).
    (
        r"page (?P<n>\d+) does not exist: pages go from 1 to (?P<last>\d+)",
        "không có trang {n}: các trang được đánh số từ 1 đến {last}",
    ),
    (r"page (?P<n>\d+) has answers to fix", "trang {n} có câu trả lời cần sửa"),
    (
        r"this questionnaire was already submitted; answers cannot change after submission",
        "phiếu hỏi này đã được gửi; không thay đổi được câu trả lời sau khi gửi",
    ),
    (
        r"the answers were already submitted: nothing more to do",
        "câu trả lời đã được gửi: không cần làm gì thêm",
    ),
    (r"some answers are missing or not valid", "một số câu chưa trả lời hoặc không hợp lệ"),
    # survey.short_links: the code printed on a letter, typed by the citizen.
    (
        r"(?P<char>.+) is not used in these codes",
        "ký tự {char} không có trong mã này",
    ),
    (
        r"type the letters and digits printed on the letter",
        "hãy gõ các chữ cái và chữ số in trên thư",
    ),
    (
        r"the code has (?P<n>\d+) characters, not (?P<given>\d+)",
        "mã có {n} ký tự, không phải {given}",
    ),
    (
        r"type all (?P<n>\d+) characters printed on the letter",
        "hãy gõ đủ {n} ký tự in trên thư",
    ),
)
