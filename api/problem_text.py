"""Frame-import problems, role and scope refusals in the reader's language.

The use cases write their problems in English (the API's default, stored with the frame); this
catalogue recognises each sentence by its shape and says it in Vietnamese, keeping the values it
quotes. On web pages the command-line hints (``--map 'A=field'``, ``--accept-valid-rows``) become
the upload form's own fields. A sentence the catalogue does not know is shown as written, and
:func:`known` lets a test find one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from api.i18n import frame_import_texts, role_name, state_name, texts
from survey.frame_problem_exports import ProblemSheetWords

# The role words of a refusal ("the role coordinator or admin") become the roles' names.
_ROLES = r"(?P<roles>[a-z]+(?: or [a-z]+)*)"


def _roles(value: str, lang: str) -> str:
    joiner = " hoặc " if lang == "vi" else " or "
    return joiner.join(role_name(r, lang) for r in value.split(" or "))


# (English pattern, Vietnamese template). Groups named ``roles``/``role`` are translated;
# the others are quoted as they are (values from the file, numbers, dates).
_CATALOGUE: tuple[tuple[str, str], ...] = (
    (
        r"(?P<f>\w+) (?P<v>.+) is not a date: write YYYY-MM-DD or DD/MM/YYYY(?P<rest>.*)",
        "{f} {v} không phải là ngày: hãy ghi YYYY-MM-DD hoặc DD/MM/YYYY (ngày trước), hoặc "
        "dùng ô ngày của Excel",
    ),
    (
        r"(?P<f>\w+) is empty: every dossier needs one \((?P<a>.*)\)",
        "{f} đang trống: hồ sơ nào cũng phải có ({a})",
    ),
    (r"(?P<f>\w+) is empty: every dossier needs one", "{f} đang trống: hồ sơ nào cũng phải có"),
    (
        r"(?P<f>\w+) (?P<d>\S+) has an unlikely year: check it",
        "{f} {d} có năm khó tin: hãy kiểm tra lại",
    ),
    (
        r"(?P<f>\w+) (?P<v>.+) is not known: use one of (?P<a>.*)",
        "{f} {v} không có trong danh mục: hãy dùng một trong {a}",
    ),
    (
        r"no phone: the dossier stays in the frame but cannot be invited by SMS",
        "không có số điện thoại: hồ sơ vẫn ở trong danh sách nhưng không mời qua SMS được",
    ),
    (
        r"the phone is a landline \(02x\), which cannot receive SMS: .*",
        "số điện thoại là số cố định (02x), không nhận được SMS: hồ sơ vẫn ở trong danh sách "
        "nhưng không mời qua SMS được; hãy ghi số di động nếu biết",
    ),
    (
        r"the phone is not a Vietnamese mobile number .*",
        "số điện thoại không phải số di động Việt Nam (ví dụ 0912 345 678): hồ sơ vẫn ở trong "
        "danh sách nhưng không mời qua SMS được; hãy sửa lại số",
    ),
    (r"(?P<f>\w+) contains a NUL character: remove it", "{f} chứa ký tự NUL: hãy xoá ký tự đó"),
    (
        r"(?P<f>\w+) is (?P<n>[\d,.]+) characters long, over the limit of (?P<m>[\d,.]+): "
        r"shorten it",
        "{f} dài {n} ký tự, quá giới hạn {m}: hãy rút gọn",
    ),
    (
        r"completed_date (?P<c>\S+) is before received_date (?P<r>\S+): check the two dates",
        "completed_date {c} trước received_date {r}: hãy kiểm tra hai ngày này",
    ),
    (
        r"completed_date (?P<c>\S+) is in the future: check the date",
        "completed_date {c} ở tương lai: hãy kiểm tra ngày",
    ),
    (
        r"level (?P<v>.+) \(district\) does not exist for a dossier completed on (?P<c>\S+): "
        r"the district level was abolished on 1 July 2025; .*",
        "cấp {v} (huyện) không còn với hồ sơ hoàn thành ngày {c}: cấp huyện đã bỏ từ ngày "
        "1/7/2025; hãy ghi cấp đang giải quyết hồ sơ, cấp tỉnh hoặc cấp xã",
    ),
    (
        r"province_code (?P<v>.+) is a code from before 1 July 2025; the province is now part "
        r"of (?P<n>\S+) \((?P<name>.+)\): the row is kept and a design by province maps it "
        r"through (?P<m>\S+), or give \S+",
        "mã tỉnh {v} là mã trước ngày 1/7/2025; tỉnh này nay thuộc {n} ({name}): dòng vẫn được "
        "giữ và thiết kế theo tỉnh sẽ quy đổi qua bảng {m}, hoặc hãy ghi {n}",
    ),
    (
        r"province_code (?P<v>.+) is not a province code for a dossier completed before 1 July "
        r"2025 \(63 provinces\): .*",
        "mã tỉnh {v} không phải mã tỉnh của hồ sơ hoàn thành trước ngày 1/7/2025 (63 tỉnh, thành "
        "phố): hãy ghi mã hai chữ số theo danh mục đơn vị hành chính của Cục Thống kê",
    ),
    (
        r"province_code (?P<v>.+) is not a province code for a dossier completed from 1 July "
        r"2025 \(34 provinces\): .*",
        "mã tỉnh {v} không phải mã tỉnh của hồ sơ hoàn thành từ ngày 1/7/2025 (34 tỉnh, thành "
        "phố): hãy ghi mã hai chữ số theo danh mục đơn vị hành chính của Cục Thống kê",
    ),
    (
        r"frame (?P<id>\d+) (?P<name>'.*') \(ready, period (?P<s>\S+) to (?P<e>\S+)\) overlaps "
        r"this file's period (?P<s2>\S+) to (?P<e2>\S+) and holds dossiers of (?P<n>\d+) of the "
        r"same agencies \((?P<ex>.*)\): .*",
        "danh sách {id} {name} (sẵn sàng, kỳ {s} – {e}) trùng kỳ với tệp này ({s2} – {e2}) "
        "và có hồ sơ của {n} cơ quan giống tệp này ({ex}): một hồ sơ có ở cả hai sẽ bị tính "
        "hai lần; mỗi cơ quan và mỗi kỳ chỉ chọn mẫu từ một danh sách",
    ),
    (
        r"(?P<f>\w+) runs over (?P<l>[\d,]+) lines of the file \((?P<c>[\d,]+) characters\): a "
        r"double quote .*, so the next (?P<n>[\d,]+) lines were read into it; .*",
        '{f} kéo dài qua {l} dòng của tệp ({c} ký tự): một dấu ngoặc kép (") mở trong giá trị '
        "này không được đóng, nên {n} dòng tiếp theo bị đọc vào đó; hãy đóng hoặc xoá dấu ngoặc "
        "kép rồi tải tệp lên lại",
    ),
    (
        r"completed_date (?P<c>\S+) is outside the frame's period (?P<s>\S+) to (?P<e>\S+): .*",
        "completed_date {c} nằm ngoài kỳ của danh sách {s} – {e}: hãy kiểm tra ngày, hoặc nhập "
        "tệp với đúng kỳ mà tệp bao gồm",
    ),
    (
        r"due_date (?P<d>\S+) is before received_date (?P<r>\S+): .*",
        "due_date {d} trước received_date {r}: hãy kiểm tra ngày hẹn trả (dòng vẫn được giữ)",
    ),
    (
        r"dossier_code (?P<v>.+) already appears in row (?P<n>\d+): .*",
        "dossier_code {v} đã có ở dòng {n}: mỗi hồ sơ chỉ được có một lần; dòng đầu được giữ, "
        "dòng này bị loại",
    ),
    (
        r"columns (?P<a>'.*') and (?P<b>'.*') both read as (?P<f>'\w+'): .*",
        "hai cột {a} và {b} đều được hiểu là {f}: hãy đổi tên một cột, hoặc ghi {b}={f} vào ô "
        "đổi tên cột",
    ),
    (
        r"no column gives the required field (?P<f>'\w+'): the file's columns are (?P<c>.*); "
        r"map one with --map 'COLUMN=\w+'",
        "không có cột nào cho trường bắt buộc {f}: các cột của tệp là {c}; hãy ghi "
        '"tên cột={f}" vào ô đổi tên cột',
    ),
    (r"the import stopped: (?P<e>.*)", "việc nhập bị dừng: {e}"),
    (
        r"this needs the role " + _ROLES + r"; your role is (?P<role>\w+)",
        "việc này cần vai trò {roles}; vai trò của bạn là {role}",
    ),
    (
        r"this covers every agency and province, and your account is limited to some of them; "
        r"ask a national coordinator or an administrator",
        "việc này bao trùm mọi cơ quan và tỉnh, còn tài khoản của bạn chỉ được giao một số; hãy "
        "nhờ điều phối viên toàn quốc hoặc quản trị viên",
    ),
    (
        r"(?P<a>.+) covers the whole frame, and your account is limited to some agencies or "
        r"provinces; ask a national coordinator or an administrator",
        "{a}: việc này bao trùm cả danh sách, còn tài khoản của bạn chỉ được giao một số cơ quan "
        "hoặc tỉnh; hãy nhờ điều phối viên toàn quốc hoặc quản trị viên",
    ),
    (
        r"the role (?P<role>\w+) may not see applicants' phone numbers; .*",
        "vai trò {role} không được xem số điện thoại của người nộp hồ sơ; hãy tải mẫu không có "
        "số điện thoại",
    ),
    (
        r"the form has expired: reload the page and send it again",
        "biểu mẫu đã hết hạn: hãy tải lại trang rồi gửi lại",
    ),
    (
        r"the uploaded file (?P<id>'.*') is not kept for your account: .*",
        "tệp tải lên {id} không còn được giữ cho tài khoản của bạn: tệp đã được nhập, đã quá một "
        "giờ, hoặc do tài khoản khác tải lên; hãy tải tệp lên lại",
    ),
    (r"no such uploaded file", "không có tệp tải lên này"),
)

_COMPILED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), template) for pattern, template in _CATALOGUE
)

# Web pages have no command line: the flags become the upload form's fields.
_MAP_FLAG = re.compile(r"--map '([^']*)'")
_WEB_HINTS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"map one with --map 'COLUMN=(\w+)'"),
        lambda m: f"write 'column header={m.group(1)}' in the column mapping box",
    ),
    (_MAP_FLAG, lambda m: f"write {m.group(1)} in the column mapping box"),
    (
        re.compile(r"\(accept the report: --accept-valid-rows\)"),
        lambda m: "(tick 'import the valid rows' on the upload form)",
    ),
)


def _match(message: str) -> tuple[re.Match[str], str] | None:
    for pattern, template in _COMPILED:
        found = pattern.fullmatch(message.strip())
        if found is not None:
            return found, template
    return None


def known(message: str) -> bool:
    """Whether the catalogue says ``message`` in Vietnamese."""
    return _match(message) is not None


def for_web(message: str) -> str:
    """``message`` (English) with the command-line hints replaced by the upload form's."""
    for pattern, replace in _WEB_HINTS:
        message = pattern.sub(replace, message)
    return message


