"""The interviewer's call list and interviews (``survey.interviews``) in Vietnamese."""

from __future__ import annotations

# Why a case cannot be assigned or interviewed, as the use case words it.
_REASONS: tuple[tuple[str, str], ...] = (
    (
        r"it already has a response \(in any mode\): nothing to interview",
        "đã có câu trả lời (theo một hình thức nào đó), không cần phỏng vấn",
    ),
    (r"it is assigned already", "đã được giao"),
    (r"the field period is over", "đã hết thời gian khảo sát"),
    (r"the invitation was revoked", "lời mời đã bị huỷ"),
    (r"the person asked not to be contacted", "người này đã từ chối liên hệ"),
    (r"there is no phone number to call", "không có số điện thoại để gọi"),
    (r"there is no postal address to visit", "không có địa chỉ để đến gặp"),
)

_LINK_STATES: tuple[tuple[str, str], ...] = (
    ("opted_out", "người này đã từ chối liên hệ"),
    ("revoked", "lời mời đã bị huỷ"),
    ("expired", "đã hết thời gian khảo sát"),
    ("not_open", "đợt khảo sát chưa bắt đầu"),
)

_FINISHED: tuple[tuple[str, str], ...] = (
    ("completed", "đã hoàn thành"),
    ("closed", "đã kết thúc"),
    ("answered_elsewhere", "đã kết thúc vì người này đã trả lời theo hình thức khác"),
)

_MODES: tuple[tuple[str, str], ...] = (
    ("phone", "phỏng vấn qua điện thoại"),
    ("face_to_face", "phỏng vấn gặp trực tiếp"),
)

ENTRIES: tuple[tuple[str, str], ...] = (
    *(
        (rf"interview (?P<id>\d+) is finished \({code}\)", f"cuộc phỏng vấn {{id}} {vi}")
        for code, vi in _FINISHED
    ),
    (
        r"interview (?P<id>\d+) is finished \((?P<state>\w+)\)",
        "cuộc phỏng vấn {id} đã kết thúc ({state})",
    ),
    (
        r"mode (?P<mode>.+) is not an interview mode",
        "hình thức {mode} không phải là hình thức phỏng vấn",
    ),
    (
        r"user (?P<id>\d+) is not an active interviewer",
        "tài khoản {id} không phải là điều tra viên đang hoạt động",
    ),
    (
        r"max_attempts (?P<n>-?\d+) is out of range",
        "số lần liên hệ tối đa {n} nằm ngoài khoảng cho phép",
    ),
    (r"no cases chosen", "chưa chọn trường hợp nào"),
    (r"some cases cannot be assigned", "một số trường hợp không giao được"),
    (
        r"interview (?P<id>\d+) is not on your list",
        "cuộc phỏng vấn {id} không có trong danh sách của bạn",
    ),
    (r"invitation (?P<id>\d+) already has a response", "lời mời {id} đã có câu trả lời"),
    *(
        (
            rf"invitation (?P<id>\d+) cannot be interviewed: {code}",
            f"không phỏng vấn được theo lời mời {{id}}: {vi}",
        )
        for code, vi in _LINK_STATES
    ),
    (
        r"invitation (?P<id>\d+) cannot be interviewed: (?P<state>\w+)",
        "không phỏng vấn được theo lời mời {id}: {state}",
    ),
    *(
        (
            rf"outcome (?P<code>.+) is not a {mode} disposition code",
            f"mã kết quả {{code}} không dùng cho {vi}",
        )
        for mode, vi in _MODES
    ),
    (
        r"outcome (?P<code>.+) is not a (?P<mode>\w+) disposition code",
        "mã kết quả {code} không dùng cho hình thức {mode}",
    ),
    (
        r"a complete interview is recorded by submitting its answers",
        "cuộc phỏng vấn hoàn thành được ghi nhận bằng cách gửi câu trả lời",
    ),
    (
        r"callback time (?P<text>.+) is not understood",
        "không hiểu được giờ hẹn lại {text}",
    ),
    (
        r"this case is closed: nothing more to record",
        "trường hợp này đã kết thúc: không ghi thêm được",
    ),
    (
        r"outcome (?P<code>\S+) ends the case: no callback",
        "kết quả {code} kết thúc trường hợp: không hẹn lại được",
    ),
    (r"the callback time has passed", "giờ hẹn lại đã qua"),
    (
        r"the callback time is after the field period",
        "giờ hẹn lại sau khi kết thúc đợt khảo sát",
    ),
    (
        r"choose phone or face_to_face",
        "hãy chọn điện thoại (phone) hoặc gặp trực tiếp (face_to_face)",
    ),
    (
        r"choose an active account with the role interviewer",
        "hãy chọn một tài khoản đang hoạt động có vai trò điều tra viên",
    ),
    (r"give a whole number from 1 to (?P<n>\d+)", "hãy ghi một số nguyên từ 1 đến {n}"),
    (r"tick at least one case to assign", "hãy chọn ít nhất một trường hợp để giao"),
    (
        r"no case (?P<id>\d+) in campaign (?P<campaign>\d+)",
        "không có trường hợp {id} trong đợt khảo sát {campaign}",
    ),
    *(
        (
            rf"case (?P<id>\d+) cannot be assigned: {reason}",
            f"trường hợp {{id}} không giao được: {vi}",
        )
        for reason, vi in _REASONS
    ),
    (
        r"open a case from your own call list or route",
        "hãy mở trường hợp từ danh sách gọi hoặc lộ trình của chính bạn",
    ),
    (
        r"this person has answered already \(another mode\)",
        "người này đã trả lời rồi (theo hình thức khác)",
    ),
    # Why a case with a link that no longer works cannot be interviewed.
    *_REASONS[2:5],
    (r"the campaign has not started", "đợt khảo sát chưa bắt đầu"),
    (
        r"choose one of (?P<codes>\d(?:\.\d+)+(?:, \d(?:\.\d+)+)*)",
        "hãy chọn một trong các mã {codes}",
    ),
    (
        r"conduct the interview and submit it; 1\.1 follows",
        "hãy thực hiện cuộc phỏng vấn rồi gửi câu trả lời; mã 1.1 sẽ được ghi theo",
    ),
    (
        r"write the date and time as 2026-03-02 14:30",
        "hãy ghi ngày và giờ theo dạng 2026-03-02 14:30",
    ),
    (
        r"leave the callback empty for a final outcome",
        "hãy để trống giờ hẹn lại khi kết quả là kết quả cuối",
    ),
    (r"choose a time later than now", "hãy chọn một thời điểm sau thời điểm hiện tại"),
    (
        r"choose a time before the field period ends",
        "hãy chọn thời điểm trước khi kết thúc đợt khảo sát",
    ),
)
