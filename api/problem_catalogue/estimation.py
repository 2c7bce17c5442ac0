"""The analysis library's errors (analysis/*) that reach an analyst through
``survey.release_pipeline.design.estimation_error``: the design, the weights, the calibration,
the variance and the indices of a release.

Each message starts with the argument it is about (``fpc: row 12 ...``), kept as written: it
names a column of the design or a parameter of the release. Those about arrays' shapes mean a
fault of the platform rather than of the analyst's choices, and are still said in Vietnamese.
See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

# The argument a message is about: "fpc", "by[2]", "weights, responded and classes".
_F = r"(?P<f>[\w\[\]]+)"

ENTRIES: tuple[tuple[str, str], ...] = (
    # The design (analysis/design.py).
    (
        r"from_columns: give at least one column \(weights, inclusion_prob, \.\.\.\)",
        "from_columns: hãy đưa ít nhất một cột (weights, inclusion_prob, ...)",
    ),
    (
        _F + r": expected a 1-D column, got shape (?P<shape>.+)",
        "{f}: cần một cột một chiều, nhưng có kích thước {shape}",
    ),
    (
        _F + r": row (?P<row>\S+) is missing; every row needs a (?P<g>\S+) label",
        "{f}: dòng {row} đang trống; dòng nào cũng cần nhãn {g}",
    ),
    (
        _F + r": has (?P<n>\S+) rows but the design has (?P<m>\S+)",
        "{f}: có {n} dòng nhưng thiết kế có {m} dòng",
    ),
    (
        _F + r": row (?P<row>\S+) is (?P<v>.+); give a finite number",
        "{f}: dòng {row} là {v}: hãy ghi một số hữu hạn",
    ),
    (
        r"ssu, ssu_fpc: give both the second-stage unit labels and the second-stage fpc "
        r"\(population count of SSUs in each PSU\), or neither",
        "ssu, ssu_fpc: hãy đưa cả nhãn đơn vị cấp 2 và hệ số hiệu chỉnh tổng thể hữu hạn cấp 2 "
        "(số đơn vị cấp 2 của tổng thể trong mỗi đơn vị cấp 1), hoặc không đưa cả hai",
    ),
    (
        r"psu, fpc: a second-stage fpc needs the first-stage PSUs and their fpc; without them "
        r"R's variance has no second-stage term \(drop ssu/ssu_fpc\)",
        "psu, fpc: hệ số hiệu chỉnh cấp 2 cần các đơn vị cấp 1 và hệ số hiệu chỉnh của chúng; "
        "thiếu chúng, phương sai theo R không có thành phần cấp 2 (hãy bỏ ssu/ssu_fpc)",
    ),
    (
        r"(?P<f>ssu|strata|psu): has (?P<n>\S+) rows, expected (?P<m>\S+)",
        "{f}: có {n} dòng, trong khi cần {m} dòng",
    ),
    (
        r"(?P<f>ssu_fpc|fpc): row (?P<row>\S+) is (?P<v>.+); it must be positive",
        "{f}: dòng {row} là {v}; giá trị này phải dương",
    ),
    (
        r"ssu_fpc: row (?P<row>\S+) says its PSU has (?P<M>\S+) SSUs but (?P<m>\S+) were "
        r"sampled; give the population count M_i of SSUs in the PSU \(or the fraction\)",
        "ssu_fpc: dòng {row} ghi đơn vị cấp 1 của nó có {M} đơn vị cấp 2 nhưng đã chọn {m}: "
        "hãy ghi số đơn vị cấp 2 M_i của tổng thể trong đơn vị cấp 1 (hoặc tỷ lệ chọn)",
    ),
    (
        r"psu: the PSU of row (?P<row>\S+) appears in more than one stratum; pass nest=True if "
        r"PSU labels are only unique within strata",
        "psu: đơn vị cấp 1 của dòng {row} có mặt ở nhiều hơn một tầng; hãy đặt nest=True nếu nhãn "
        "đơn vị cấp 1 chỉ riêng biệt trong từng tầng",
    ),
    (
        _F + r": row (?P<row>\S+) differs from other rows of its (?P<unit>\S+); (?P<g>\S+) must "
        r"be constant within a (?P<unit2>\S+)",
        "{f}: dòng {row} khác các dòng khác cùng {unit}; {g} phải giống nhau trong một {unit2}",
    ),
    (
        _F + r": shape (?P<shape>.+) does not match the design's (?P<n>\S+) rows",
        "{f}: kích thước {shape} không khớp với {n} dòng của thiết kế",
    ),
    (
        r"base_weights: a regression calibration step needs them",
        "base_weights: bước hiệu chỉnh hồi quy cần các trọng số gốc này",
    ),
    (
        r"lonely_psu: (?P<v>.+) is not one of (?P<allowed>.+)",
        "lonely_psu: {v} không phải một trong {allowed}",
    ),
    (
        r"weights: row (?P<row>\S+) is negative; weights must be >= 0",
        "weights: dòng {row} có trọng số âm; trọng số phải từ 0 trở lên",
    ),
    (
        r"fpc: row (?P<row>\S+) has sampling fraction (?P<v>\S+); it must be in \[0, 1\]",
        "fpc: dòng {row} có tỷ lệ chọn mẫu {v}; tỷ lệ này phải nằm trong [0, 1]",
    ),
    (
        r"mask: shape (?P<shape>.+) but the design has (?P<n>\S+) rows",
        "mask: kích thước {shape} nhưng thiết kế có {n} dòng",
    ),
    (
        _F + r": shape (?P<shape>.+) but weights has shape (?P<w>.+)",
        "{f}: kích thước {shape} nhưng trọng số có kích thước {w}",
    ),
    (
        r"fpc: row (?P<row>\S+) says the stratum has (?P<N>\S+) PSUs but (?P<n>\S+) were "
        r"sampled; give the population count N_h of PSUs \(or the sampling fraction\)",
        "fpc: dòng {row} ghi tầng có {N} đơn vị cấp 1 nhưng đã chọn {n}: hãy ghi số đơn vị cấp "
        "1 N_h của tổng thể (hoặc tỷ lệ chọn mẫu)",
    ),
    (
        r"inclusion_prob: row (?P<row>\S+) is (?P<v>\S+); it must be in \(0, 1\]",
        "inclusion_prob: dòng {row} là {v}; xác suất chọn phải lớn hơn 0 và không quá 1",
    ),
    # Weights (analysis/weights.py).
    (
        r"trim_weights: weights still outside \[(?P<lo>[^,]*), (?P<hi>[^]]*)\] after "
        r"(?P<n>\S+) rounds; widen the bounds",
        "trim_weights: sau {n} vòng, trọng số vẫn nằm ngoài [{lo}, {hi}]: hãy nới rộng giới hạn",
    ),
    (
        r"inclusion_prob: row (?P<row>\S+) is (?P<v>.+); inclusion probabilities must be in "
        r"\(0, 1\]",
        "inclusion_prob: dòng {row} là {v}; xác suất chọn phải lớn hơn 0 và không quá 1",
    ),
    (
        r"weights, responded and classes must have the same length \(got (?P<n>[^)]*)\)",
        "trọng số, trạng thái trả lời và nhóm điều chỉnh phải có cùng độ dài (đang là {n})",
    ),
    (
        r"classes: weighting class (?P<c>.+) has no respondents, so its weight cannot be "
        r"carried; merge it with a similar class",
        "classes: nhóm điều chỉnh trọng số {c} không có người trả lời nên không chuyển được "
        "trọng số của nhóm; hãy gộp nhóm đó với một nhóm tương tự",
    ),
    (
        r"weights: row (?P<row>\S+) is (?P<v>.+); weights must be finite, >= 0",
        "weights: dòng {row} là {v}; trọng số phải là số hữu hạn, từ 0 trở lên",
    ),
    (
        r"lower (?P<lo>\S+) is above upper (?P<hi>\S+)",
        "giới hạn dưới {lo} lớn hơn giới hạn trên {hi}",
    ),
    (
        r"bounds \[(?P<lo>[^,]*), (?P<hi>[^]]*)\] cannot keep the weight total (?P<t>\S+) over "
        r"(?P<n>\S+) rows; widen them",
        "giới hạn [{lo}, {hi}] không giữ được tổng trọng số {t} trên {n} dòng: hãy nới rộng",
    ),
    # Calibration (analysis/calibration.py).
    (
        r"rake: weights still changed by (?P<c>\S+) after (?P<n>\S+) cycles; check that the "
        r"margins have the same population total and no empty cells, or raise max_iter",
        "rake: sau {n} vòng, trọng số vẫn thay đổi {c}; hãy kiểm tra các biên có cùng tổng "
        "thể và không có ô trống, hoặc tăng max_iter",
    ),
    (
        _F + r": the sample has category (?P<c>.+) but the population totals do not; add its "
        r"population count or merge it with another category",
        "{f}: mẫu có nhóm {c} nhưng tổng thể thì không; hãy bổ sung số lượng tổng thể của nhóm "
        "hoặc gộp nhóm đó với nhóm khác",
    ),
    (
        _F + r": population count of (?P<c>.+) must be positive",
        "{f}: số lượng tổng thể của {c} phải dương",
    ),
    (
        r"post-stratum (?P<c>.+) has no sampled weight to scale up; merge it with a "
        r"neighbouring category",
        "hậu phân tầng {c} không có trọng số mẫu nào để nhân lên; hãy gộp với một nhóm lân cận",
    ),
    (
        r"margins: give one population mapping per margin \(got (?P<n>\S+) margins and "
        r"(?P<m>\S+) mappings\)",
        "margins: hãy đưa một bảng tổng thể cho mỗi biên (đang có {n} biên và {m} bảng)",
    ),
    (
        r"populations: the margins add up to different population totals \((?P<t>[^)]*)\); "
        r"(?P<how>raking|calibration) needs the same population total for every margin",
        "populations: các biên có tổng thể khác nhau ({t}); phép hiệu chỉnh cần cùng một tổng "
        "thể cho mọi biên",
    ),
    (
        r"method: (?P<m>.+) is not one of linear, raking, poststratify",
        "method: {m} không phải một trong linear, raking, poststratify",
    ),
    (
        r"covariates: give one population total per covariate \(got (?P<n>\S+) covariates and "
        r"(?P<m>\S+) totals\)",
        "covariates: hãy đưa một tổng thể cho mỗi biến phụ (đang có {n} biến và {m} tổng)",
    ),
    (
        r"margins: give at least one margin or covariate to calibrate to",
        "margins: hãy đưa ít nhất một biên hoặc một biến phụ để hiệu chỉnh theo",
    ),
    (
        r"bounds: \((?P<lo>[^,]*), (?P<hi>[^)]*)\) must hold 1 \(lower < 1 < upper\)",
        "bounds: ({lo}, {hi}) phải chứa 1 (giới hạn dưới < 1 < giới hạn trên)",
    ),
    (
        r"calibrate: (?P<m>\S+) calibration did not reach the totals in (?P<n>\S+) iterations; "
        r"widen the bounds, merge small categories or raise max_iter",
        "calibrate: phép hiệu chỉnh {m} chưa đạt các tổng sau {n} vòng lặp; hãy nới rộng giới "
        "hạn, gộp các nhóm nhỏ hoặc tăng max_iter",
    ),
    (
        r"calibrate: linear calibration gives row (?P<row>\S+) a negative weight "
        r"\(g = (?P<g>[^)]*)\); pass bounds=\(0, \.\.\.\) or use raking",
        "calibrate: hiệu chỉnh tuyến tính cho dòng {row} trọng số âm (g = {g}); hãy đặt "
        "bounds=(0, ...) hoặc dùng raking",
    ),
    (
        r"method: poststratify takes exactly one margin \(cross variables into one label for "
        r"joint cells\) and no covariates or bounds; use linear or raking otherwise",
        "method: poststratify nhận đúng một biên (hãy ghép các biến thành một nhãn cho ô kết "
        "hợp), không có biến phụ hay giới hạn; nếu không, hãy dùng linear hoặc raking",
    ),
    (
        r"covariates: need (?P<n>\S+) finite values each \(one per row of the design\)",
        "covariates: mỗi biến phụ cần {n} giá trị hữu hạn (mỗi dòng của thiết kế một giá trị)",
    ),
    # Estimators, domains (analysis/estimators.py, domain_contrasts.py).
    (
        r"domain (?P<g>.+): the weighted denominator total is zero \(no rows with weight in the "
        r"domain\); drop that domain or check the data",
        "miền {g}: tổng có trọng số của mẫu số bằng 0 (không có dòng nào có trọng số trong "
        "miền); hãy bỏ miền đó hoặc kiểm tra dữ liệu",
    ),
    (
        r"by\[(?P<j>[^]]*)\]: has (?P<n>\S+) rows but the design has (?P<m>\S+)",
        "by[{j}]: có {n} dòng nhưng thiết kế có {m} dòng",
    ),
    (
        _F + r": row (?P<row>\S+) is missing; pass na_rm=True to leave missing rows out "
        r"\(they are then treated as outside every domain\)",
        "{f}: dòng {row} đang trống; hãy đặt na_rm=True để bỏ các dòng trống (khi đó chúng "
        "được coi là nằm ngoài mọi miền)",
    ),
    (
        r"domains: give row indices of the table's (?P<n>\S+) domains",
        "domains: hãy đưa số thứ tự dòng trong {n} miền của bảng",
    ),
    # Indices (analysis/indices.py).
    (
        r"answers: expected an \(n, (?P<k>\S+)\) matrix, one column per criterion "
        r"\((?P<c>[^)]*)\), got shape (?P<shape>.+)",
        "answers: cần ma trận (n, {k}), mỗi tiêu chí một cột ({c}), nhưng có kích thước {shape}",
    ),
    (
        r"answers: row (?P<row>\S+), criterion (?P<c>.+) is (?P<v>\S+); answers must be whole "
        r"numbers (?P<lo>\S+)-(?P<hi>\S+), or missing for not answered/not applicable",
        "answers: dòng {row}, tiêu chí {c} là {v}; câu trả lời phải là số nguyên từ {lo} đến "
        "{hi}, hoặc để trống khi không trả lời hay không áp dụng",
    ),
    (
        r"(?P<f>rule|ci_method): (?P<v>.+) is not one of (?P<allowed>.+)",
        "{f}: {v} không phải một trong {allowed}",
    ),
    (
        r"level: (?P<v>\S+) must be between 0 and 1 \(e\.g\. 0\.95\)",
        "level: {v} phải nằm giữa 0 và 1 (ví dụ 0,95)",
    ),
    (
        r"answers: (?P<n>\S+) rows but the design has (?P<m>\S+)",
        "answers: có {n} dòng nhưng thiết kế có {m} dòng",
    ),
    (r"domain (?P<g>.+) is not in the table", "miền {g} không có trong bảng"),
    (
        r"strata: stratum (?P<h>.+) has only one PSU, so its variance cannot be estimated; "
        r"merge it with a similar stratum or choose lonely_psu='certainty', 'adjust' or "
        r"'average'",
        "strata: tầng {h} chỉ có một đơn vị cấp 1 nên không ước lượng được phương sai; hãy gộp "
        "tầng đó với một tầng tương tự, hoặc chọn lonely_psu='certainty', 'adjust' hoặc 'average'",
    ),
    (
        r"strata: every stratum has a single PSU, so lonely_psu='average' has no other strata "
        r"to borrow from; merge strata or use 'certainty'",
        "strata: tầng nào cũng chỉ có một đơn vị cấp 1 nên lonely_psu='average' không có tầng "
        "khác để mượn; hãy gộp các tầng hoặc dùng 'certainty'",
    ),
    (
        r"design: estimate_indices has no second-stage variance term; build the design without "
        r"ssu/ssu_fpc \(R's ultimate-cluster variance\) or use replicate weights",
        "design: estimate_indices không có thành phần phương sai cấp 2; hãy dựng thiết kế không "
        "có ssu/ssu_fpc (phương sai theo cụm cuối cùng, như R) hoặc dùng trọng số lặp",
    ),
    (
        r"node (?P<n>.+) is not in the table; use one of (?P<allowed>.+)",
        "nút {n} không có trong bảng: hãy dùng một trong {allowed}",
    ),
    # Intervals (analysis/intervals.py).
    (
        r"y: a proportion needs values in \[0, 1\] \(use a 0/1 indicator\)",
        "y: tỷ lệ cần giá trị trong [0, 1] (hãy dùng biến chỉ báo 0/1)",
    ),
    (
        r"y: the replicate logit interval needs a 0/1 indicator",
        "y: khoảng logit theo trọng số lặp cần biến chỉ báo 0/1",
    ),
    (
        r"y: the logistic fit stopped after one step; too few rows",
        "y: phép ước lượng logistic dừng sau một bước; quá ít dòng",
    ),
    (
        r"method: the likelihood interval is implemented for Taylor designs; use 'logit' or "
        r"'beta' with replicate weights",
        "method: khoảng tin cậy theo hàm hợp lý chỉ có cho thiết kế dùng khai triển Taylor; "
        "với trọng số lặp hãy dùng 'logit' hoặc 'beta'",
    ),
    (
        r"y: the likelihood interval needs a 0/1 indicator",
        "y: khoảng tin cậy theo hàm hợp lý cần biến chỉ báo 0/1",
    ),
    # Replicate weights (analysis/replicates.py).
    (
        r"multipliers: shape (?P<shape>.+), expected \((?P<n>\S+), R\)",
        "multipliers: kích thước {shape}, trong khi cần ({n}, R)",
    ),
    (
        r"multipliers: row (?P<row>\S+) has a missing or infinite value",
        "multipliers: dòng {row} có giá trị trống hoặc vô hạn",
    ),
    (
        r"strata: JK1 is for unstratified designs; use jkn\(\) for a stratified design",
        "strata: JK1 dành cho thiết kế không phân tầng; với thiết kế phân tầng hãy dùng jkn()",
    ),
    (r"psu: JK1 needs at least 2 PSUs", "psu: JK1 cần ít nhất 2 đơn vị cấp 1"),
    (
        r"strata: stratum (?P<h>.+) has a single PSU, so the jackknife cannot drop it; merge it "
        r"with another stratum",
        "strata: tầng {h} chỉ có một đơn vị cấp 1 nên phép jackknife không bỏ ra được; hãy gộp "
        "tầng đó với tầng khác",
    ),
    (
        r"replicates: need at least 2 bootstrap replicates",
        "replicates: cần ít nhất 2 lần lặp bootstrap",
    ),
    (
        r"strata: stratum (?P<h>.+) has a single PSU; the bootstrap needs 2 or more per "
        r"stratum, merge it with another stratum",
        "strata: tầng {h} chỉ có một đơn vị cấp 1; bootstrap cần từ 2 đơn vị trở lên mỗi tầng, "
        "hãy gộp tầng đó với tầng khác",
    ),
    (
        r"strata: stratum (?P<h>.+) has (?P<n>\S+) PSUs; BRR and Fay need exactly 2 PSUs per "
        r"stratum \(pair PSUs into pseudo-strata first\)",
        "strata: tầng {h} có {n} đơn vị cấp 1; BRR và Fay cần đúng 2 đơn vị cấp 1 mỗi tầng (hãy "
        "ghép đôi các đơn vị thành tầng giả trước)",
    ),
    (r"rho: (?P<v>\S+) must be in \[0, 1\)", "rho: {v} phải nằm trong [0, 1)"),
    (
        r"replicate_weights: shape (?P<shape>.+), expected \((?P<n>\S+), R\)",
        "replicate_weights: kích thước {shape}, trong khi cần ({n}, R)",
    ),
    (
        r"rscales: shape (?P<shape>.+), expected \((?P<n>\S+),\)",
        "rscales: kích thước {shape}, trong khi cần ({n},)",
    ),
    (
        r"replicates: replicate (?P<r>\S+) cannot be calibrated to the totals; merge small "
        r"categories or widen the bounds",
        "replicates: lần lặp {r} không hiệu chỉnh được theo các tổng; hãy gộp các nhóm nhỏ hoặc "
        "nới rộng giới hạn",
    ),
    # Variance (analysis/variance.py).
    (r"second_stage: the design has one stage", "second_stage: thiết kế chỉ có một cấp"),
    (
        r"ssu: the PSU of row (?P<row>\S+) has a single sampled SSU but not all its SSUs, so its "
        r"second-stage variance cannot be estimated; choose lonely_psu='certainty' or 'adjust' "
        r"\(or give its ssu_fpc as 1 if every SSU was taken\)",
        "ssu: đơn vị cấp 1 của dòng {row} chỉ có một đơn vị cấp 2 được chọn (không phải tất "
        "cả) nên không ước lượng được phương sai cấp 2; hãy chọn lonely_psu='certainty' hoặc "
        "'adjust' (hoặc ghi ssu_fpc là 1 nếu đã lấy mọi đơn vị cấp 2)",
    ),
    (
        r"scores, domains: need one value per row \((?P<n>\S+)\)",
        "scores, domains: cần một giá trị cho mỗi dòng ({n})",
    ),
    (
        r"estimates_rep: shape (?P<shape>.+), expected \((?P<r>\S+), (?P<k>\S+)\) \(one row "
        r"per replicate, one column per estimate\)",
        "estimates_rep: kích thước {shape}, trong khi cần ({r}, {k}) (mỗi lần lặp một dòng, "
        "mỗi ước lượng một cột)",
    ),
)
