"""Campaigns (survey/campaigns.py): creating, activating and closing a campaign.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"draw (?P<id>\S+) does not exist", "không có lần chọn mẫu số {id}"),
    (r"questionnaire (?P<id>\S+) does not exist", "không có phiếu hỏi số {id}"),
    (r"campaign (?P<id>\S+) does not exist", "không có đợt khảo sát số {id}"),
    (r"no such draw", "không có lần chọn mẫu này"),
    (r"no such questionnaire", "không có phiếu hỏi này"),
    (r"no such id", "không có mã số này"),
    (r"the campaign cannot be created", "chưa tạo được đợt khảo sát"),
    (r"give the campaign a name", "hãy đặt tên cho đợt khảo sát"),
    (
        r"give the field period with a timezone, e\.g\. \+07:00",
        "hãy ghi thời gian thu thập kèm múi giờ, ví dụ +07:00",
    ),
    (
        r"the field period must end after it starts",
        "thời gian thu thập phải kết thúc sau khi bắt đầu",
    ),
    (
        r"reminder days are whole days from 1 to 60",
        "ngày nhắc lại là số ngày nguyên từ 1 đến 60",
    ),
    (r"list each reminder day once", "hãy ghi mỗi ngày nhắc lại một lần"),
    (
        r"questionnaire (?P<code>\S+) v(?P<version>\S+) is a draft; publish it first so every "
        r"answer refers to a fixed version",
        "phiếu hỏi {code} phiên bản {version} còn là bản nháp: hãy công bố phiếu hỏi trước, để "
        "mọi câu trả lời gắn với một phiên bản cố định",
    ),
    (
        r"the template must contain \{link\}, or nobody can answer",
        "mẫu tin nhắn phải có {{link}}, nếu không sẽ không ai trả lời được",
    ),
    (
        r"unknown variable (?P<name>\{.*\}); templates may use (?P<allowed>.+)",
        "không có biến {name}: mẫu tin nhắn chỉ dùng được {allowed}",
    ),
    (
        r"campaign (?P<id>\S+) is (?P<status>\w+); only a draft can be activated",
        "đợt khảo sát {id} đang ở trạng thái {status}: chỉ bắt đầu được đợt còn là bản nháp",
    ),
    (r"campaign is (?P<status>\w+)", "đợt khảo sát đang ở trạng thái {status}"),
    (
        r"campaign (?P<id>\S+)'s field period ended on (?P<end>\S+)",
        "thời gian thu thập của đợt khảo sát {id} đã kết thúc ngày {end}",
    ),
    (
        r"create a new campaign with a future field period",
        "hãy tạo đợt khảo sát mới với thời gian thu thập chưa qua",
    ),
    (r"campaign (?P<id>\S+) is already closed", "đợt khảo sát {id} đã đóng"),
    (r"closed", "đã đóng"),
)
