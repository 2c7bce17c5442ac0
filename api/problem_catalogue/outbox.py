"""The SMS outbox, its templates and requeues (``survey.outbox``, ``survey.sms``) in
Vietnamese."""

from __future__ import annotations

# A message's status before a requeue was refused (queued -> sending -> sent -> delivered).
_MESSAGE_STATUSES: tuple[tuple[str, str], ...] = (
    ("queued", "đang chờ gửi"),
    ("sending", "đang được gửi"),
    ("sent", "đã được gửi"),
    ("delivered", "đã đến máy người nhận"),
)

_KINDS: tuple[tuple[str, str], ...] = (
    ("invitation", "mời"),
    ("reminder", "nhắc"),
)

ENTRIES: tuple[tuple[str, str], ...] = (
    # A group named status is said by its name (api.problem_catalogue.STATUS_NAMES).
    (
        r"campaign (?P<id>\d+) is (?P<status>\w+); activate it before sending",
        "đợt khảo sát {id} hiện ở trạng thái “{status}”: hãy kích hoạt đợt khảo sát trước khi gửi "
        "tin nhắn",
    ),
    # A campaign's status alone, as the problem of the field "status" ("closed": campaigns.py).
    (r"(?P<status>draft|active)", "{status}"),
    (r"say why this message may be sent again", "hãy ghi lý do có thể gửi lại tin nhắn này"),
    (
        r"write (?P<low>\d+) to (?P<high>\d+) characters, e\.g\. 'the gateway log shows it "
        r"was never sent'",
        "hãy ghi từ {low} đến {high} ký tự, ví dụ 'nhật ký của cổng SMS cho thấy tin chưa "
        "từng được gửi'",
    ),
    (r"message (?P<id>\d+) does not exist", "không có tin nhắn số {id}"),
    (
        r"pick a message from the campaign's outbox",
        "hãy chọn một tin nhắn trong hộp thư đi của đợt khảo sát",
    ),
    *(
        (
            rf"message (?P<id>\d+) is {code}; only failed or unknown messages can be requeued",
            f"tin nhắn {{id}} {vi}; chỉ gửi lại được tin nhắn bị lỗi hoặc không rõ đã gửi chưa",
        )
        for code, vi in _MESSAGE_STATUSES
    ),
    (
        r"message (?P<id>\d+) is (?P<state>\w+); only failed or unknown messages can be requeued",
        "tin nhắn {id} đang ở trạng thái {state}; chỉ gửi lại được tin nhắn bị lỗi hoặc không rõ "
        "đã gửi chưa",
    ),
    *(
        (rf"{code}: nothing to requeue", f"tin nhắn {vi}: không cần gửi lại")
        for code, vi in _MESSAGE_STATUSES
    ),
    (r"(?P<state>\w+): nothing to requeue", "tin nhắn ở trạng thái {state}: không cần gửi lại"),
    *(
        (
            rf"the {kind} SMS to (?P<agency>.+) needs (?P<parts>\d+) parts, more than "
            r"(?P<most>\d+)",
            f"tin nhắn {vi} của {{agency}} cần {{parts}} phần tin, nhiều hơn mức cho phép "
            "({most})",
        )
        for kind, vi in _KINDS
    ),
    (
        r"confirm that messages of more than one part may be sent, or shorten the template",
        "hãy xác nhận cho phép gửi tin nhắn dài hơn một phần, hoặc rút ngắn mẫu tin nhắn",
    ),
    # survey.sms.templates: a template the coordinator wrote, or its values (TemplateError).
    (
        r"template is malformed \((?P<error>.+)\); write a literal brace as '\{\{' or '\}\}'",
        "mẫu tin nhắn sai cú pháp ({error}); muốn viết dấu ngoặc nhọn thì hãy ghi '{{{{' "
        "hoặc '}}}}'",
    ),
    (
        r"placeholder \{(?P<name>.+)\} is not a plain name; use names like \{agency\}",
        "chỗ điền {{{name}}} không phải là một tên đơn giản; hãy dùng tên như {{agency}}",
    ),
    (
        r"placeholder \{(?P<name>.+)\} has a format or conversion; format the value before "
        r"rendering and write just \{(?P=name)\}",
        "chỗ điền {{{name}}} có định dạng hoặc phép chuyển đổi; hãy định dạng giá trị trước "
        "và chỉ ghi {{{name}}}",
    ),
    (
        r"max_segments must be at least 1, got (?P<n>-?\d+)",
        "max_segments phải ít nhất là 1, đang là {n}",
    ),
    (
        r"missing value for (?P<missing>.+); this template needs no variables",
        "thiếu giá trị cho {missing}; mẫu tin nhắn này không có chỗ điền nào",
    ),
    (
        r"missing value for (?P<missing>.+); this template needs (?!no variables$)(?P<needs>.+)",
        "thiếu giá trị cho {missing}; mẫu tin nhắn này cần {needs}",
    ),
    (
        r"unknown variable (?P<unknown>.+); this template uses only no variables",
        "không có chỗ điền {unknown}; mẫu tin nhắn này không có chỗ điền nào",
    ),
    (
        r"unknown variable (?P<unknown>.+); this template uses only (?!no variables$)"
        r"(?P<uses>.+)",
        "không có chỗ điền {unknown}; mẫu tin nhắn này chỉ dùng {uses}",
    ),
    (
        r"message needs (?P<n>\d+) SMS \((?P<units>\d+) (?P<encoding>\w+) units\) but at most "
        r"(?P<most>\d+) are allowed; shorten the text or the values, or enable strip_diacritics",
        "tin nhắn cần {n} SMS ({units} đơn vị {encoding}) nhưng chỉ được tối đa {most}; hãy "
        "rút ngắn nội dung hoặc các giá trị, hoặc bật strip_diacritics (gửi không dấu)",
    ),
)
