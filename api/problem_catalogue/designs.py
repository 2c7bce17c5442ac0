"""Sample designs (survey/designs.py): the design form's checks and the design's preview.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"the design cannot be used", "thiết kế mẫu này không dùng được"),
    (r"the design is not valid", "thiết kế mẫu chưa hợp lệ"),
    (r"stratum labels are too long", "tên tầng quá dài"),
    (r"unknown domain column", "cột miền không có trong danh sách"),
    (r"the frame is empty", "danh sách hồ sơ đang trống"),
    (r"the frame has no dossiers", "danh sách hồ sơ không có hồ sơ nào"),
    (r"no design with id (?P<id>\S+)", "không có thiết kế mẫu số {id}"),
    (r"no frame with id (?P<id>\S+)", "không có danh sách hồ sơ số {id}"),
    (
        r"no frame with id (?P<id>\S+): import one",
        "không có danh sách hồ sơ số {id}: hãy nhập một danh sách trước",
    ),
    (
        r"a column is listed twice; list each column once",
        "một cột được ghi hai lần: hãy ghi mỗi cột một lần",
    ),
    (
        r"give at least one column, e\.g\. agency_code",
        "hãy ghi ít nhất một cột, ví dụ agency_code",
    ),
    (
        r"sort_by only applies to selection 'systematic'; remove it",
        "sort_by chỉ dùng với cách chọn 'systematic' (hệ thống): hãy bỏ trường này",
    ),
    (
        r"give either n_total \(a sample size\) or margin \(a precision target\), not both",
        "hãy ghi hoặc n_total (cỡ mẫu) hoặc margin (sai số mong muốn), không ghi cả hai",
    ),
    (
        r"Yamane's rule turns a margin into a size; give a margin instead of n_total, or keep "
        r"the rule 'cochran'",
        "công thức Yamane tính cỡ mẫu từ sai số: hãy ghi margin (sai số) thay cho n_total, hoặc "
        "giữ công thức 'cochran'",
    ),
    (
        r"min_per_stratum (?P<min>\S+) exceeds max_per_stratum (?P<max>\S+); lower the minimum "
        r"or raise the maximum",
        "min_per_stratum {min} lớn hơn max_per_stratum {max}: hãy giảm mức tối thiểu hoặc tăng "
        "mức tối đa",
    ),
    (
        r"a margin for each stratum fixes every n_h; choose margin_applies_to 'total' for a "
        r"Neyman allocation",
        "sai số cho từng tầng đã quyết định cỡ mẫu n_h của mỗi tầng: muốn phân bổ Neyman, hãy "
        "chọn margin_applies_to 'total' (sai số cho toàn bộ)",
    ),
    (
        r"(?P<name>.+) is not a frame column usable here; use one of (?P<allowed>.+)",
        "{name} không phải cột của danh sách dùng được ở đây: hãy dùng một trong {allowed}",
    ),
    (
        r"frame (?P<id>\S+) is (?P<status>'\w+'); only a ready frame can be sampled \(fix its "
        r"import report first\)",
        "danh sách hồ sơ {id} đang ở trạng thái {status}: chỉ chọn mẫu được từ danh sách sẵn "
        "sàng (hãy xử lý các lỗi trong báo cáo nhập trước)",
    ),
    (
        r"pps needs a PSU column, e\.g\. commune_code",
        "cách chọn pps (tỷ lệ với quy mô) cần cột đơn vị cấp 1, ví dụ commune_code",
    ),
    (
        r"psu_column only applies to selection 'pps'",
        "psu_column chỉ dùng với cách chọn 'pps' (tỷ lệ với quy mô)",
    ),
    (
        r"use one of (?P<columns>.+) as PSU column",
        "hãy dùng một trong {columns} làm cột đơn vị cấp 1",
    ),
    (r"no geo mapping named (?P<name>.+)", "không có bảng quy đổi địa giới nào tên {name}"),
    (
        r"the stratum (?P<label>.+)\.\.\. is longer than (?P<n>\d+) characters; stratify on "
        r"fewer or shorter columns",
        "tên tầng {label}... dài quá {n} ký tự: hãy phân tầng theo ít cột hơn hoặc cột ngắn hơn",
    ),
    (r"stratum_p names unknown strata", "stratum_p ghi những tầng không có trong thiết kế"),
    (r"not a stratum of this design", "không phải tầng của thiết kế này"),
)
