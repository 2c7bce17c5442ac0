"""The sampling library's errors (sampling/*) that reach a coordinator through
``survey.designs.sampling_problem``: sample sizes, allocation, draws.

Most name the design field the coordinator set (``min_per_stratum`` arrives as ``min_size``); the
others name an array of the frame and mean a fault of the platform, still said in Vietnamese.
See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    # Sample sizes (sampling/sample_size.py).
    (
        r"confidence must be between 0 and 1 \(e\.g\. 0\.95\), got (?P<v>.+)",
        "độ tin cậy phải nằm giữa 0 và 1 (ví dụ 0,95), nhưng đang là {v}",
    ),
    (
        r"margin must be a proportion between 0 and 1 \(e\.g\. 0\.05 for ±5 points\), got "
        r"(?P<v>.+)",
        "sai số (margin) phải là một tỷ lệ giữa 0 và 1 (ví dụ 0,05 cho ±5 điểm phần trăm), "
        "nhưng đang là {v}",
    ),
    (
        r"p must be strictly between 0 and 1 \(use 0\.5 when nothing is known\)",
        "p phải lớn hơn 0 và nhỏ hơn 1 (hãy dùng 0,5 khi chưa biết gì)",
    ),
    (
        r"deff must be positive \(1 for SRS\), got (?P<v>.+)",
        "hệ số thiết kế (deff) phải dương (1 với mẫu ngẫu nhiên đơn giản), nhưng đang là {v}",
    ),
    (
        r"response_rate must be in \(0, 1\] \(e\.g\. 0\.6\), got (?P<v>.+)",
        "tỷ lệ trả lời (response_rate) phải lớn hơn 0 và không quá 1 (ví dụ 0,6), nhưng đang "
        "là {v}",
    ),
    (
        r"(?P<name>\S+) must hold whole numbers of at least 1 \(units in the frame\)",
        "{name} phải là các số nguyên từ 1 trở lên (số đơn vị trong danh sách)",
    ),
    (
        r"domain \((?P<a>[^)]*)\) and population \((?P<b>[^)]*)\) need one value per domain",
        "miền ({a}) và tổng thể ({b}) cần một giá trị cho mỗi miền",
    ),
    # Allocation (sampling/allocation.py).
    (
        r"(?P<name>\S+) has (?P<n>\S+) values for (?P<k>\S+) strata; give one per stratum or a "
        r"scalar",
        "{name} có {n} giá trị cho {k} tầng: hãy ghi mỗi tầng một giá trị, hoặc một giá trị chung",
    ),
    (
        r"(?P<name>\S+) for stratum #(?P<h>\S+) is not finite",
        "{name} của tầng thứ {h} không phải là số hữu hạn",
    ),
    (
        r"total must be a non-negative integer, got (?P<v>.+)",
        "tổng cỡ mẫu phải là số nguyên không âm, nhưng đang là {v}",
    ),
    (r"labels need one value per stratum", "tên tầng cần đúng một giá trị cho mỗi tầng"),
    (
        r"population of stratum (?P<h>.+) must be a whole number >= 0, got (?P<v>.+)",
        "quy mô tổng thể của tầng {h} phải là số nguyên không âm, nhưng đang là {v}",
    ),
    (
        r"(?P<field>\S+) of stratum (?P<h>.+) is negative \((?P<v>[^)]*)\); use 0 or more",
        "{field} của tầng {h} đang âm ({v}): hãy ghi từ 0 trở lên",
    ),
    (
        r"min_size \((?P<min>[^)]*)\) exceeds max_size \((?P<max>[^)]*)\) in stratum "
        r"(?P<h>.+); lower the minimum or raise the maximum",
        "cỡ mẫu tối thiểu ({min}) lớn hơn cỡ mẫu tối đa ({max}) ở tầng {h}: hãy giảm mức tối "
        "thiểu hoặc tăng mức tối đa",
    ),
    (
        r"total (?P<n>\S+) is larger than the population \((?P<N>\S+) units\); lower the total "
        r"or take every unit",
        "tổng cỡ mẫu {n} lớn hơn tổng thể ({N} đơn vị): hãy giảm tổng cỡ mẫu hoặc lấy toàn bộ "
        "đơn vị",
    ),
    (
        r"the per-stratum minimums add up to (?P<sum>\S+), more than the total (?P<n>\S+); lower "
        r"min_size or raise the total",
        "tổng các mức tối thiểu của từng tầng là {sum}, lớn hơn tổng cỡ mẫu {n}: hãy giảm mức "
        "tối thiểu hoặc tăng tổng cỡ mẫu",
    ),
    (
        r"the per-stratum maximums cap the sample at (?P<sum>\S+), below the total (?P<n>\S+); "
        r"raise max_size or lower the total",
        "các mức tối đa của từng tầng giới hạn mẫu ở {sum}, thấp hơn tổng cỡ mẫu {n}: hãy tăng "
        "mức tối đa hoặc giảm tổng cỡ mẫu",
    ),
    (
        r"give sd= \(S_h\) or p= \(prior proportions\) for Neyman allocation",
        "phân bổ Neyman cần sd= (độ lệch chuẩn S_h) hoặc p= (tỷ lệ ước đoán trước)",
    ),
    (
        r"q must be a non-negative number, got (?P<v>.+)",
        "q phải là số không âm, nhưng đang là {v}",
    ),
    (r"size must be non-negative for every stratum", "quy mô của mọi tầng phải không âm"),
    (r"each n_h must lie between 0 and N_h", "mỗi n_h phải nằm trong khoảng từ 0 đến N_h"),
    (
        r"this allocation has no stratum labels; pass labels= when allocating",
        "phân bổ này chưa có tên tầng: hãy truyền labels= khi phân bổ",
    ),
    (r"p must lie in \[0, 1\] for every stratum", "p của mọi tầng phải nằm trong [0, 1]"),
    (r"cost must be positive for every stratum", "chi phí của mọi tầng phải dương"),
    # Draws (sampling/draws.py, pps.py).
    (
        r"(?P<name>\S+) asks for (?P<n>\S+) units in stratum (?P<h>.+), which has only "
        r"(?P<N>\S+); lower it to at most (?P<max>\S+) \(take-all\)",
        "{name} yêu cầu {n} đơn vị ở tầng {h}, trong khi tầng chỉ có {N}: hãy giảm xuống tối đa "
        "{max} (lấy toàn bộ tầng)",
    ),
    (
        r"stratum (?P<h>.+) asks for (?P<n>\S+) PSUs but has only (?P<N>\S+) with a positive "
        r"size; lower n_psu to at most (?P<max>\S+)",
        "tầng {h} yêu cầu {n} đơn vị cấp 1 nhưng chỉ có {N} đơn vị có quy mô dương: hãy giảm "
        "n_psu xuống tối đa {max}",
    ),
    (
        r"(?P<name>\S+) has shape (?P<shape>.+); it needs one value per PSU \((?P<n>\S+)\)",
        "{name} có kích thước {shape}: cần một giá trị cho mỗi đơn vị cấp 1 ({n})",
    ),
    (
        r"(?P<name>\S+)\[(?P<i>\S+)\] = (?P<v>.+); measures of size must be finite and >= 0",
        "{name}[{i}] = {v}: thước đo quy mô phải là số hữu hạn và không âm",
    ),
    (
        r"m_per_psu must be a positive integer, got (?P<v>.+)",
        "m_per_psu (số hồ sơ mỗi đơn vị cấp 1) phải là số nguyên dương, nhưng đang là {v}",
    ),
    (
        r"n_reserve must be a non-negative integer, got (?P<v>.+)",
        "n_reserve (số dự phòng) phải là số nguyên không âm, nhưng đang là {v}",
    ),
    (
        r"PSU (?P<psu>.+) lies in more than one stratum \(e\.g\. row (?P<row>\S+)\); give each "
        r"PSU a single stratum or split the PSU",
        "đơn vị cấp 1 {psu} nằm ở nhiều hơn một tầng (ví dụ dòng {row}): hãy để mỗi đơn vị cấp "
        "1 thuộc một tầng, hoặc tách đơn vị đó",
    ),
    # Frame arrays (sampling/frames.py, reproducibility.py).
    (
        r"(?P<name>\S+) must be one-dimensional, got shape (?P<shape>.+)",
        "{name} phải là mảng một chiều, nhưng có kích thước {shape}",
    ),
    (
        r"(?P<name>\S+) has dtype (?P<dtype>\S+); labels and ids must be integers or strings "
        r"\(convert with (?P<hint>.+)\)",
        "{name} có kiểu {dtype}: tên tầng và mã đơn vị phải là số nguyên hoặc chuỗi (đổi bằng "
        "{hint})",
    ),
    (
        r"sort_keys\[(?P<i>\S+)\] has shape (?P<shape>.+); it needs one value per unit "
        r"\((?P<n>\S+)\)",
        "sort_keys[{i}] có kích thước {shape}: cần một giá trị cho mỗi đơn vị ({n})",
    ),
    (
        r"sort_keys\[(?P<i>\S+)\] has dtype (?P<dtype>\S+); use numbers, dates or strings",
        "sort_keys[{i}] có kiểu {dtype}: hãy dùng số, ngày hoặc chuỗi",
    ),
    (
        r"unit_id (?P<id>.+) appears more than once \(rows (?P<rows>[^)]*)\); ids must be unique",
        "mã đơn vị {id} xuất hiện nhiều lần (các dòng {rows}): mỗi mã chỉ được có một lần",
    ),
    (
        r"unit_id (?P<id>.+) appears more than once; ids must be unique",
        "mã đơn vị {id} xuất hiện nhiều lần: mỗi mã chỉ được có một lần",
    ),
    # The streamed draw (sampling/draws.py draw_stratified_stream) counts the frame's units
    # first (GROUP BY), then reads them: a frame changed in between is refused.
    (
        r"the frame streamed more than the (?P<n>\S+) units counted; it changed during the draw, "
        r"draw again",
        "danh sách hồ sơ trả về nhiều hơn {n} đơn vị đã đếm: danh sách đã thay đổi trong lúc "
        "chọn mẫu, hãy chọn mẫu lại",
    ),
    (
        r"the frame streamed (?P<m>\S+) units but (?P<n>\S+) were counted; it changed during the "
        r"draw, draw again",
        "danh sách hồ sơ trả về {m} đơn vị nhưng đã đếm được {n}: danh sách đã thay đổi trong "
        "lúc chọn mẫu, hãy chọn mẫu lại",
    ),
    (
        r"stratum has (?P<n>\S+) values but unit_id has (?P<m>\S+); give one per unit",
        "cột tầng có {n} giá trị nhưng mã đơn vị có {m}: hãy ghi mỗi đơn vị một giá trị",
    ),
    (
        r"(?P<name>\S+) for stratum (?P<h>.+) is negative \((?P<v>[^)]*)\); sizes must be 0 or "
        r"more",
        "{name} của tầng {h} đang âm ({v}): cỡ mẫu phải từ 0 trở lên",
    ),
    (
        r"(?P<name>\S+) must be a mapping \{stratum: size\} or an integer, got (?P<type>\S+)",
        "{name} phải là bảng {{tầng: cỡ mẫu}} hoặc một số nguyên, nhưng đang là {type}",
    ),
    (
        r"(?P<name>\S+) has no entry for stratum (?P<h>.+); give every stratum a size \(0 to "
        r"leave it out\)",
        "{name} không có giá trị cho tầng {h}: hãy ghi cỡ mẫu cho mọi tầng (ghi 0 để bỏ tầng đó)",
    ),
    (
        r"(?P<name>\S+) names stratum (?P<h>.+), which has no units in the frame; remove it or "
        r"fix the label",
        "{name} ghi tầng {h}, nhưng tầng này không có đơn vị nào trong danh sách: hãy bỏ tầng đó "
        "hoặc sửa tên tầng",
    ),
    (
        r"(?P<name>\S+)\[(?P<key>.+)\] = (?P<v>.+) is not an integer",
        "{name}[{key}] = {v} không phải số nguyên",
    ),
    (
        r"seed must be a non-negative integer, got (?P<v>.+); pass e\.g\. seed=20260101",
        "hạt giống phải là số nguyên không âm, nhưng đang là {v}: hãy ghi ví dụ 20260101",
    ),
    (
        r"boolean stratum labels are ambiguous; use integers or strings",
        "tên tầng kiểu đúng/sai dễ gây nhầm: hãy dùng số nguyên hoặc chuỗi",
    ),
    (r"cannot draw below (?P<n>\S+)", "không chọn được ít hơn {n}"),
    (
        r"(?P<name>\S+) has dtype (?P<dtype>\S+); use integers, floats, datetimes or strings "
        r"\(e\.g\. (?P<hint>.+)\)",
        "{name} có kiểu {dtype}: hãy dùng số nguyên, số thực, ngày giờ hoặc chuỗi (ví dụ {hint})",
    ),
)
