"""Analyst pages for index releases under ``/staff/releases``: the list, a form to compute a
release, and a release page with the indices, their intervals, reliability flags, the ranking of
agencies and a note on the method in Vietnamese and English.

Every staff account reads releases; analysts and administrators compute drafts, submit them
for review and compute corrections; publishers and administrators publish a submitted release
they neither computed nor submitted (four eyes, ``docs/access.md``). The release page shows
who did each step and when, the version chain (a superseded version says what replaced it and
why), the SHA-256 that cites it and its data fingerprint. Accounts limited to some agencies or
provinces see published (and superseded) releases only, with their own agencies' rows. Figures
come from the
stored release (:mod:`survey.releases`); the page only formats them: "82,7 % (80,1–85,0)" in
Vietnamese, "82.7 % (80.1–85.0)" in English, suppressed cells blank, flags in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.band_lines import parse_band_lines
from api.deps import AddressDep, SessionDep, SettingsDep
from api.formatting import PERCENT_SUFFIX, unit_name
from api.formatting import number as fmt_number
from api.formatting import percent as fmt_percent
from api.i18n import LEAGUE_TEXT, choose_language
from api.pages.coordinator import (
    FormDep,
    StaffRoute,
    check_form_token,
    error_context,
    render,
)
from api.pages.league_view import league_sections
from api.pages.release_shares import share_view
from api.policy import Analyst, AsAnalyst, AsReleasePublisher, AsStaff, Caller, ReleasePublisher
from survey.calibration_margins import calibration_request
from survey.campaigns import get_campaign, list_campaigns
from survey.errors import InvalidInput, NotFound, Problem
from survey.geography import PROVINCES_2025
from survey.models import IndexRelease, Questionnaire
from survey.models.releases import ReleaseStatus
from survey.public_releases import release_leagues
from survey.release_documents.shares import has_shares
from survey.release_pipeline.design import VARIANCE_METHODS
from survey.release_pipeline.indices import NATIONAL_RULES
from survey.release_rankings import DEFAULT_SCORE_BANDS, DEFAULT_SHARE_BANDS, Band
from survey.release_rows import (
    RankingRow,
    ReleaseRow,
    index_titles,
    release_ranking,
    release_root,
    release_rows,
)
from survey.releases import (
    BY_COLUMNS,
    LONELY_PSU_RULES,
    SEND_BACK_REASON,
    compute_release,
    correct_release,
    get_release,
    release_steps,
    release_versions,
    send_back_release,
    submit_release,
)
from survey.releases import list_releases as list_release_rows
from survey.releases import publish_release as publish_release_row
from survey.unit_names import campaign_units

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

RELEASE_FIELDS = (
    "name",
    "campaign_id",
    "by",
    "rule",
    "ci_method",
    "level",
    "min_respondents",
    "max_cv",
    "lonely_psu",
    "geo_mapping",
    "national_rule",
)
RULES = ("criteria-mean", "pooled", "respondent-mean", "mean-score")
CI_METHODS = ("logit", "beta", "wald", "asin")
LEVELS = ("0.90", "0.95", "0.99")
FORM_DEFAULTS: dict[str, Any] = {
    "by": ["agency_code"],
    "rule": "criteria-mean",
    "ci_method": "logit",
    "level": "0.95",
    "min_respondents": "30",
    "max_cv": "0.2",
    "lonely_psu": "adjust",
    "geo_mapping": "",
    "national_rule": "pooled",
}
# Calibration to the analyst's margins and the variance method (survey.calibration_margins).
CALIBRATION_FIELDS = ("calibration", "margins", "bounds", "variance", "replicates", "seed")
CALIBRATION_METHODS = ("", "rake", "poststratify", "linear")
FORM_DEFAULTS.update({"calibration": "", "margins": "", "variance": "taylor"})
# Rankings as practised (survey.release_pipeline.rankings): blocks, the minimum number of answers
# to be ranked and the bands. The form proposes 30, the reliability rule's usual minimum: the
# library's default (rank every unit) would rank agencies on a handful of answers.
RANKING_FIELDS = ("ranking_blocks", "min_ranked", "bands")
RANKING_BLOCKS = ("", "level", "province_code")
FORM_MIN_RANKED = 30
FORM_DEFAULTS.update({"ranking_blocks": "", "min_ranked": str(FORM_MIN_RANKED), "bands": ""})
# Province codes as the dossiers recorded them ("") or mapped to the 2025 provinces.
GEO_MAPPINGS = ("", PROVINCES_2025)

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "releases": "Công bố chỉ số",
        "new_release": "Tính chỉ số cho một đợt khảo sát",
        "name": "Tên bản công bố",
        "campaign": "Đợt khảo sát",
        "choose_campaign": "Chọn một đợt khảo sát",
        "by": "Chia theo",
        "by_hint": "Chọn nhiều mục để kết hợp (ví dụ cơ quan × kênh). Luôn có số liệu chung.",
        "by_agency_code": "Cơ quan",
        "by_province_code": "Tỉnh, thành phố",
        "by_level": "Cấp hành chính",
        "by_procedure_field": "Lĩnh vực thủ tục",
        "by_channel": "Kênh nộp hồ sơ",
        "by_mode": "Hình thức trả lời",
        "rule": "Cách tổng hợp",
        "rule_criteria-mean": "Trung bình các tiêu chí (như SIPAS công bố)",
        "rule_pooled": "Gộp mọi câu trả lời của yếu tố",
        "rule_respondent-mean": "Trung bình theo người trả lời",
        "rule_mean-score": "Điểm trung bình (thang 1–5)",
        "ci_method": "Khoảng tin cậy",
        "ci_logit": "Logit (khuyến nghị)",
        "ci_beta": "Beta (Korn–Graubard)",
        "ci_wald": "Wald",
        "ci_asin": "Arcsin",
        "level": "Độ tin cậy",
        "min_respondents": "Ẩn ô có ít hơn (người trả lời)",
        "max_cv": "Cảnh báo khi hệ số biến thiên lớn hơn",
        "lonely_psu": "Tầng chỉ có một người trả lời",
        "lonely_adjust": "Căn theo trung bình chung (thận trọng)",
        "lonely_certainty": "Coi như không có sai số",
        "lonely_average": "Lấy trung bình các tầng khác",
        "lonely_fail": "Báo lỗi",
        "geo_mapping": "Mã tỉnh",
        "geo_": "Như ghi trong hồ sơ",
        "geo_provinces-2025": "Quy đổi sang 34 tỉnh, thành phố sau 1/7/2025",
        "national_rule": "Chỉ số toàn quốc",
        "national_pooled": "Gộp mọi người trả lời theo trọng số thiết kế",
        "national_mean_of_provinces": "Trung bình cộng chỉ số các tỉnh (như Bộ Nội vụ công bố)",
        "calibration_legend": "Hiệu chỉnh trọng số và sai số chuẩn",
        "calibration_hint": "Không bắt buộc. Trọng số có thể được hiệu chỉnh để khớp số lượng "
        "tổng thể đã biết (ví dụ số dân theo giới tính và nhóm tuổi, số hồ sơ theo kênh).",
        "calibration": "Phương pháp hiệu chỉnh",
        "calibration_": "Không hiệu chỉnh",
        "calibration_rake": "Cào theo từng biên (raking)",
        "calibration_poststratify": "Hậu phân tầng (một biến)",
        "calibration_linear": "Hiệu chỉnh tuyến tính (GREG)",
        "margins": "Tổng biên",
        "margins_hint": "Bảng CSV có ba cột, mỗi nhóm một dòng; biến là cột của hồ sơ hoặc mã "
        "câu hỏi lý lịch; ghép hai biến bằng dấu *. Tiêu đề và ví dụ về biến:",
        "bounds": "Giới hạn của hệ số hiệu chỉnh (chỉ cho GREG)",
        "bounds_hint": "Hai số dưới,trên, ví dụ 0.5,2; để trống nếu không giới hạn.",
        "variance": "Cách tính sai số chuẩn",
        "variance_taylor": "Tuyến tính hóa Taylor",
        "variance_jk1": "Trọng số lặp dao cắt JK1 (thiết kế không phân tầng)",
        "variance_jkn": "Trọng số lặp dao cắt phân tầng JKn",
        "variance_bootstrap": "Trọng số lặp bootstrap",
        "replicates": "Số lần lặp bootstrap",
        "replicates_hint": "Chỉ cho bootstrap; để trống: 500.",
        "seed": "Hạt giống bootstrap",
        "ranking_legend": "Xếp hạng",
        "ranking_hint": "Cơ quan được xếp hạng theo chỉ số chung, kèm khoảng thứ hạng.",
        "ranking_blocks": "Xếp hạng trong từng khối",
        "ranking_blocks_": "Không chia khối: xếp hạng mọi cơ quan cùng nhau",
        "ranking_blocks_level": "Theo cấp hành chính (tỉnh, xã…)",
        "ranking_blocks_province_code": "Theo tỉnh, thành phố",
        "min_ranked": "Số người trả lời tối thiểu để được xếp hạng",
        "min_ranked_hint": "Cơ quan có ít người trả lời hơn số này vẫn có điểm nhưng không được "
        "xếp hạng (có điểm, không xếp hạng), vì thứ hạng dựa trên quá ít câu trả lời không đáng "
        "tin. Đề xuất 30, mức tối thiểu thường dùng của quy tắc độ tin cậy. Ghi 0 hoặc để trống "
        "để xếp hạng mọi cơ quan. Khác với ngưỡng ẩn ô ở trên: ô bị ẩn thì không công bố điểm.",
        "bands": "Dải xếp loại",
        "bands_hint": "Không bắt buộc. Mỗi dòng một dải, từ cao xuống thấp: cận dưới; nhãn tiếng "
        "Việt; nhãn tiếng Anh. Để trống thì dùng dải mặc định tạm thời dưới đây.",
        "bands_default": "Dải mặc định (tỷ lệ hài lòng)",
        "bands_default_score": "Với điểm trung bình (thang 1–5)",
        "by_province_code_provinces-2025": "Tỉnh, thành phố (sau 1/7/2025)",
        "compute": "Tính chỉ số",
        "none_yet": "Chưa có bản công bố nào.",
        "status": "Trạng thái",
        "draft": "bản nháp",
        "published": "đã công bố",
        "created": "Ngày tính",
        "published_at": "Ngày công bố",
        "respondents": "Số người trả lời",
        "sampled": "Số hồ sơ được chọn (không kể dự phòng)",
        "response_rate": "Tỷ lệ trả lời",
        "design_df": "Bậc tự do của thiết kế",
        "strata_without": "Tầng không có người trả lời (không được đại diện)",
        "overall_title": "Toàn bộ đợt khảo sát",
        "breakdown_title": "Theo",
        "index": "Chỉ số",
        "indicator": "Nội dung",
        "se": "Sai số chuẩn",
        "se_points": "Sai số chuẩn (điểm %)",
        "n": "Số người",
        "flag": "Độ tin cậy",
        "flag_ok": "đạt",
        "flag_unreliable": "kém tin cậy",
        "flag_suppressed": "ẩn (quá ít người trả lời)",
        "overall": "Chung",
        "ranking": "Xếp hạng cơ quan theo chỉ số chung",
        "rank": "Hạng",
        "rank_interval": "Khoảng hạng",
        "tier": "Nhóm",
        "agency": "Cơ quan",
        "ranking_note": "Khoảng hạng cho biết các hạng có thể có khi tính đến sai số mẫu; các cơ "
        "quan cùng nhóm không khác nhau rõ rệt.",
        "legend": "Mỗi ô: tỷ lệ hài lòng (khoảng tin cậy). Ô trống: bị ẩn vì quá ít người trả "
        "lời. “kém tin cậy”: sai số lớn, cần thận trọng khi dùng.",
        "method": "Phương pháp",
        "method_vi": "Tiếng Việt",
        "method_en": "English",
        "publish": "Công bố",
        "publish_hint": "Sau khi công bố, số liệu không thay đổi nữa.",
        "submitted": "chờ duyệt",
        "superseded": "đã được thay thế",
        "submit": "Gửi duyệt",
        "submit_hint": "Một người khác (người công bố hoặc quản trị) sẽ kiểm tra và công bố.",
        "four_eyes": "Bạn đã tính hoặc gửi duyệt bản này, nên một người khác sẽ công bố nó.",
        "version": "Phiên bản",
        "sha256": "Mã băm SHA-256 (để trích dẫn)",
        "sha256_none": "Chưa có (có khi gửi duyệt)",
        "steps": "Các bước",
        "step_computed": "Tính",
        "step_submitted": "Gửi duyệt",
        "step_published": "Công bố",
        "step_superseded": "Được thay thế",
        "step_sent_back": "Trả lại để sửa",
        "send_back": "Trả lại để sửa",
        "send_back_title": "Trả lại bản này cho người lập",
        "send_back_hint": "Bản trở lại thành bản nháp; người lập sửa hoặc tính lại rồi gửi duyệt "
        "lại. Lý do được ghi vào các bước và nhật ký.",
        "send_back_reason_hint": "Nói rõ cần sửa gì (5 đến 500 ký tự), ví dụ “thiếu phiếu giấy "
        "của tỉnh Lào Cai”.",
        "send_back_reason_error": "Hãy ghi lý do từ 5 đến 500 ký tự để người lập biết cần sửa gì.",
        "by_whom": "bởi",
        "superseded_notice": "Bản này đã được thay thế bởi phiên bản",
        "correction_of": "Bản đính chính của phiên bản",
        "reason": "Lý do",
        "versions": "Các phiên bản",
        "correct": "Đính chính",
        "correct_title": "Đính chính bản công bố này",
        "correct_hint": "Tính lại với cùng tham số trên dữ liệu hiện tại; bản mới cần được gửi "
        "duyệt và công bố, khi đó bản này được đánh dấu là đã thay thế nhưng vẫn xem được.",
        "reason_hint": "Nói rõ điều gì sai, ví dụ “bổ sung 120 phiếu giấy nhập muộn”.",
        "fingerprint": "Dấu vân tay dữ liệu",
        "fp_frame": "Danh sách hồ sơ (SHA-256)",
        "fp_draw": "Lần chọn mẫu (số, hạt giống)",
        "fp_questionnaire": "Phiếu hỏi (mã, phiên bản)",
        "fp_responses": "Phiếu trả lời (số, SHA-256)",
        "download_csv": "Tải về CSV",
        "download_named_csv": "CSV (có tên, tiêu đề tiếng Việt)",
        "download_xlsx": "Tải về XLSX",
        "download_pdf": "Báo cáo PDF",
        "download_json": "JSON",
        "download_dictionary": "Từ điển dữ liệu",
        "back": "Quay lại",
        "view": "Xem",
    },
    "en": {
        "releases": "Index releases",
        "new_release": "Compute the indices of a campaign",
        "name": "Name of the release",
        "campaign": "Campaign",
        "choose_campaign": "Choose a campaign",
        "by": "Break down by",
        "by_hint": "Choose several to cross them (e.g. agency × channel). Overall figures are "
        "always included.",
        "by_agency_code": "Agency",
        "by_province_code": "Province",
        "by_level": "Administrative level",
        "by_procedure_field": "Field of procedure",
        "by_channel": "Channel",
        "by_mode": "Mode of answering",
        "rule": "Aggregation",
        "rule_criteria-mean": "Mean of criteria (as SIPAS publishes)",
        "rule_pooled": "All answers of the element pooled",
        "rule_respondent-mean": "Mean over respondents",
        "rule_mean-score": "Mean score (1–5 scale)",
        "ci_method": "Confidence interval",
        "ci_logit": "Logit (recommended)",
        "ci_beta": "Beta (Korn–Graubard)",
        "ci_wald": "Wald",
        "ci_asin": "Arcsine",
        "level": "Confidence level",
        "min_respondents": "Suppress cells with fewer respondents than",
        "max_cv": "Warn when the coefficient of variation exceeds",
        "lonely_psu": "Strata with a single respondent",
        "lonely_adjust": "Centre at the grand mean (conservative)",
        "lonely_certainty": "Treat as without error",
        "lonely_average": "Average of the other strata",
        "lonely_fail": "Stop with an error",
        "geo_mapping": "Province codes",
        "geo_": "As the dossiers recorded them",
        "geo_provinces-2025": "Mapped to the 34 provinces since 1 July 2025",
        "national_rule": "National figure",
        "national_pooled": "Pooled over all respondents with design weights",
        "national_mean_of_provinces": "Mean of the provincial indices (as MoHA publishes)",
        "calibration_legend": "Weight calibration and standard errors",
        "calibration_hint": "Optional. The weights can be calibrated to known population counts "
        "(for example census counts by sex and age band, frame counts by channel).",
        "calibration": "Calibration method",
        "calibration_": "No calibration",
        "calibration_rake": "Raking to each margin",
        "calibration_poststratify": "Post-stratification (one variable)",
        "calibration_linear": "Linear calibration (GREG)",
        "margins": "Margins",
        "margins_hint": "CSV table of three columns, one row per category; a variable is a "
        "dossier column or a profile question's code; cross two variables with *. The header "
        "and example variables:",
        "bounds": "Bounds on the calibration factor (GREG only)",
        "bounds_hint": "Two numbers lower,upper, for example 0.5,2; leave empty for none.",
        "variance": "Standard errors",
        "variance_taylor": "Taylor linearisation",
        "variance_jk1": "JK1 jackknife replicates (unstratified designs)",
        "variance_jkn": "Stratified jackknife replicates (JKn)",
        "variance_bootstrap": "Bootstrap replicates",
        "replicates": "Bootstrap replicates",
        "replicates_hint": "Bootstrap only; empty: 500.",
        "seed": "Bootstrap seed",
        "ranking_legend": "Ranking",
        "ranking_hint": "Agencies are ranked on the overall index, with rank intervals.",
        "ranking_blocks": "Rank within blocks",
        "ranking_blocks_": "No blocks: rank all agencies together",
        "ranking_blocks_level": "By administrative level (province, commune…)",
        "ranking_blocks_province_code": "By province",
        "min_ranked": "Fewest respondents to be ranked",
        "min_ranked_hint": "An agency with fewer respondents than this keeps its score but is "
        "not ranked (scored but not ranked): a rank on so few answers cannot be trusted. 30 is "
        "proposed, the reliability rule's usual minimum. Enter 0 or leave it empty to rank every "
        "agency. Distinct from hiding cells above: a hidden cell has no published score.",
        "bands": "Classification bands",
        "bands_hint": "Optional. One band a line, highest first: lower bound; Vietnamese label; "
        "English label. Empty: the working default below.",
        "bands_default": "Default bands (satisfaction shares)",
        "bands_default_score": "On the mean score (1–5 scale)",
        "by_province_code_provinces-2025": "Province (since 1 July 2025)",
        "compute": "Compute",
        "none_yet": "No release yet.",
        "status": "Status",
        "draft": "draft",
        "published": "published",
        "created": "Computed",
        "published_at": "Published",
        "respondents": "Respondents",
        "sampled": "Sampled dossiers (reserves excluded)",
        "response_rate": "Response rate",
        "design_df": "Design degrees of freedom",
        "strata_without": "Strata without respondents (not represented)",
        "overall_title": "The whole campaign",
        "breakdown_title": "By",
        "index": "Index",
        "indicator": "Item",
        "se": "Standard error",
        "se_points": "Standard error (percentage points)",
        "n": "Respondents",
        "flag": "Reliability",
        "flag_ok": "reliable",
        "flag_unreliable": "unreliable",
        "flag_suppressed": "suppressed (too few respondents)",
        "overall": "Overall",
        "ranking": "Agencies ranked on the overall index",
        "rank": "Rank",
        "rank_interval": "Rank interval",
        "tier": "Tier",
        "agency": "Agency",
        "ranking_note": "The rank interval shows the ranks an agency could have given the "
        "sampling error; agencies in the same tier do not differ clearly.",
        "legend": "Each cell: share satisfied (confidence interval). Blank cells are suppressed "
        "(too few respondents). “unreliable”: large error, use with care.",
        "method": "Method",
        "method_vi": "Tiếng Việt",
        "method_en": "English",
        "publish": "Publish",
        "publish_hint": "Once published, the figures never change.",
        "submitted": "submitted for review",
        "superseded": "superseded",
        "submit": "Submit for review",
        "submit_hint": "Someone else (a publisher or an administrator) checks and publishes it.",
        "four_eyes": "You computed or submitted this release, so someone else publishes it.",
        "version": "Version",
        "sha256": "SHA-256 (to cite it)",
        "sha256_none": "Not yet (set when submitted for review)",
        "steps": "Steps",
        "step_computed": "Computed",
        "step_submitted": "Submitted",
        "step_published": "Published",
        "step_superseded": "Superseded",
        "step_sent_back": "Sent back",
        "send_back": "Send back",
        "send_back_title": "Send this release back to its preparer",
        "send_back_hint": "It becomes a draft again; the preparer corrects or recomputes it and "
        "submits it again. The reason is kept in the steps and the audit log.",
        "send_back_reason_hint": "Say what to change (5 to 500 characters), e.g. “the paper forms "
        "of Lào Cai are missing”.",
        "send_back_reason_error": "Give a reason of 5 to 500 characters so the preparer knows "
        "what to change.",
        "by_whom": "by",
        "superseded_notice": "This release has been superseded by version",
        "correction_of": "A correction of version",
        "reason": "Reason",
        "versions": "Versions",
        "correct": "Correct",
        "correct_title": "Correct this release",
        "correct_hint": "Recomputed with the same parameters on today's data; the new version is "
        "submitted and published in turn, and then this one is marked superseded but stays "
        "readable.",
        "reason_hint": "Say what was wrong, e.g. “120 paper questionnaires keyed in late”.",
        "fingerprint": "Data fingerprint",
        "fp_frame": "Frame (SHA-256)",
        "fp_draw": "Draw (id, seed)",
        "fp_questionnaire": "Questionnaire (code, version)",
        "fp_responses": "Responses (count, SHA-256)",
        "download_csv": "Download CSV",
        "download_named_csv": "CSV (with names, English headers)",
        "download_xlsx": "Download XLSX",
        "download_pdf": "PDF report",
        "download_json": "JSON",
        "download_dictionary": "Data dictionary",
        "back": "Back",
        "view": "View",
    },
}


def _words(request: Request) -> dict[str, str]:
    return WORDS[choose_language(request)]


def _number(value: float, digits: int, lang: str) -> str:
    return fmt_number(value, lang, digits)


def format_cell(
    row: ReleaseRow | RankingRow | Mapping[str, Any], *, lang: str, percent: bool
) -> dict[str, str]:
    """A cell's text "82,7 % (80,1–85,0)" and its flag in words; blank when suppressed."""
    words = WORDS[lang]
    if isinstance(row, Mapping):
        flag = str(row.get("flag", "ok"))
        estimate, lower, upper = row.get("estimate"), row.get("ci_lower"), row.get("ci_upper")
    else:
        flag, estimate, lower, upper = row.flag, row.estimate, row.ci_lower, row.ci_upper
    if flag == "suppressed" or estimate is None:
        return {"text": "", "flag": words["flag_suppressed"], "kind": "suppressed"}
    scale, digits, unit = (100.0, 1, PERCENT_SUFFIX[lang]) if percent else (1.0, 2, "")
    text = _number(float(estimate) * scale, digits, lang) + unit
    if lower is not None and upper is not None:
        text += (
            f" ({_number(float(lower) * scale, digits, lang)}"
            f"–{_number(float(upper) * scale, digits, lang)})"
        )
    return {"text": text, "flag": words.get(f"flag_{flag}", flag), "kind": flag}


