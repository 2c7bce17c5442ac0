"""Running the service: purges, the audit log, the worker, dispositions, rate limits, settings
and logging (``survey.purge``, ``survey.audit``, ``survey.worker``, ``survey.dispositions``,
``survey.rate_limits``, ``survey.settings``, ``survey.logging_setup``) in Vietnamese."""

from __future__ import annotations

# survey.rate_limits words a wait as "45 seconds" or "15 minutes".
_UNITS: tuple[tuple[str, str], ...] = (("seconds", "giây"), ("minutes", "phút"))

# Why a secret key cannot sign links (survey.settings.secret_key_problem).
_SECRET_KEY_PROBLEMS: tuple[tuple[str, str], ...] = (
    (r"is not set", "chưa được đặt"),
    (
        r"is the built-in development key, which anyone can read in the source code",
        "là khoá dùng khi phát triển, có sẵn trong mã nguồn nên ai cũng đọc được",
    ),
    (
        r"has (?P<n>\d+) characters; it needs at least (?P<least>\d+)",
        "có {n} ký tự; cần ít nhất {least}",
    ),
    (r"repeats a few characters; it must be random", "chỉ lặp lại vài ký tự; khoá phải ngẫu nhiên"),
)


ENTRIES: tuple[tuple[str, str], ...] = (
    # survey.purge
    (
        r"campaign (?P<id>\d+) is (?P<status>\w+); close it before purging contacts",
        "đợt khảo sát {id} hiện ở trạng thái “{status}”: hãy đóng đợt khảo sát trước khi xoá thông "
        "tin liên hệ",
    ),
    (r"close the campaign first", "hãy đóng đợt khảo sát trước"),
    (
        r"another campaign on the same frame is still in the field",
        "một đợt khảo sát khác dùng cùng danh sách hồ sơ vẫn đang thu thập",
    ),
    (
        r"close campaign\(s\) (?P<ids>\d+(?:, \d+)*) first; they use the frame's phones",
        "hãy đóng (các) đợt khảo sát {ids} trước; các đợt này dùng số điện thoại của danh sách "
        "hồ sơ",
    ),
    # survey.audit
    (r"the audit filters are not usable", "các bộ lọc nhật ký kiểm tra không dùng được"),
    (r"limit must be between 1 and (?P<most>\d+)", "limit phải từ 1 đến {most}"),
    (r"offset must be between 0 and (?P<most>\d+)", "offset phải từ 0 đến {most}"),
    (r"until must be later than since", "until phải sau since"),
    # survey.worker
    (r"unknown SMS gateway (?P<gateway>.+)", "không có cổng SMS {gateway}"),
    (r"set it to 'outbox' or 'kannel'", "hãy đặt là 'outbox' hoặc 'kannel'"),
    # survey.dispositions
    (
        r"cannot group dispositions by (?P<by>.+)",
        "không nhóm được kết quả liên hệ theo {by}",
    ),
    (
        r"use one of (?P<groupings>all, stratum, agency, channel, dossier_channel, mode)",
        "hãy dùng một trong {groupings}",
    ),
    # survey.rate_limits
    *(
        (
            rf"too many {what} from this address: try again in (?P<wait>\d+) {unit}",
            f"có quá nhiều {vi} từ địa chỉ này: hãy thử lại sau {{wait}} {vi_unit}",
        )
        for what, vi in (
            ("requests", "yêu cầu"),
            ("callbacks", "thông báo trạng thái tin nhắn (callback)"),
            ("sign-in attempts", "lượt đăng nhập"),
        )
        for unit, vi_unit in _UNITS
    ),
    *(
        (
            r"too many sign-in attempts for this account: it is locked for (?P<wait>\d+) "
            rf"{unit}; try again then \(an administrator can see the attempts in the audit "
            r"log\)",
            "có quá nhiều lượt đăng nhập vào tài khoản này: tài khoản bị khoá trong {wait} "
            f"{vi_unit}; hãy thử lại sau thời gian đó (quản trị viên xem được các lượt thử "
            "trong nhật ký kiểm tra)",
        )
        for unit, vi_unit in _UNITS
    ),
    # survey.settings
    *(
        (
            rf"(?P<variable>\w+)SECRET_KEY {problem}: the service will not start without a real "
            r"secret key",
            f"{{variable}}SECRET_KEY {vi}: dịch vụ không khởi động khi chưa có khoá bí mật thật",
        )
        for problem, vi in _SECRET_KEY_PROBLEMS
    ),
    (
        r"make one with `(?P<command>.+)` and set (?P<variable>\w+) to it \(at least "
        r"(?P<least>\d+) random characters\); keep it stable and private, since every "
        r"invitation link and callback signature is derived from it",
        "hãy tạo khoá bằng lệnh `{command}` rồi đặt {variable} bằng khoá đó (ít nhất {least} "
        "ký tự ngẫu nhiên); giữ khoá cố định và bí mật, vì mọi đường liên kết mời và chữ ký "
        "gọi lại đều được tạo từ khoá này",
    ),
    (
        r"(?P<variable>\w+) has (?P<entry>.+), which is not an IP address",
        "{variable} có {entry}, không phải là địa chỉ IP",
    ),
    (
        r"give comma-separated IP addresses or CIDR networks, e\.g\. '127\.0\.0\.1, "
        r"10\.1\.2\.0/24' \(or leave it unset to accept any address\)",
        "hãy ghi các địa chỉ IP hoặc dải mạng CIDR, cách nhau bằng dấu phẩy, ví dụ "
        "'127.0.0.1, 10.1.2.0/24' (hoặc để trống để nhận mọi địa chỉ)",
    ),
    # survey.logging_setup
    (
        r"unknown log format (?P<value>.+): set SIPAS_LOG_FORMAT to json or text",
        "không có định dạng nhật ký {value}: hãy đặt SIPAS_LOG_FORMAT là json hoặc text",
    ),
)
