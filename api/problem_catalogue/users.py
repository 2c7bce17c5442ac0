"""Staff accounts, sign-in, tokens and the password policy (``survey.users``,
``survey.passwords``) in Vietnamese."""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"wrong username or password", "sai tên đăng nhập hoặc mật khẩu"),
    (r"the user cannot be created", "không tạo được tài khoản"),
    (
        r"a user named (?P<username>.+) exists already; choose another username",
        "đã có tài khoản tên {username}; hãy chọn tên đăng nhập khác",
    ),
    (r"the token cannot be created", "không tạo được mã truy cập (token)"),
    (
        r"the token is unknown or revoked: sign in again",
        "mã truy cập không tồn tại hoặc đã bị thu hồi: hãy đăng nhập lại",
    ),
    (
        r"the session has expired after a long time without use: sign in again",
        "phiên làm việc đã hết hạn vì lâu không sử dụng: hãy đăng nhập lại",
    ),
    (
        r"the session has ended \(signed in too long ago\): sign in again",
        "phiên làm việc đã kết thúc (đăng nhập đã quá lâu): hãy đăng nhập lại",
    ),
    (
        r"the token has expired: sign in again or create a new token",
        "mã truy cập đã hết hạn: hãy đăng nhập lại hoặc tạo mã mới",
    ),
    (
        r"the account is disabled: ask an administrator to enable it",
        "tài khoản đã bị vô hiệu hoá: hãy nhờ quản trị viên kích hoạt lại",
    ),
    (
        r"this account is disabled: ask an administrator to enable it",
        "tài khoản này đã bị vô hiệu hoá: hãy nhờ quản trị viên kích hoạt lại",
    ),
    (
        r"only an administrator may list another user's tokens",
        "chỉ quản trị viên mới được xem mã truy cập của người khác",
    ),
    (
        r"no token with id (?P<id>\d+) among yours: list them with GET /api/auth/tokens",
        "không có mã truy cập số {id} trong các mã của bạn: hãy xem danh sách bằng "
        "GET /api/auth/tokens",
    ),
    (
        r"no token with id (?P<id>\d+): list them with 'sipas token list USER'",
        "không có mã truy cập số {id}: hãy xem danh sách bằng lệnh 'sipas token list USER'",
    ),
    (
        r"(?P<username>.+) is the last active administrator: create or enable another first",
        "{username} là quản trị viên cuối cùng đang hoạt động: hãy tạo hoặc kích hoạt một "
        "quản trị viên khác trước",
    ),
    (
        r"(?P<username>.+) is the last active administrator: make another admin first",
        "{username} là quản trị viên cuối cùng đang hoạt động: hãy cấp vai trò quản trị viên "
        "cho một tài khoản khác trước",
    ),
    (r"the user cannot be changed", "không sửa được tài khoản"),
    (
        r"no user named (?P<username>.+): create it with 'sipas user create'",
        "không có tài khoản tên {username}: hãy tạo bằng lệnh 'sipas user create'",
    ),
    (r"no user with id (?P<id>\d+)", "không có tài khoản số {id}"),
    (
        r"unknown role (?P<value>.+): use one of (?P<codes>.+)",
        "không có vai trò {value}: hãy dùng một trong các mã {codes}",
    ),
    (r"the username is empty", "tên đăng nhập đang trống"),
    (
        r"the username may have at most (?P<n>\d+) characters",
        "tên đăng nhập chỉ được dài tối đa {n} ký tự",
    ),
    (
        r"the full name may have at most (?P<n>\d+) characters",
        "họ tên chỉ được dài tối đa {n} ký tự",
    ),
    (r"a token name has 1 to 100 characters", "tên mã truy cập dài từ 1 đến 100 ký tự"),
    (
        r"give the expiry with its time zone, e\.g\. 2027-01-31T00:00Z",
        "hãy ghi thời hạn kèm múi giờ, ví dụ 2027-01-31T00:00Z",
    ),
    (r"the expiry must be in the future", "thời hạn phải là một thời điểm trong tương lai"),
    (
        r"a token lives at most (?P<n>\d+) days: choose a date before (?P<date>\S+)",
        "mã truy cập có hiệu lực tối đa {n} ngày: hãy chọn ngày trước {date}",
    ),
    (
        r"a scope is 'agency' or 'province'",
        "phạm vi là 'agency' (cơ quan) hoặc 'province' (tỉnh)",
    ),
    (r"a scope code has 1 to 32 characters", "mã phạm vi dài từ 1 đến 32 ký tự"),
    # survey.passwords (its own Vietnamese, _WORDS["vi"], for the same sentences).
    (r"the password needs at least (?P<n>\d+) characters", "mật khẩu cần ít nhất {n} ký tự"),
    (
        r"the password may have at most (?P<n>\d+) characters",
        "mật khẩu chỉ được dài tối đa {n} ký tự",
    ),
    # zxcvbn's advice stays as written: survey.passwords says it in Vietnamese when asked
    # with lang="vi".
    (r"the password is too easy to guess: (?P<advice>.+)", "mật khẩu quá dễ đoán: {advice}"),
    (
        r"the server is busy checking other sign-ins: try again in a few seconds",
        "máy chủ đang bận kiểm tra các lượt đăng nhập khác: hãy thử lại sau vài giây",
    ),
)