def _node_labels(session: SessionDep, release: IndexRelease, lang: str) -> dict[str, str]:
    """Readable names of the questionnaire's nodes (element titles, numbered criteria)."""
    labels = {"overall": WORDS[lang]["overall"]}
    questionnaire_id = (release.parameters.get("questionnaire") or {}).get("id")
    questionnaire = (
        session.get(Questionnaire, questionnaire_id) if questionnaire_id is not None else None
    )
    if questionnaire is None:
        return labels
    labels.update(index_titles(questionnaire.definition).get(lang, {}))
    for element in questionnaire.definition.get("elements", []):
        title = element.get("title", {})
        labels[element["code"]] = str(title.get(lang) or title.get("vi") or element["code"])
        for criterion in element.get("criteria", []):
            text = criterion.get("text", {})
            words = str(text.get(lang) or text.get("vi") or "")
            number = criterion.get("number")
            labels[criterion["code"]] = f"{number}. {words}" if number is not None else words
    return labels


def _named(column: str, code: str, lang: str, agencies: Mapping[str, str]) -> dict[str, str]:
    """A domain value as people read it (agency name from the frame, province by its 2025
    name, channel in words) and its code, which the page shows beside it in small type."""
    return {"name": unit_name(column, code, lang, agencies), "code": code}


