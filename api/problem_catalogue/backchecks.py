"""Back-checks of staff-collected forms (``survey.backchecks``) in Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (
        r"back-check rate (?P<rate>.+) is out of range",
        "tỷ lệ phúc tra {rate} nằm ngoài khoảng cho phép",
    ),
    (
        r"mode (?P<mode>.+) is not collected by staff",
        "hình thức {mode} không do nhân viên thu thập",
    ),
    (
        r"invitation (?P<id>\d+) already has a collected form",
        "lời mời {id} đã có phiếu được thu",
    ),
    (
        r"back-check (?P<id>\d+) not found in campaign (?P<campaign>\d+)",
        "không có phiếu phúc tra {id} trong đợt khảo sát {campaign}",
    ),
    (
        r"unknown back-check outcome (?P<outcome>.+)",
        "không có kết quả phúc tra {outcome}",
    ),
    (r"the note is too long", "ghi chú quá dài"),
    (r"back-check (?P<id>\d+) is already settled", "phiếu phúc tra {id} đã được xử lý xong"),
    (r"a reason is required", "cần ghi lý do"),
    (r"back-check (?P<id>\d+) did not fail", "phiếu phúc tra {id} không bị đánh giá là không đạt"),
    (
        r"back-check (?P<id>\d+) was already decided \(excluded\)",
        "phiếu phúc tra {id} đã có quyết định (loại khỏi kết quả)",
    ),
    (
        r"back-check (?P<id>\d+) was already decided \(kept\)",
        "phiếu phúc tra {id} đã có quyết định (giữ lại)",
    ),
    (
        r"back-check (?P<id>\d+) was already decided \((?P<decision>\w+)\)",
        "phiếu phúc tra {id} đã có quyết định ({decision})",
    ),
    (
        r"back-check (?P<id>\d+) no longer links to its response",
        "phiếu phúc tra {id} không còn gắn với câu trả lời của nó",
    ),
    (
        r"give a share above 0 and at most 1, e\.g\. 0\.1 for 10%",
        "hãy ghi một tỷ lệ lớn hơn 0 và không quá 1, ví dụ 0.1 cho 10%",
    ),
    (r"use one of (?P<modes>paper, phone, face_to_face)", "hãy dùng một trong {modes}"),
    (
        r"a form is collected once; this one is already in",
        "mỗi phiếu chỉ thu một lần; phiếu này đã được thu",
    ),
    (
        r"pick a form from the campaign's back-check list",
        "hãy chọn một phiếu trong danh sách phúc tra của đợt khảo sát",
    ),
    (
        r"choose one of (?P<outcomes>[a-z_]+(?:, [a-z_]+)+)",
        "hãy chọn một trong các kết quả {outcomes}",
    ),
    (r"shorten the note to 500 characters", "hãy rút gọn ghi chú, tối đa 500 ký tự"),
    (
        r"a settled back-check cannot be recorded again",
        "phiếu phúc tra đã xử lý xong thì không ghi lại kết quả được",
    ),
    (
        r"say in up to 500 characters why the form is excluded or kept",
        "hãy ghi lý do loại hoặc giữ phiếu, tối đa 500 ký tự",
    ),
    (
        r"only a form whose back-check failed can be excluded",
        "chỉ loại được phiếu không đạt phúc tra",
    ),
    (
        r"the decision on this form is already recorded",
        "quyết định về phiếu này đã được ghi nhận",
    ),
    (
        r"the contacts were purged; the form can no longer be excluded",
        "thông tin liên hệ đã bị xoá; không loại phiếu này được nữa",
    ),
)
