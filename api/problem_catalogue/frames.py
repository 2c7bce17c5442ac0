"""Frame imports (survey/frames.py, frame_files, frame_staging, geography) and the role and scope
refusals of every staff action, said in Vietnamese.

Each entry is (English pattern matched with ``re.fullmatch`` on the message, Vietnamese template
formatted with the pattern's named groups); see :mod:`api.problem_catalogue`.
"""

from __future__ import annotations

# What makes a workbook too large to read (survey/frame_files.py, ``_too_big``).
_ZIP_BOMB = (
    r": this is either not a real workbook \(a \"zip bomb\"\) or too large; split the list "
    r"into several files, or save it as CSV UTF-8"
)
_TOO_BIG = (
    (
        r"would decompress to more than (?P<n>\S+) bytes",
        "khi giải nén sẽ lớn hơn {n} byte",
    ),
    (
        r"has a part \((?P<part>[^)]*)\) that decompresses to (?P<ratio>\S+) times its size "
        r"\(at most (?P<max>\S+) times is accepted\)",
        "có một phần ({part}) khi giải nén lớn gấp {ratio} lần (chỉ chấp nhận tối đa {max} lần)",
    ),
    (
        r"has more shared text than (?P<n>\S+) bytes",
        "có phần văn bản dùng chung lớn hơn {n} byte",
    ),
    (r"has more than (?P<n>\S+) rows", "có hơn {n} dòng"),
    (
        r"has a row longer than (?P<n>\S+) bytes of XML",
        "có một dòng dài hơn {n} byte XML",
    ),
)

# The role words of a refusal ("the role coordinator or admin") become the roles' names.
_ROLES = r"(?P<roles>[a-z]+(?: or [a-z]+)*)"