def _campaign_name(session: SessionDep, campaign_id: int) -> str:
    try:
        return get_campaign(session=session, campaign_id=campaign_id).name
    except NotFound:
        return ""


def release_view(session: SessionDep, release: IndexRelease, lang: str) -> dict[str, Any]:
    """Everything the release page shows, formatted for ``lang``."""
    percent = release.parameters.get("rule") != "mean-score"
    rows = release_rows(release)
    labels = _node_labels(session, release, lang)
    stratum_columns, agencies = campaign_units(session=session, campaign_id=release.campaign_id)
    overall_rows = [
        {
            "node": r.node,
            "label": labels.get(r.node, r.node),
            "level": r.node_level,
            "cell": format_cell(r, lang=lang, percent=percent),
            "se": "" if r.se is None else _number(r.se * (100.0 if percent else 1.0), 2, lang),
            "n": r.n_respondents,
        }
        for r in rows
        if r.is_whole_campaign
    ]
    # From every row, not the overall ones alone: a scoped caller gets their domains' rows only.
    columns = list(
        dict.fromkeys(r.node for r in rows if r.node_level in ("overall", "index", "element"))
    )
    root = release_root(release)
    domains: dict[str, dict[str, Any]] = {}
    for r in rows:
        if not r.is_whole_campaign and r.node in columns:
            entry = domains.setdefault(
                r.domain_name,
                {
                    "name": r.domain_name,
                    "parts": [_named(column, code, lang, agencies) for column, code in r.domain],
                    "cells": {},
                    "n": 0,
                },
            )
            entry["cells"][r.node] = format_cell(r, lang=lang, percent=percent)
            if r.node == root:
                entry["n"] = r.n_respondents
    ranking = [
        {
            "rank": r.rank.rank,
            "agency": _named("agency_code", r.agency_code, lang, agencies),
            "cell": format_cell(r, lang=lang, percent=percent),
            "interval": f"{r.rank.rank_lower}–{r.rank.rank_upper}",
            "tier": r.rank.tier,
            "n": r.n_respondents,
        }
        for r in release_ranking(release)
    ]
    mapping = (release.parameters.get("geo_mapping") or {}).get("province_code")
    by = [
        WORDS[lang].get(f"by_{c}_{mapping}", WORDS[lang].get(f"by_{c}", c))
        if c == "province_code" and mapping
        else WORDS[lang].get(f"by_{c}", c)
        for c in release.parameters.get("by", [])
    ]
    summary = release.summary
    rate = summary.get("response_rate")
    return {
        "release": release,
        "overall_rows": overall_rows,
        "columns": [(c, labels.get(c, c)) for c in columns],
        "domains": list(domains.values()),
        "by_text": " × ".join(by),
        "ranking": ranking,
        "response_rate": "" if rate is None else fmt_percent(float(rate), lang),
        "method": method_note(release),
        "percent": percent,
        # For the templates' unit and stratum filters (api.formatting).
        "agency_names": agencies,
        "stratum_columns": stratum_columns,
        "campaign_name": _campaign_name(session, release.campaign_id),
        "status_words": {s.value: WORDS[lang][s.value] for s in ReleaseStatus},
        # Judgement and expectation shares (api/templates/releases/_shares.html).
        "shares": share_view(release, lang),
        "shares_csv": f"/api/releases/{release.id}/shares.csv" if has_shares(release) else "",
        # Rankings as practised: blocks, bands, top and bottom five, scored but not ranked.
        "leagues": league_sections(
            release_leagues(release),
            lang,
            agencies,
            percent,
            lambda figures: format_cell(figures, lang=lang, percent=percent),
        ),
        "lw": LEAGUE_TEXT[lang],
        "league_scroll": "scroll",
    }


