"""Release step 8, record: what a release stores besides its rows, its parameters (the method,
in words too, Vietnamese and English) and its summary (counts, response rates, strata).

The keys and texts here are part of what a release's SHA-256 covers: changing a word changes
the hash of every release computed afterwards (never of a stored one), so change them only
when the method changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analysis.indices import IndexTable
from analysis.reliability import ReliabilityRule
from survey.disclosure import K as DISCLOSURE_K
from survey.geography import PROVINCES_2025
from survey.models import Questionnaire
from survey.release_pipeline.design import DesignChoice
from survey.release_pipeline.disclosure import finite
from survey.release_pipeline.rankings import RANKING_DRAWS, RANKING_NODE, RANKING_SEED
from survey.release_pipeline.rows import ResponseRows
from survey.release_pipeline.weights import Weighting


def geography_note(mapping: str) -> dict[str, str]:
    """The method note's sentence on the province mapping (Vietnamese and English)."""
    if mapping == PROVINCES_2025:
        return {
            "vi": (
                f"Mã tỉnh của hồ sơ được quy đổi theo bảng “{mapping}” (đơn vị hành chính cấp "
                "tỉnh sau ngày 1/7/2025) trước khi chia nhóm, nên các tỉnh cũ đã hợp nhất được "
                "tính chung một nhóm."
            ),
            "en": (
                f"Dossiers' province codes are mapped through “{mapping}” (the provincial units "
                "since 1 July 2025) before grouping, so merged former provinces form one domain."
            ),
        }
    return {
        "vi": f"Mã tỉnh của hồ sơ được quy đổi theo bảng “{mapping}” trước khi chia nhóm.",
        "en": f"Dossiers' province codes are mapped through “{mapping}” before grouping.",
    }


def weighting_note(fpc_source: str) -> dict[str, str]:
    """The method note's sentences on weights and variance (Vietnamese and English)."""
    fpc_vi, fpc_en = {
        "draw_snapshot": (
            "hiệu chỉnh quần thể hữu hạn theo số hồ sơ của từng tầng trong danh sách (ghi lại khi "
            "chọn mẫu)",
            "finite population correction from each stratum's frame count recorded at the draw",
        ),
        "pps_with_replacement": ("có tính đến cụm", "with clusters"),
    }.get(
        fpc_source,
        (
            "không hiệu chỉnh quần thể hữu hạn (không có số hồ sơ theo tầng)",
            "no finite population correction (the draw has no stratum counts)",
        ),
    )
    vi = (
        "Trọng số cơ sở là nghịch đảo xác suất được chọn của hồ sơ; trọng số được điều chỉnh "
        "cho người không trả lời trong từng tầng (tổng trọng số của các hồ sơ được chọn, không "
        "kể dự phòng, được chuyển cho người trả lời của tầng theo tỷ lệ trọng số). Sai số "
        f"chuẩn tính theo phương pháp tuyến tính hóa Taylor cho thiết kế phân tầng, {fpc_vi}."
    )
    en = (
        "Base weights are the inverse of each dossier's inclusion probability; they are adjusted "
        "for non-response within strata (the base weight of the stratum's sampled units, "
        "reserves excluded, is carried by its respondents). Standard errors use Taylor "
        f"linearisation for a stratified design, {fpc_en}."
    )
    if fpc_source == "pps_with_replacement":
        vi += (
            " Thiết kế hai giai đoạn: phương sai tính từ các đơn vị giai đoạn 1 (cụm) trong từng "
            "tầng, coi như chọn có hoàn lại (không hiệu chỉnh quần thể hữu hạn), một cách ước "
            "lượng thận trọng."
        )
        en += (
            " Two-stage design: the variance comes from the first-stage units (ultimate "
            "clusters) within strata, treated as drawn with replacement (no finite population "
            "correction), a conservative approximation."
        )
    return {"vi": vi, "en": en}


def national_note(national_rule: str, root: str, n_provinces: int | None) -> dict[str, str]:
    """The method note's sentences on the national figure (Vietnamese and English)."""
    if national_rule == "mean_of_provinces":
        return {
            "vi": (
                "Chỉ số toàn quốc của mỗi chỉ tiêu là trung bình cộng (không trọng số) của chỉ số "
                f"các tỉnh ({n_provinces} tỉnh có người trả lời; tỉnh có ít hơn {DISCLOSURE_K} "
                "người trả lời một chỉ tiêu không được tính vào chỉ tiêu đó), theo cách Bộ Nội vụ "
                "công bố; sai số chuẩn của trung bình này tính từ toàn bộ ma trận hiệp phương sai "
                "của các chỉ số tỉnh (tuyến tính hóa Taylor)."
            ),
            "en": (
                "The national figure of every node is the unweighted mean of the provincial "
                f"indices ({n_provinces} provinces with respondents; a province with fewer than "
                f"{DISCLOSURE_K} respondents on an indicator is left out of its mean), as the "
                "Ministry of Home Affairs publishes it; its standard error comes from the full "
                "covariance matrix of the provincial estimates (Taylor linearisation)."
            ),
        }
    return {
        "vi": (
            "Chỉ số toàn quốc là một ước lượng gộp trên mọi người trả lời với trọng số thiết kế"
            + (
                " (chỉ số SIPAS là trung bình của hai chỉ số thành phần)."
                if root == "sipas"
                else "."
            )
        ),
        "en": (
            "The national figure is one estimate pooled over all respondents with their design "
            "weights"
            + (" (the SIPAS index is the mean of its two indices)." if root == "sipas" else ".")
        ),
    }


