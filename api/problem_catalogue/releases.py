"""Releases (survey/releases.py, release_pipeline/*, release_charts, release_documents,
public_releases, release_rows): computing, reviewing, publishing and correcting a release, and
its charts and documents.

See :mod:`api.problem_catalogue` for the shape of an entry.
"""

from __future__ import annotations

# The steps a role refusal names ("publishing a release needs the role ...").
_STEP = (
    r"(?P<what>submitting a release|publishing a release|sending a release back|correcting a "
    r"release)"
)
_STEPS = {
    "submitting a release": "gửi duyệt bản công bố",
    "publishing a release": "công bố",
    "sending a release back": "trả lại bản công bố",
    "correcting a release": "đính chính bản công bố",
}


def _refusals() -> tuple[tuple[str, str], ...]:
    # One entry per step: the template cannot look the step's name up itself.
    return tuple(
        (
            f"{english} needs the role (?P<roles>[a-z]+(?: or [a-z]+)*); your role is "
            r"(?P<role>\w+)",
            f"việc {vietnamese} cần vai trò {{roles}}; vai trò của bạn là {{role}}",
        )
        for english, vietnamese in _STEPS.items()
    )


_WHO = {"computed": "đã tính", "submitted": "đã gửi duyệt"}
_NEXT = {"publishes": "công bố", "reviews": "xem xét"}


def _four_eyes() -> tuple[tuple[str, str], ...]:
    return tuple(
        (
            f"you {step} release (?P<id>\\S+): four eyes, so another publisher or administrator "
            f"{verb} it",
            f"bạn {said} bản công bố {{id}}: theo nguyên tắc hai người, một người công bố hoặc "
            f"quản trị viên khác sẽ {does} bản này",
        )
        for step, said in _WHO.items()
        for verb, does in _NEXT.items()
    )