def method_note(release: IndexRelease) -> dict[str, str]:
    """The method in Vietnamese and English: weights, variance, intervals, flags, ranking."""
    p = release.parameters
    weighting = (p.get("weighting") or {}).get("description") or {"vi": "", "en": ""}
    geography = (p.get("geo_mapping") or {}).get("description") or {"vi": "", "en": ""}
    reliability = p.get("reliability") or {}
    level = float(p.get("level", 0.95))
    pct = f"{100 * level:g}"
    rule = str(p.get("rule", ""))
    rule_vi = WORDS["vi"].get(f"rule_{rule}", rule)
    rule_en = WORDS["en"].get(f"rule_{rule}", rule)
    ci = str(p.get("ci_method", ""))
    pct_vi = pct.replace(".", ",")
    n_min = reliability.get("min_respondents", "")
    cv = reliability.get("max_cv", "")
    cv_vi = str(cv).replace(".", ",")
    vi = (
        f"{weighting.get('vi', '')} Chỉ số tiêu chí là tỷ lệ người trả lời “Hài lòng” hoặc “Rất "
        "hài lòng” trong số người có câu trả lời hợp lệ (câu “Không áp dụng” không được tính); "
        f"cách tổng hợp yếu tố và chỉ số chung: {rule_vi}. Khoảng tin cậy {pct_vi} % theo "
        f"phương pháp {ci}, với bậc tự do của nhóm. Ô có ít hơn {n_min} người trả lời bị ẩn; "
        f"ô có hệ số biến thiên lớn hơn {cv_vi} được ghi “kém tin cậy”. Khoảng hạng của cơ "
        "quan được tính bằng mô phỏng từ phân phối chuẩn của các ước lượng."
    )
    if geography.get("vi"):
        vi += " " + str(geography["vi"])
    en = (
        f"{weighting.get('en', '')} A criterion index is the share of respondents answering "
        "“Satisfied” or “Very satisfied” among those with a valid answer (“not applicable” is "
        f"left out); elements and the overall index are aggregated as: {rule_en}. "
        f"{pct} % confidence intervals by the {ci} method with the domain's degrees of freedom. "
        f"Cells with fewer than {n_min} respondents are suppressed; cells with a coefficient of "
        f"variation above {cv} are marked “unreliable”. Agencies' rank intervals are simulated "
        "from the normal distribution of the estimates."
    )
    if geography.get("en"):
        en += " " + str(geography["en"])
    national = (p.get("national") or {}).get("description") or {}
    if national:
        vi += " " + str(national.get("vi", ""))
        en += " " + str(national.get("en", ""))
    return {"vi": vi, "en": en}


