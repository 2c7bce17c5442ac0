"""The web layer's own problems (api/deps.py, api/policy.py, api/errors.py, the routers' and the
staff pages' form checks): sign-in, form tokens, uploads, and the fields a form parses before any
use case runs.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    # Credentials and form tokens (api/deps.py).
    (
        r"a change through the API with the sign-in cookie needs the X-CSRF-Token header \(the "
        r"form token of the staff pages\); scripts send 'Authorization: Bearer <token>'",
        "thay đổi qua API bằng cookie đăng nhập cần tiêu đề X-CSRF-Token (mã biểu mẫu của các "
        "trang cán bộ); chương trình tự động thì gửi 'Authorization: Bearer <token>'",
    ),
    (
        r"send the staff page's form token in this header",
        "hãy gửi mã biểu mẫu của trang cán bộ trong tiêu đề này",
    ),
    (
        r"sign in first: send 'Authorization: Bearer <token>'",
        "hãy đăng nhập trước: gửi 'Authorization: Bearer <token>'",
    ),
    # api/errors.py.
    (
        r"a number is out of range or a text is longer than its field allows: send smaller "
        r"numbers and shorter texts",
        "có số nằm ngoài khoảng cho phép hoặc nội dung dài hơn mức trường cho phép: hãy gửi số "
        "nhỏ hơn và nội dung ngắn hơn",
    ),
    (
        r"the database cannot be reached for a moment; nothing was changed by this request "
        r"unless it said so: retry in (?P<n>\d+) seconds",
        "tạm thời chưa kết nối được cơ sở dữ liệu; yêu cầu này chưa thay đổi gì (trừ khi đã "
        "báo khác): hãy thử lại sau {n} giây",
    ),
    # Staff pages' forms (api/pages/*).
    (r"the design's numbers are not valid", "các con số của thiết kế mẫu chưa hợp lệ"),
    (r"enter the start date as YYYY-MM-DD", "hãy nhập ngày bắt đầu dạng YYYY-MM-DD"),
    (r"enter the end date as YYYY-MM-DD", "hãy nhập ngày kết thúc dạng YYYY-MM-DD"),
    (
        r"write whole days separated by commas",
        "hãy ghi số ngày nguyên, cách nhau bằng dấu phẩy",
    ),
    (r"choose one from the list", "hãy chọn một mục trong danh sách"),
    (r"unknown action (?P<q>.+)", "không có thao tác {q}"),
    (
        r"(?P<codes>activate, invite, queue, close, purge)",
        "hãy chọn một trong các thao tác {codes}",
    ),
    (r"choose an interviewer", "hãy chọn điều tra viên"),
    (r"a whole number", "hãy ghi một số nguyên"),
    (r"enter a whole number", "hãy nhập một số nguyên"),
    (r"fix the form", "hãy sửa lại biểu mẫu"),
    (
        r"choose how province codes are grouped",
        "hãy chọn cách gộp mã tỉnh",
    ),
    (r"enter a name for the release", "hãy nhập tên cho kết quả"),
    (r"choose a campaign from the list", "hãy chọn một đợt khảo sát trong danh sách"),
    (r"enter a number, e\.g\. (?P<example>.+)", "hãy nhập một số, ví dụ {example}"),
    # Routers (api/routers/*).
    (r"unknown export format (?P<q>.+)", "không có định dạng xuất {q}"),
    (r"frame (?P<id>\S+) was rejected", "danh sách hồ sơ {id} bị từ chối"),
    (
        r"frame (?P<id>\S+) was rejected and nothing was imported; read the report at "
        r"(?P<url>\S+), fix the rows and upload again, or upload with accept_valid_rows=true to "
        r"import the valid rows only",
        "danh sách hồ sơ {id} bị từ chối và chưa có dòng nào được nhập: hãy đọc báo cáo tại "
        "{url}, sửa các dòng rồi tải lên lại, hoặc tải lên với accept_valid_rows=true để chỉ "
        "nhập các dòng hợp lệ",
    ),
    (r"unsupported file type", "loại tệp không được hỗ trợ"),
    (
        r"(?P<q>.+) is not a \.csv or \.xlsx file; export it as one",
        "{q} không phải tệp .csv hoặc .xlsx: hãy xuất tệp ra một trong hai dạng đó",
    ),
    (r"the column map is not valid JSON", "bảng đổi tên cột không phải JSON hợp lệ"),
    (
        r"not valid JSON \((?P<error>.*)\); give \{\"col\": \"field\"\}",
        'không phải JSON hợp lệ ({error}): hãy ghi dạng {{"cột": "trường"}}',
    ),
    (
        r"the column map must map names to names",
        "bảng đổi tên cột phải ghép tên cột với tên trường",
    ),
    (
        r"give an object such as \{\"Mã hồ sơ\": \"dossier_code\"\}",
        'hãy ghi một đối tượng, ví dụ {{"Mã hồ sơ": "dossier_code"}}',
    ),
    (r"the column map cannot be read", "không đọc được bảng đổi tên cột"),
    (
        r"line (?P<n>\S+) (?P<q>.+) is not 'file column=field'",
        "dòng {n} {q} không có dạng 'tên cột trong tệp=tên trường'",
    ),
    # The staff release form's ranking fields (api/pages/releases.py, api/band_lines.py).
    (
        r"enter a whole number of respondents, e\.g\. 30; 0 ranks all",
        "hãy ghi số người trả lời là số nguyên, ví dụ 30; ghi 0 để xếp hạng mọi đơn vị",
    ),
    (
        r"bands, line (?P<n>\d+): write lower bound; Vietnamese; English",
        "Dải xếp loại, dòng {n}: hãy ghi cận dưới; nhãn tiếng Việt; nhãn tiếng Anh",
    ),
    (
        r"bands, line (?P<n>\d+): the lower bound (?P<value>.+) is not a number",
        "Dải xếp loại, dòng {n}: cận dưới {value} không phải là số (ví dụ 0,9)",
    ),
    (
        r"bands, line (?P<n>\d+): the lower bound is not finite",
        "Dải xếp loại, dòng {n}: cận dưới phải là một số hữu hạn",
    ),
    (
        r"bands, line (?P<n>\d+): give both labels, Vietnamese and English",
        "Dải xếp loại, dòng {n}: hãy ghi đủ hai nhãn, tiếng Việt và tiếng Anh",
    ),
    (
        r"bands, line (?P<n>\d+): write the bands highest bound first",
        "Dải xếp loại, dòng {n}: hãy ghi các dải từ cao xuống thấp, cận dưới giảm dần",
    ),
)