def problem_text(message: str, lang: str) -> str:
    """A problem or refusal in ``lang``: Vietnamese from the catalogue, else English for the
    web (the sentence as written when the catalogue does not know it)."""
    if lang == "vi":
        found = _match(message)
        if found is not None:
            match, template = found
            values: dict[str, Any] = dict(match.groupdict())
            if values.get("roles"):
                values["roles"] = _roles(values["roles"], lang)
            if values.get("role"):
                values["role"] = role_name(values["role"], lang)
            return template.format(**values)
    return for_web(message)


def accept_language(header: str | None) -> str:
    """``vi`` when an ``Accept-Language`` header prefers Vietnamese, else ``en`` (the API's
    default)."""
    best, best_q = "en", 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in ("vi", "en") and q > best_q:
            best, best_q = lang, q
    return best


def _lang(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else "vi"


@pass_context
def _problem_filter(context: Context, message: str) -> str:
    return problem_text(str(message), _lang(context))


@pass_context
def _role_filter(context: Context, role: str) -> str:
    return role_name(str(role), _lang(context))


@pass_context
def _state_filter(context: Context, state: str) -> str:
    return state_name(str(state), _lang(context))


def install(filters: MutableMapping[str, Any]) -> None:
    """Give a template set's filters ``problem``, ``role`` and ``state``."""
    filters["problem"] = _problem_filter
    filters["role"] = _role_filter
    filters["state"] = _state_filter


def problem_sheet_words(lang: str) -> ProblemSheetWords:
    """The headings and severity words of a problems download in ``lang``."""
    staff = texts(lang)
    words = frame_import_texts(lang)
    return ProblemSheetWords(
        headings=(
            staff["row"],
            words["file_column"],
            staff["field"],
            staff["severity"],
            staff["message"],
        ),
        severities={s: state_name(s, lang) for s in ("error", "warning")},
        sheet_name=words["problems_sheet"],
    )