def _list_context(
    request: Request, session: SessionDep, caller: Caller, form: Mapping[str, Any]
) -> dict[str, Any]:
    can_compute = Analyst.allows(caller.role, limited=caller.scope.limited)
    words = _words(request)
    return {
        "w": words,
        "releases": list_release_rows(session=session, scope=caller.scope),
        "campaigns": list_campaigns(session=session) if can_compute else [],
        "campaign_names": {
            c.id: c.name for c in list_campaigns(session=session, scope=caller.scope)
        },
        "can_compute": can_compute,
        "form": form,
        "by_options": [(c, words[f"by_{c}"]) for c in BY_COLUMNS],
        "rule_options": [(r, words[f"rule_{r}"]) for r in RULES],
        "ci_options": [(c, words[f"ci_{c}"]) for c in CI_METHODS],
        "level_options": [(v, f"{float(v) * 100:g} %") for v in LEVELS],
        "lonely_options": [(r, words[f"lonely_{r}"]) for r in LONELY_PSU_RULES],
        "geo_options": [(g, words[f"geo_{g}"]) for g in GEO_MAPPINGS],
        "national_options": [(r, words[f"national_{r}"]) for r in NATIONAL_RULES],
        "calibration_options": [(m, words[f"calibration_{m}"]) for m in CALIBRATION_METHODS],
        "variance_options": [(v, words[f"variance_{v}"]) for v in VARIANCE_METHODS],
        "ranking_block_options": [(b, words[f"ranking_blocks_{b}"]) for b in RANKING_BLOCKS],
        "default_bands": _bands_text(DEFAULT_SHARE_BANDS, choose_language(request)),
        "default_score_bands": _bands_text(DEFAULT_SCORE_BANDS, choose_language(request)),
    }