ENTRIES: tuple[tuple[str, str], ...] = (
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
        r"the uploaded file (?P<id>\S+) is not kept for your account: .*",
        "tệp tải lên {id} không còn được giữ cho tài khoản của bạn: tệp đã được nhập, đã quá một "
        "giờ, hoặc do tài khoản khác tải lên; hãy tải tệp lên lại",
    ),
    (r"no such uploaded file", "không có tệp tải lên này"),
    # Reading the file (survey/frame_files.py).
    (r"the file is not UTF-8 text", "tệp không phải văn bản UTF-8"),
    (
        r"the file is not UTF-8 text near row (?P<n>\S+): in Excel use Save As > 'CSV UTF-8 "
        r"\(Comma delimited\)', or upload the \.xlsx",
        "tệp không phải văn bản UTF-8 (ở gần dòng {n}): trong Excel hãy chọn Lưu thành (Save "
        "As) > 'CSV UTF-8 (Comma delimited)', hoặc tải lên tệp .xlsx",
    ),
    (
        r"the file's columns do not give a usable frame",
        "các cột của tệp chưa tạo được danh sách hồ sơ dùng được",
    ),
    (r"the workbook (?P<name>.+) cannot be read", "không đọc được tệp Excel {name}"),
    (r"the workbook (?P<name>.+) is too large to read", "tệp Excel {name} quá lớn, không đọc được"),
    (r"legacy \.xls files are not read", "hệ thống không đọc tệp .xls kiểu cũ"),
    (
        r"this is an old \.xls workbook: save it as \.xlsx or CSV UTF-8",
        "đây là tệp Excel .xls kiểu cũ: hãy lưu lại thành .xlsx hoặc CSV UTF-8",
    ),
    (r"the file is empty", "tệp đang trống"),
    (
        r"row 1 must hold the column names: the file has none",
        "dòng 1 phải là tên các cột: tệp không có dòng nào",
    ),
    (
        r"XLSX files cannot be read safely on this server",
        "máy chủ này chưa đọc tệp XLSX một cách an toàn được",
    ),
    (
        r"(?P<name>.+): this server reads \.xlsx only with defusedxml \(installed, and "
        r"OPENPYXL_DEFUSEDXML not set to False\); upload the file as CSV UTF-8 meanwhile",
        "{name}: máy chủ này chỉ đọc tệp .xlsx khi có defusedxml (đã cài đặt, và "
        "OPENPYXL_DEFUSEDXML không đặt là False); trong lúc chờ, hãy tải tệp lên dạng CSV UTF-8",
    ),
    (
        r"(?P<field>'\w+') is not a frame field: use one of (?P<allowed>.+)",
        "{field} không phải trường của danh sách hồ sơ: hãy dùng một trong {allowed}",
    ),
    (
        r"column (?P<column>'.*') is not in the file: its columns are (?P<columns>.*)",
        "tệp không có cột {column}: các cột của tệp là {columns}",
    ),
    (
        r"two columns are mapped to (?P<field>'\w+'): map only one",
        "có hai cột cùng được ghép với {field}: hãy chỉ ghép một cột",
    ),
    (r"cannot read (?P<name>.+): check the path", "không đọc được {name}: hãy kiểm tra đường dẫn"),
    (r"cannot read (?P<name>.+?): (?P<reason>.+)", "không đọc được {name} ({reason})"),
    (
        r"(?P<name>.+) is damaged, truncated or not a workbook \((?P<reason>.*)\): open it in "
        r"Excel and save it again as \.xlsx, or save it as CSV UTF-8",
        "{name} bị hỏng, bị cắt cụt hoặc không phải tệp Excel ({reason}): hãy mở tệp bằng Excel "
        "rồi lưu lại thành .xlsx, hoặc lưu thành CSV UTF-8",
    ),
    *(
        (
            r"(?P<name>.+?) " + english + _ZIP_BOMB,
            "{name} " + vietnamese + ': đây không phải tệp Excel thật (một "bom zip") hoặc '
            "tệp quá lớn; hãy chia danh sách thành nhiều tệp, hoặc lưu thành CSV UTF-8",
        )
        for english, vietnamese in _TOO_BIG
    ),
    (
        r"(?P<name>.+?) (?P<what>.+): this is either not a real workbook \(a \"zip bomb\"\) or "
        r"too large; split the list into several files, or save it as CSV UTF-8",
        '{name} {what}: đây không phải tệp Excel thật (một "bom zip") hoặc tệp quá lớn; hãy '
        "chia danh sách thành nhiều tệp, hoặc lưu thành CSV UTF-8",
    ),
    (r"the header row cannot be read", "không đọc được dòng tiêu đề"),
    (
        r"the header row is not valid CSV \((?P<reason>.*)\)",
        "dòng tiêu đề không phải CSV hợp lệ ({reason})",
    ),
    (r"the file cannot be read as CSV", "không đọc được tệp dạng CSV"),
    (
        r"row (?P<n>\S+) is not valid CSV \((?P<reason>.*)\): check its quotes",
        "dòng {n} không phải CSV hợp lệ ({reason}): hãy kiểm tra các dấu ngoặc kép",
    ),
    (
        r"row (?P<n>\S+) has (?P<cells>\S+) cells but the header has (?P<width>\S+): a value "
        r"probably contains the delimiter (?P<d>'.*'); put it in quotes",
        "dòng {n} có {cells} ô nhưng dòng tiêu đề có {width}: có lẽ một giá trị chứa dấu phân "
        "cách {d}; hãy đặt giá trị đó trong dấu ngoặc kép",
    ),
    # The frame itself (survey/frames.py).
    (r"the frame needs a name", "danh sách hồ sơ cần có tên"),
    (r"give the frame a name", "hãy đặt tên cho danh sách hồ sơ"),
    (
        r"the frame's period needs a first and a last day",
        "kỳ của danh sách hồ sơ cần có ngày đầu và ngày cuối",
    ),
    (
        r"give both the first and the last day of the period, or neither",
        "hãy ghi cả ngày đầu và ngày cuối của kỳ, hoặc để trống cả hai",
    ),
    (
        r"the frame's period ends before it starts",
        "kỳ của danh sách hồ sơ kết thúc trước khi bắt đầu",
    ),
    (
        r"the last day (?P<end>\S+) is before the first day (?P<start>\S+): swap or correct them",
        "ngày cuối {end} trước ngày đầu {start}: hãy đổi chỗ hoặc sửa lại hai ngày",
    ),
    (r"frame (?P<id>\S+) does not exist", "không có danh sách hồ sơ số {id}"),
    (
        r"there is no frame (?P<id>\S+): list the frames to find it",
        "không có danh sách hồ sơ số {id}: hãy mở trang “Danh sách hồ sơ” để tìm",
    ),
    # Geographic mappings (survey/geography.py).
    (
        r"geo mapping (?P<q>'.*') does not exist: use one of (?P<known>.+) \(run "
        r"ensure_builtin_mappings to load the built-in ones\)",
        "không có bảng quy đổi địa giới {q}: hãy dùng một trong {known} (chạy "
        "ensure_builtin_mappings để nạp các bảng có sẵn)",
    ),
    (
        r"(?P<n>\S+) code\(s\) are not in geo mapping (?P<q>'.*')",
        "{n} mã không có trong bảng quy đổi địa giới {q}",
    ),
    (
        r"code (?P<code>'.*') is not in mapping (?P<q>'.*'): check the frame's codes or add the "
        r"code to the mapping",
        "mã {code} không có trong bảng quy đổi {q}: hãy kiểm tra mã trong danh sách hồ sơ hoặc "
        "thêm mã vào bảng quy đổi",
    ),
    # Whole-file problems of an import (survey/frames.py).
    (
        r"the file has no data rows under its header: check that the right file or sheet \(the "
        r"first one\) was exported",
        "tệp không có dòng dữ liệu nào dưới dòng tiêu đề: hãy kiểm tra đã xuất đúng tệp hoặc "
        "đúng trang tính (trang đầu tiên)",
    ),
    (
        r"this file has the same content as frame (?P<id>\d+) (?P<name>'.*') \(ready, period "
        r"(?P<s>\S+) to (?P<e>\S+), imported from (?P<file>'.*')\): it is a second copy of the "
        r"same dossiers; draw from frame (?P<id2>\d+) and leave this one unused",
        "tệp này có nội dung giống hệt danh sách hồ sơ {id} {name} (sẵn sàng, kỳ {s} – {e}, "
        "nhập từ tệp {file}): đây là bản sao thứ hai của cùng các hồ sơ; hãy chọn mẫu từ danh "
        "sách {id2} và không dùng danh sách này",
    ),
)
