"""Calibration margins (survey/calibration_margins.py): the analyst's population counts that a
release or ``sipas analyze`` rakes, post-stratifies or linearly calibrates to.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

ENTRIES: tuple[tuple[str, str], ...] = (
    (r"the calibration margins cannot be used", "không dùng được các tổng biên hiệu chỉnh"),
    (
        r"the margins file is not UTF-8 text; save it as UTF-8",
        "tệp tổng biên không phải văn bản UTF-8; hãy lưu lại dạng UTF-8",
    ),
    (
        r"the margins file is empty; give a header and one row per category",
        "tệp tổng biên trống; hãy ghi dòng tiêu đề và mỗi nhóm một dòng",
    ),
    (
        r"the margins file has no rows; give one row per category",
        "tệp tổng biên không có dòng nào; hãy ghi mỗi nhóm một dòng",
    ),
    (
        r"the header has no (?P<name>\w+) column; the header must be "
        r"variable,category,population",
        "dòng tiêu đề thiếu cột {name}; tiêu đề phải là variable,category,population",
    ),
    (
        r"the margins are not valid JSON \(line (?P<line>\d+)\); check the file",
        "tổng biên không phải JSON hợp lệ (dòng {line}); hãy kiểm tra tệp",
    ),
    (
        r"each variable must map its categories to population counts",
        "mỗi biến phải gán cho từng nhóm số lượng tổng thể",
    ),
    (
        r"give a list of objects with variable, category and population",
        "hãy ghi danh sách các đối tượng có variable, category và population",
    ),
    (
        r"each row must be an object with variable, category and population",
        "mỗi dòng phải là một đối tượng có variable, category và population",
    ),
    (r"the population count must be a positive number", "số lượng tổng thể phải là số dương"),
    (
        r"the population count (?P<value>.+) is not a number; write digits only",
        "số lượng tổng thể {value} không phải là số; chỉ ghi chữ số",
    ),
    (r"the variable is empty; name a column", "biến để trống; hãy ghi tên một cột"),
    (r"the category is empty", "nhóm để trống"),
    (
        r"the variable (?P<v>.+) has an empty part; cross columns as sex\*age_band",
        "biến {v} có một phần trống; hãy ghép cột dạng sex*age_band",
    ),
    (
        r"the category (?P<c>.+) needs (?P<k>\d+) parts joined by \* for the variable (?P<v>.+)",
        "nhóm {c} cần {k} phần nối bằng * cho biến {v}",
    ),
    (
        r"the category (?P<c>.+) of (?P<v>.+) is given twice \(rows (?P<a>\d+) and "
        r"(?P<b>\d+)\); keep one",
        "nhóm {c} của {v} được ghi hai lần (dòng {a} và {b}); hãy giữ một dòng",
    ),
    (
        r"post-stratification takes one variable; cross columns into one \(sex\*age_band\) "
        r"or use rake",
        "hậu phân tầng chỉ dùng một biến; hãy ghép các cột thành một (sex*age_band) hoặc dùng rake",
    ),
    (
        r"bounds apply to linear calibration only",
        "giới hạn chỉ áp dụng cho hiệu chỉnh tuyến tính",
    ),
    (r"give two bounds: lower,upper", "hãy ghi hai giới hạn: dưới,trên"),
    (
        r"the bounds must hold 1, for example 0\.5,2 \(lower from 0 to below 1, upper above 1\)",
        "các giới hạn phải chứa 1, ví dụ 0,5 và 2 (dưới từ 0 đến dưới 1, trên lớn hơn 1)",
    ),
    (
        r"the margins of (?P<v>.+) add up to (?P<t>\S+) but those of (?P<f>.+) to (?P<u>\S+); "
        r"every variable must count the same population",
        "tổng biên của {v} cộng lại là {t} nhưng của {f} là {u}; mọi biến phải đếm cùng một "
        "tổng thể",
    ),
    (
        r"the responses have no column (?P<c>.+); use one of (?P<allowed>.+)",
        "phiếu trả lời không có cột {c}; hãy dùng một trong {allowed}",
    ),
    (
        r"the column (?P<c>.+) does not have one value per response",
        "cột {c} không có đúng một giá trị cho mỗi phiếu",
    ),
    (
        r"(?P<k>\d+) responses have no (?P<c>.+); calibrate on a variable every respondent "
        r"has, or give their category \(for example 'unknown'\) a count",
        "{k} phiếu không có {c}; hãy hiệu chỉnh theo biến mà mọi người trả lời đều có, hoặc "
        "ghi số lượng cho nhóm của họ (ví dụ 'unknown')",
    ),
    (
        r"the responses have (?P<v>\S+) (?P<c>.+), which the margins do not count; add a row "
        r"for it or merge it with another category",
        "có phiếu mang {v} {c} mà tổng biên không đếm; hãy thêm một dòng cho nhóm này hoặc "
        "gộp nó với nhóm khác",
    ),
    (
        r"no response has (?P<v>\S+) (?P<c>.+); merge it with a neighbouring category \(an "
        r"empty cell cannot be weighted up\)",
        "không phiếu nào có {v} {c}; hãy gộp nhóm này với nhóm gần nó (ô trống không thể "
        "nhân trọng số lên)",
    ),
    (
        r"linear calibration would give some responses a negative weight; give bounds \(for "
        r"example 0\.3,3\) or use rake",
        "hiệu chỉnh tuyến tính sẽ cho một số phiếu trọng số âm; hãy ghi giới hạn (ví dụ 0,3 "
        "và 3) hoặc dùng rake",
    ),
    (
        r"the weights cannot reach these margins; merge small categories, widen the bounds "
        r"or check the counts",
        "trọng số không đạt được các tổng biên này; hãy gộp các nhóm nhỏ, nới giới hạn hoặc "
        "kiểm tra lại số lượng",
    ),
    (
        r"choose a calibration method \(rake, poststratify or linear\) for these margins",
        "hãy chọn phương pháp hiệu chỉnh (rake, poststratify hoặc linear) cho các tổng biên này",
    ),
    (
        r"give the margins to calibrate to: a table of variable,category,population",
        "hãy ghi các tổng biên cần hiệu chỉnh theo: bảng variable,category,population",
    ),
    # The release's variance choice (survey/release_pipeline/design.py).
    (
        r"replicates and seed are for the bootstrap only; the jackknife has one replicate per "
        r"first-stage unit",
        "số lần lặp và hạt giống chỉ dùng cho bootstrap; dao cắt (jackknife) có một lần lặp "
        "cho mỗi đơn vị giai đoạn 1",
    ),
    (
        r"give from 2 to (?P<max>\d+) bootstrap replicates",
        "hãy ghi từ 2 đến {max} lần lặp bootstrap",
    ),
    (r"give a seed from 0 to 2\^63 - 1", "hãy ghi hạt giống từ 0 đến 2^63 - 1"),
    (
        r"jk1 is for a design without strata; this release's design is stratified, use jkn",
        "jk1 dành cho thiết kế không phân tầng; thiết kế của bản kết quả này có phân tầng, hãy "
        "dùng jkn",
    ),
    (
        r"(?P<method>\w+) needs at least 2 respondents \(first-stage units\) in every stratum; "
        r"use taylor, or merge strata",
        "{method} cần ít nhất 2 người trả lời (đơn vị giai đoạn 1) trong mỗi tầng; hãy dùng "
        "taylor hoặc gộp tầng",
    ),
    (r"cannot read (?P<path>.+): (?P<why>.+)", "không đọc được {path}: {why}"),
)