def _bands_text(bands: tuple[Band, ...], lang: str) -> str:
    """Bands as the form's lines ("0,9; Rất tốt; Very good"), decimal comma in Vietnamese."""
    return "\n".join(f"{fmt_number(b.lower, lang, 1)}; {b.vi}; {b.en}" for b in bands)


@router.get("/staff/releases")
def releases_page(
    request: Request, caller: AsStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    context = _list_context(request, session, caller, FORM_DEFAULTS)
    return render(request, "releases/list.html", context, user=caller, settings=settings)


def _parse_form(form: FormDep) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """The raw values (to show again) and the parsed parameters, with problems by field."""
    raw: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in RELEASE_FIELDS if k != "by"}
    raw["by"] = [str(v) for v in form.getlist("by")]
    problems: list[Problem] = []
    parsed: dict[str, Any] = {"by": raw["by"], "rule": raw["rule"], "lonely_psu": raw["lonely_psu"]}
    parsed["ci_method"] = raw["ci_method"]
    if raw["geo_mapping"] not in GEO_MAPPINGS:
        problems.append(Problem(("geo_mapping",), "choose how province codes are grouped"))
    parsed["geo_mapping"] = raw["geo_mapping"] or None
    # compute_release checks the value and names the field.
    parsed["national_rule"] = raw["national_rule"] or FORM_DEFAULTS["national_rule"]
    if not raw["name"]:
        problems.append(Problem(("name",), "enter a name for the release"))
    if not raw["campaign_id"].isdigit():
        problems.append(Problem(("campaign_id",), "choose a campaign from the list"))
    else:
        parsed["campaign_id"] = int(raw["campaign_id"])
    for field, kind in (("level", float), ("min_respondents", int), ("max_cv", float)):
        try:
            parsed[field] = kind(raw[field].replace(",", "."))
        except ValueError:
            problems.append(Problem((field,), "enter a number, e.g. " + FORM_DEFAULTS[field]))
    _parse_calibration(form, raw, parsed, problems)
    _parse_ranking(form, raw, parsed, problems)
    return raw, parsed, problems