def national_parameters(
    national_rule: str, root: str, provinces: Sequence[str] | None, asked: Mapping[str, int]
) -> dict[str, Any]:
    """What a release records of its national rule (``parameters["national"]``): the rule, the
    tree's root, the provinces averaged, the respondents asked each gated element, and the
    method note's sentences."""
    recorded: dict[str, Any] = {"rule": national_rule, "root": root}
    if provinces is not None:
        recorded["provinces"] = list(provinces)
    if asked:
        recorded["asked"] = dict(asked)
    note = national_note(national_rule, root, None if provinces is None else len(provinces))
    if asked:
        # Blocks with a display condition (the service block after Q8) count those asked only.
        n = max(asked.values())
        note = {
            "vi": note["vi"] + f" Các yếu tố chỉ hỏi một số người (như khối dịch vụ hành chính "
            f"công, hỏi người đã làm thủ tục theo câu 8) được ước lượng trên những người được "
            f"hỏi ({n} người); số người trả lời của mỗi chỉ tiêu ghi ở từng dòng.",
            "en": note["en"] + " Elements asked of some respondents only (such as the service "
            f"block, asked of those who had a procedure in Q8) are estimated on those asked "
            f"({n} respondents); each row gives its number of respondents.",
        }
    recorded["description"] = note
    return recorded


def release_parameters(
    *,
    by: Sequence[str],
    rule: str,
    overall: IndexTable,
    level: float,
    reliability: ReliabilityRule,
    lonely_psu: str,
    choice: DesignChoice,
    geo_mapping: str | None,
    questionnaire: Questionnaire,
    ranking_node: str = RANKING_NODE,
    ranking_options: Mapping[str, Any] | None = None,
    national: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters a release stores (and :func:`survey.releases.release_arguments` reads).

    ``ranking_options`` (blocks, ``min_ranked``, bands) are recorded only when a release sets
    them, so releases computed with the defaults store what they always did."""
    parameters: dict[str, Any] = {
        "by": list(by),
        "rule": rule,
        "ci_method": overall.ci_method,
        "level": level,
        "reliability": {
            "min_respondents": reliability.min_respondents,
            "max_cv": reliability.max_cv,
            "max_ci_width": reliability.max_ci_width,
            "description": reliability.describe(),
        },
        "disclosure": {
            "k": DISCLOSURE_K,
            "description": f"cells of fewer than {DISCLOSURE_K} respondents are suppressed "
            "whatever the reliability rule (docs/privacy.md)",
        },
        "variance": {
            "method": "taylor",
            "design": "stratified, respondents as each stratum's sample",
            "lonely_psu": lonely_psu,
            "fpc_source": choice.fpc_source,
            "first_stage_units": choice.first_stage_units,
        },
        "weighting": {
            "base": "1 / inclusion probability of the sampled dossier",
            "nonresponse": "weighting classes = strata; sampled = the draw's non-reserve units",
            "description": weighting_note(choice.fpc_source),
        },
        "ranking": {
            "node": ranking_node,
            "by": "agency_code",
            "n_draws": RANKING_DRAWS,
            "seed": RANKING_SEED,
            "level": level,
            **(ranking_options or {}),
        },
        "geo_mapping": None
        if geo_mapping is None
        else {"province_code": geo_mapping, "description": geography_note(geo_mapping)},
        "questionnaire": {
            "id": questionnaire.id,
            "code": questionnaire.code,
            "version": questionnaire.version,
        },
    }
    if national is not None:
        parameters["national"] = dict(national)
    return parameters


def release_summary(
    rows: ResponseRows, weighting: Weighting, choice: DesignChoice, overall: IndexTable
) -> dict[str, Any]:
    """Respondents, sampled units, response rates (RR = r / S, and weighted), design df,
    population (recorded N and estimated sum of w_i) and one line per stratum."""
    n = rows.n
    sampled = weighting.sampled
    population = choice.population
    n_sampled = int(sum(count for count, _ in sampled.values()))
    sampled_weight = float(weighting.sampled_weight.sum())
    return {
        "respondents": n,
        "sampled": n_sampled,
        "response_rate": finite(n / n_sampled) if n_sampled else None,
        "weighted_response_rate": finite(float(weighting.respondent_weight.sum()) / sampled_weight)
        if weighting.sampled_weight.sum() > 0
        else None,
        "design_df": int(overall.df[0]),
        "n_strata": int(weighting.strata.size),
        "population": None if population is None else int(sum(population.values())),
        "estimated_population": float(weighting.weights.sum()),
        "strata_without_respondents": weighting.strata_without_respondents,
        "strata": [
            {
                "stratum": str(s),
                "population": None if population is None else population.get(str(s)),
                "sampled": sampled.get(str(s), (0, 0.0))[0],
                "respondents": int(weighting.respondents[h]),
                "adjustment_factor": float(weighting.factors[str(s)]),
            }
            for h, s in enumerate(weighting.strata.tolist())
        ],
    }