ENTRIES: tuple[tuple[str, str], ...] = (
    *_refusals(),
    *_four_eyes(),
    # Before the plain "use one of ...", which would leave "or none" in English.
    (r"use one of (?P<allowed>.+) or none", "hãy dùng một trong {allowed}, hoặc không chọn"),
    # The release form.
    (r"the release needs a name", "bản công bố cần có tên"),
    (r"enter a name", "hãy nhập tên"),
    (r"campaign (?P<id>\S+) does not exist", "không có đợt khảo sát số {id}"),
    (r"no such id", "không có mã số này"),
    (
        r"the release cannot be computed with these parameters",
        "không tính được bản công bố với các tham số này",
    ),
    (r"the release cannot be computed", "không tính được bản công bố"),
    (r"name each column once", "hãy ghi mỗi cột một lần"),
    (r"use one of (?P<allowed>.+)", "hãy dùng một trong {allowed}"),
    (
        r"give a confidence level such as 0\.95 \(0\.5 to <1\)",
        "hãy ghi độ tin cậy, ví dụ 0,95 (từ 0,5 đến dưới 1)",
    ),
    (
        r"unknown column (?P<q>.+): break results down by one or more of (?P<allowed>.+)",
        "không có cột {q}: hãy chia kết quả theo một hoặc nhiều cột trong {allowed}",
    ),
    (
        r"the campaign's questionnaire has no usable elements",
        "phiếu hỏi của đợt khảo sát không có nhóm tiêu chí nào dùng được",
    ),
    (
        r"no respondent has a province code: use pooled",
        "không người trả lời nào có mã tỉnh: hãy chọn 'pooled' (gộp chung)",
    ),
    (
        r"rank within blocks of one of (?P<allowed>.+), or leave it empty to rank all agencies "
        r"together",
        "hãy xếp hạng trong từng nhóm theo một trong {allowed}, hoặc để trống để xếp hạng mọi cơ "
        "quan cùng nhau",
    ),
    (
        r"give a whole number of respondents of at least 1, e\.g\. 50",
        "hãy ghi số người trả lời là số nguyên từ 1 trở lên, ví dụ 50",
    ),
    # Classification bands (survey/release_rankings.py parse_bands; band i counts from 0).
    (
        r"give a list of \[lower bound, Vietnamese label, English label\]",
        "dải xếp loại: hãy ghi danh sách [cận dưới, nhãn tiếng Việt, nhãn tiếng Anh]",
    ),
    (
        r"band (?P<i>\d+): give \[lower bound, Vietnamese label, English label\]",
        "dải xếp loại {i}: hãy ghi [cận dưới, nhãn tiếng Việt, nhãn tiếng Anh]",
    ),
    (
        r"band (?P<i>\d+): the lower bound (?P<value>.+) is not a number",
        "dải xếp loại {i}: cận dưới {value} không phải là số",
    ),
    (
        r"band (?P<i>\d+): give both labels, Vietnamese and English",
        "dải xếp loại {i}: hãy ghi đủ hai nhãn, tiếng Việt và tiếng Anh",
    ),
    (
        r"band (?P<i>\d+): list the bands highest first, bounds strictly decreasing",
        "dải xếp loại {i}: hãy ghi các dải từ cao xuống thấp, cận dưới giảm dần",
    ),
    # Responses and estimation.
    (r"the indices cannot be estimated", "không ước lượng được các chỉ số"),
    (r"the shares cannot be estimated", "không ước lượng được các tỷ lệ"),
    (
        r"some responses cannot be placed in their first-stage unit",
        "có câu trả lời không xác định được đơn vị cấp 1 của mình",
    ),
    (
        r"(?P<n>\S+) completed responses do not record their (?P<column>\S+); a two-stage "
        r"release needs every one",
        "{n} câu trả lời đã hoàn thành không ghi {column}: bản công bố của mẫu hai giai đoạn "
        "cần đủ thông tin này ở mọi câu trả lời",
    ),
    (
        r"a response has an answer outside the scale",
        "có câu trả lời nằm ngoài thang điểm",
    ),
    (r"a response has an answer that is not a number", "có câu trả lời không phải là số"),
    (
        r"criterion answers must be whole numbers 0-5",
        "câu trả lời của tiêu chí phải là số nguyên từ 0 đến 5",
    ),
    (
        r"answer (?P<value>\S+) is not 0 \(not applicable\) or 1-5",
        "câu trả lời {value} không phải 0 (không áp dụng) hoặc từ 1 đến 5",
    ),
    (
        r"the campaign has no completed responses",
        "đợt khảo sát chưa có câu trả lời nào hoàn thành",
    ),
    (
        r"campaign (?P<id>\S+) has no completed responses yet: compute a release once citizens "
        r"have answered",
        "đợt khảo sát {id} chưa có câu trả lời nào hoàn thành: hãy tính bản công bố khi người dân "
        "đã trả lời",
    ),
    # Review, publication, correction.
    (r"release (?P<id>\S+) does not exist", "không có bản công bố số {id}"),
    (
        r"release (?P<id>\S+) is (?P<status>\w+), not a draft",
        "bản công bố {id} đang ở trạng thái {status}, không phải bản nháp",
    ),
    (
        r"only a draft is submitted for review",
        "chỉ gửi duyệt được bản công bố còn là bản nháp",
    ),
    (
        r"release (?P<id>\S+) is already (?P<status>\w+)",
        "bản công bố {id} đã ở trạng thái {status}",
    ),
    (
        r"a published release cannot change; publish a correction",
        "bản đã công bố thì không thay đổi được: hãy công bố một bản đính chính",
    ),
    (r"release (?P<id>\S+) is a draft", "bản công bố {id} còn là bản nháp"),
    (
        r"an analyst submits it for review before it is published",
        "phân tích viên phải gửi duyệt bản công bố trước khi công bố",
    ),
    (
        r"release (?P<id>\S+) changed since it was submitted",
        "bản công bố {id} đã thay đổi kể từ khi được gửi duyệt",
    ),
    (
        r"its content no longer matches its hash; recompute it",
        "nội dung không còn khớp với mã băm đã lưu: hãy tính lại bản công bố",
    ),
    (
        r"release (?P<id>\S+) is already (?P<status>\w+), so it cannot be sent back",
        "bản công bố {id} đã ở trạng thái {status} nên không trả lại được",
    ),
    (
        r"published figures never change: an analyst computes a correction, which is a new "
        r"version",
        "số liệu đã công bố không bao giờ thay đổi: phân tích viên tính một bản đính chính, là "
        "một phiên bản mới",
    ),
    (
        r"release (?P<id>\S+) is a draft, not submitted for review",
        "bản công bố {id} còn là bản nháp, chưa được gửi duyệt",
    ),
    (
        r"only a release submitted for review is sent back",
        "chỉ trả lại được bản công bố đang chờ duyệt",
    ),
    (
        r"sending a release back states the reason",
        "trả lại bản công bố thì phải ghi lý do",
    ),
    (
        r"say what the preparer should change, in (?P<low>\S+) to (?P<high>\S+) characters "
        r"\(you gave (?P<n>\S+)\)",
        "hãy ghi người chuẩn bị cần sửa gì, từ {low} đến {high} ký tự (bạn đã ghi {n})",
    ),
    (r"a correction states its reason", "bản đính chính phải ghi lý do"),
    (
        r"say what was wrong in 1 to (?P<n>\S+) characters",
        "hãy ghi điều gì đã sai, từ 1 đến {n} ký tự",
    ),
    (
        r"release (?P<id>\S+) is (?P<status>\w+)",
        "bản công bố {id} đang ở trạng thái {status}",
    ),
    (
        r"correct release (?P<id>\S+), which replaced it",
        "hãy đính chính bản công bố {id}, là bản đã thay thế bản này",
    ),
    (
        r"only a published release is corrected; a draft is simply recomputed",
        "chỉ đính chính bản đã công bố; bản nháp thì chỉ cần tính lại",
    ),
    (
        r"release (?P<id>\S+) is (?P<status>\w+), so this correction cannot supersede it",
        "bản công bố {id} đang ở trạng thái {status} nên bản đính chính này không thay thế được",
    ),
    (
        r"correct the release now in force \(release (?P<id>\S+)\)",
        "hãy đính chính bản công bố đang có hiệu lực (bản {id})",
    ),
    (r"correct the release now in force", "hãy đính chính bản công bố đang có hiệu lực"),
    (
        r"release (?P<id>\S+) does not record its parameter (?P<name>.+)",
        "bản công bố {id} không lưu tham số {name}",
    ),
    (
        r"compute a new release with the parameters you need",
        "hãy tính một bản công bố mới với các tham số cần dùng",
    ),
    # Charts, documents, the public site.
    (r"no chart (?P<q>.+)", "không có biểu đồ {q}"),
    (r"this release has no previous round", "bản công bố này không có kỳ trước"),
    (
        r"the change chart needs a published release of an earlier round",
        "biểu đồ thay đổi cần một bản đã công bố của kỳ trước",
    ),
    (r"this release ranks no domains", "bản công bố này không xếp hạng đơn vị nào"),
    (
        r"use the domains chart: fewer than two units can be ranked",
        "hãy dùng biểu đồ theo nhóm: có ít hơn hai đơn vị được xếp hạng",
    ),
    (r"no document (?P<q>.+)", "không có tài liệu {q}"),
    (r"no published release (?P<id>\S+)", "không có bản đã công bố số {id}"),
    (
        r"choose a release from the list of published releases",
        "hãy chọn một bản trong danh sách các bản đã công bố",
    ),
    # Rankings within blocks on the public site (public_releases.py).
    (
        r"agencies cannot be ranked within these blocks",
        "không xếp hạng được các cơ quan trong các nhóm này",
    ),
    (
        r"only a release by agency can be re-ranked within blocks",
        "chỉ bản công bố theo cơ quan mới xếp hạng lại được trong từng nhóm",
    ),
    (
        r"compute a release by agency_code with ranking_blocks=(?P<column>\S+)",
        "hãy tính bản công bố theo agency_code với ranking_blocks={column}",
    ),
    (
        r"the release ranked agencies within blocks",
        "bản công bố này đã xếp hạng các cơ quan trong từng nhóm",
    ),
    (
        r"its ranking is within blocks of (?P<r>\S+): use --block (?P<r2>\S+)",
        "bản công bố xếp hạng trong từng nhóm theo {r}: hãy chọn nhóm {r2}",
    ),
)