def _parse_ranking(
    form: FormDep, raw: dict[str, Any], parsed: dict[str, Any], problems: list[Problem]
) -> None:
    """Blocks, the minimum to be ranked (0 or empty: every unit ranked) and the bands' lines
    ("lower; nhãn; label", highest first). compute_release checks the blocks' column."""
    raw.update({k: str(form.get(k, "")).strip() for k in RANKING_FIELDS})
    parsed["ranking_blocks"] = raw["ranking_blocks"] or None
    text = raw["min_ranked"]
    if text and not text.isdigit():
        problems.append(
            Problem(("min_ranked",), "enter a whole number of respondents, e.g. 30; 0 ranks all")
        )
    parsed["min_ranked"] = (int(text) or None) if text.isdigit() else None
    parsed["bands"] = parse_band_lines(raw["bands"], problems)


def _parse_calibration(
    form: FormDep, raw: dict[str, Any], parsed: dict[str, Any], problems: list[Problem]
) -> None:
    """The calibration and variance fields (survey.calibration_margins checks the margins)."""
    raw.update({k: str(form.get(k, "")).strip() for k in CALIBRATION_FIELDS})
    raw["margins"] = str(form.get("margins", ""))
    parsed["variance"] = raw["variance"] or "taylor"
    for field in ("replicates", "seed"):
        if raw[field] and not raw[field].isdigit():
            problems.append(Problem((field,), "enter a whole number"))
        parsed[field] = int(raw[field]) if raw[field].isdigit() else None
    bounds = None
    if raw["bounds"]:
        # "0.5,2", "0.5 2", or with decimal commas "0,5;2".
        text = raw["bounds"]
        parts = text.replace(",", ".").split(";") if ";" in text else text.replace(",", " ").split()
        try:
            bounds = [float(v) for v in parts]
        except ValueError:
            problems.append(Problem(("calibration", "bounds"), "give two bounds: lower,upper"))
            bounds = None
    try:
        parsed["calibration"] = calibration_request(raw["calibration"], raw["margins"], bounds)
    except InvalidInput as error:
        problems.extend(error.problems)


@router.post("/staff/releases")
def release_submit(
    request: Request, caller: AsAnalyst, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    check_form_token(request, form, settings)
    raw, parsed, problems = _parse_form(form)
    try:
        if problems:
            raise InvalidInput("the release cannot be computed", problems)
        release = compute_release(session=session, name=raw["name"], created_by=caller.id, **parsed)
    except (InvalidInput, NotFound) as error:
        fields = (*RELEASE_FIELDS, *CALIBRATION_FIELDS, *RANKING_FIELDS)
        errors, links = error_context(error.problems, fields)
        context = _list_context(request, session, caller, raw)
        context.update({"errors": errors, "error_links": links})
        return render(
            request, "releases/list.html", context, user=caller, settings=settings, status_code=422
        )
    return RedirectResponse(f"/staff/releases/{release.id}", status_code=303)


def _review_context(session: SessionDep, caller: Caller, release: IndexRelease) -> dict[str, Any]:
    """Steps, versions and which review buttons the caller gets (the use cases decide again)."""
    status = release.status
    mine = caller.id is not None and caller.id in (release.created_by, release.submitted_by)
    prepares = Analyst.allows(caller.role, limited=caller.scope.limited)
    publishes = ReleasePublisher.allows(caller.role, limited=caller.scope.limited)
    versions = release_versions(session=session, release=release, scope=caller.scope)
    return {
        "can_submit": prepares and status == ReleaseStatus.DRAFT.value,
        "can_publish": publishes and status == ReleaseStatus.SUBMITTED.value and not mine,
        "four_eyes": publishes and status == ReleaseStatus.SUBMITTED.value and mine,
        "can_send_back": publishes and status == ReleaseStatus.SUBMITTED.value and not mine,
        "send_back_max": SEND_BACK_REASON[1],
        "can_correct": prepares and status == ReleaseStatus.PUBLISHED.value,
        "steps": release_steps(session=session, release=release, review_rounds=True),
        "versions": versions if len(versions) > 1 else [],
        "fingerprint": release.fingerprint or {},
    }


def _release_page(
    request: Request,
    caller: Caller,
    session: SessionDep,
    settings: SettingsDep,
    release: IndexRelease,
    extra: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "w": _words(request),
        **_review_context(session, caller, release),
        **release_view(session, release, choose_language(request)),
        **(extra or {}),
    }
    return render(
        request,
        "releases/release.html",
        context,
        user=caller,
        settings=settings,
        status_code=status_code,
    )


@router.get("/staff/releases/{release_id}")
def release_page(
    release_id: int,
    request: Request,
    caller: AsStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    release = get_release(session=session, release_id=release_id, scope=caller.scope)
    return _release_page(request, caller, session, settings, release)


@router.post("/staff/releases/{release_id}/submit")
def release_submit_for_review(
    release_id: int,
    request: Request,
    caller: AsAnalyst,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    check_form_token(request, form, settings)
    submit_release(session=session, release_id=release_id, actor=caller.user, address=address)
    return RedirectResponse(f"/staff/releases/{release_id}", status_code=303)


@router.post("/staff/releases/{release_id}/publish")
def release_publish(
    release_id: int,
    request: Request,
    caller: AsReleasePublisher,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    check_form_token(request, form, settings)
    publish_release_row(session=session, release_id=release_id, actor=caller.user, address=address)
    return RedirectResponse(f"/staff/releases/{release_id}", status_code=303)


@router.post("/staff/releases/{release_id}/correct")
def release_correct(
    release_id: int,
    request: Request,
    caller: AsAnalyst,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    check_form_token(request, form, settings)
    reason = form.get("reason")
    try:
        release = correct_release(
            session=session,
            release_id=release_id,
            reason=reason if isinstance(reason, str) else "",
            actor=caller.user,
        )
    except InvalidInput as error:
        errors, links = error_context(error.problems, ("reason",))
        old = get_release(session=session, release_id=release_id, scope=caller.scope)
        extra = {"errors": errors, "error_links": links, "reason": reason or ""}
        return _release_page(request, caller, session, settings, old, extra, status_code=422)
    return RedirectResponse(f"/staff/releases/{release.id}", status_code=303)


@router.post("/staff/releases/{release_id}/send-back")
def release_send_back(
    release_id: int,
    request: Request,
    caller: AsReleasePublisher,
    session: SessionDep,
    settings: SettingsDep,
    form: FormDep,
    address: AddressDep,
) -> Response:
    check_form_token(request, form, settings)
    reason = form.get("send_back_reason")
    try:
        send_back_release(
            session=session,
            release_id=release_id,
            reason=reason if isinstance(reason, str) else "",
            actor=caller.user,
            address=address,
        )
    except InvalidInput:
        # The page's own words (Vietnamese first) rather than the use case's English message.
        message = _words(request)["send_back_reason_error"]
        errors, links = error_context(
            [Problem(("send_back_reason",), message)], ("send_back_reason",)
        )
        release = get_release(session=session, release_id=release_id, scope=caller.scope)
        extra = {"errors": errors, "error_links": links, "send_back_reason": reason or ""}
        return _release_page(request, caller, session, settings, release, extra, status_code=422)
    return RedirectResponse(f"/staff/releases/{release_id}", status_code=303)
