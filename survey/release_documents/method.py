"""The method and provenance of a release, as labelled facts every document prints.

Sampling, weighting, the interval method, the reliability and suppression rules, the data
fingerprint (frame hash, draw seed, questionnaire version, responses digest), the release's
SHA-256, who published it and when, and whether it has been superseded. All come from the stored
release (parameters, summary, fingerprint and review columns); nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from survey.release_documents.league import ranking_rules
from survey.release_documents.source import DocumentSource


@dataclass(frozen=True)
class MethodFact:
    key: str
    label_vi: str
    label_en: str
    value: str | int | float | None
    value_en: str | int | float | None = None  # when the value itself is words

    def value_in(self, lang: str) -> str | int | float | None:
        return self.value_en if lang == "en" and self.value_en is not None else self.value


def _when(at: datetime | None) -> str:
    return "" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


def method_facts(source: DocumentSource) -> list[MethodFact]:
    """Labelled facts in reading order: the release, its review, the data, the method."""
    r = source.release
    p: dict[str, Any] = r.parameters or {}
    fp: dict[str, Any] = r.fingerprint or {}
    summary: dict[str, Any] = r.summary or {}
    reliability = p.get("reliability") or {}
    disclosure = p.get("disclosure") or {}
    variance = p.get("variance") or {}
    weighting = (p.get("weighting") or {}).get("description") or {}
    geography = (p.get("geo_mapping") or {}).get("description") or {}
    ranking = p.get("ranking") or {}
    questionnaire = fp.get("questionnaire") or p.get("questionnaire") or {}
    facts = [
        MethodFact("release_name", "Tên bản công bố", "Release", r.name),
        MethodFact("release_id", "Số bản công bố", "Release id", r.id),
        MethodFact("version", "Phiên bản", "Version", r.version),
        MethodFact("status", "Trạng thái", "Status", r.status),
        MethodFact("release_sha256", "Mã băm SHA-256", "Release SHA-256", r.content_sha256 or ""),
        MethodFact("campaign", "Đợt khảo sát", "Campaign", source.campaign_name),
    ]
    if source.period is not None:
        start, end = source.period
        facts.append(
            MethodFact(
                "period",
                "Thời gian khảo sát",
                "Fieldwork period",
                f"{start.date().isoformat()} – {end.date().isoformat()}",
            )
        )
    for step, vi, en in (
        ("computed", "Tính bởi", "Computed by"),
        ("submitted", "Gửi duyệt bởi", "Submitted by"),
        ("published", "Công bố bởi", "Published by"),
    ):
        found = source.step(step)
        facts.append(MethodFact(f"{step}_by", vi, en, found.by if found else ""))
        facts.append(
            MethodFact(f"{step}_at", vi + " lúc", en + " at", _when(found.at if found else None))
        )
    facts += [
        MethodFact(
            "superseded_by_id",
            "Được thay thế bởi bản",
            "Superseded by release",
            r.superseded_by_id,
        ),
        MethodFact("superseded_at", "Được thay thế lúc", "Superseded at", _when(r.superseded_at)),
        MethodFact("supersedes_id", "Đính chính của bản", "Corrects release", r.supersedes_id),
        MethodFact(
            "correction_reason", "Lý do đính chính", "Correction reason", r.correction_reason
        ),
        MethodFact(
            "frame_sha256",
            "Danh sách hồ sơ (SHA-256)",
            "Frame SHA-256",
            (fp.get("frame") or {}).get("sha256"),
        ),
        MethodFact("draw_id", "Lần chọn mẫu", "Draw id", (fp.get("draw") or {}).get("id")),
        MethodFact(
            "draw_seed", "Hạt giống chọn mẫu", "Draw seed", (fp.get("draw") or {}).get("seed")
        ),
        MethodFact(
            "questionnaire_code", "Mã phiếu hỏi", "Questionnaire", questionnaire.get("code")
        ),
        MethodFact(
            "questionnaire_version",
            "Phiên bản phiếu hỏi",
            "Questionnaire version",
            questionnaire.get("version"),
        ),
        MethodFact(
            "questionnaire_sha256",
            "Phiếu hỏi (SHA-256)",
            "Questionnaire SHA-256",
            questionnaire.get("definition_sha256"),
        ),
        MethodFact(
            "responses_sha256",
            "Phiếu trả lời (SHA-256)",
            "Responses SHA-256",
            (fp.get("responses") or {}).get("sha256"),
        ),
        MethodFact("respondents", "Số người trả lời", "Respondents", summary.get("respondents")),
        MethodFact("sampled", "Số hồ sơ được chọn", "Sampled dossiers", summary.get("sampled")),
        MethodFact("response_rate", "Tỷ lệ trả lời", "Response rate", summary.get("response_rate")),
        MethodFact("n_strata", "Số tầng", "Strata", summary.get("n_strata")),
        MethodFact(
            "sampling",
            "Chọn mẫu",
            "Sampling",
            "Chọn ngẫu nhiên phân tầng từ danh sách hồ sơ đã giải quyết; xác suất chọn biết trước.",
            "Stratified random draw from the completed dossiers; known inclusion probabilities.",
        ),
        MethodFact(
            "weighting", "Trọng số", "Weighting", weighting.get("vi", ""), weighting.get("en", "")
        ),
        MethodFact("variance", "Phương sai", "Variance", variance.get("method"), None),
        MethodFact("fpc_source", "Hiệu chỉnh quần thể hữu hạn", "FPC", variance.get("fpc_source")),
        MethodFact("rule", "Cách tổng hợp", "Aggregation rule", p.get("rule")),
        MethodFact(
            "ci_method", "Phương pháp khoảng tin cậy", "Interval method", p.get("ci_method")
        ),
        MethodFact("level", "Độ tin cậy", "Confidence level", p.get("level")),
        MethodFact(
            "min_respondents",
            "Ẩn ô có ít hơn (người)",
            "Suppress cells under (respondents)",
            reliability.get("min_respondents"),
        ),
        MethodFact("max_cv", "Ngưỡng hệ số biến thiên", "Maximum CV", reliability.get("max_cv")),
        MethodFact(
            "disclosure_k",
            "Luôn ẩn ô có ít hơn (người)",
            "Always suppress cells under (respondents)",
            disclosure.get("k", source.k),
        ),
        MethodFact(
            "ranking",
            "Xếp hạng",
            "Ranking",
            f"{ranking.get('by', '')}: {ranking.get('n_draws', '')} lần mô phỏng, hạt giống "
            f"{ranking.get('seed', '')}"
            if ranking
            else "",
            f"{ranking.get('by', '')}: {ranking.get('n_draws', '')} simulations, seed "
            f"{ranking.get('seed', '')}"
            if ranking
            else "",
        ),
    ]
    rules = ranking_rules(ranking, "vi")
    if rules:
        # Blocks, min_ranked and bands: recorded only by releases that chose them.
        facts.append(
            MethodFact(
                "ranking_rules",
                "Quy tắc xếp hạng",
                "Ranking rules",
                rules,
                ranking_rules(ranking, "en"),
            )
        )
    if geography:
        facts.append(
            MethodFact(
                "geo_mapping",
                "Quy đổi mã tỉnh",
                "Province mapping",
                geography.get("vi", ""),
                geography.get("en", ""),
            )
        )
    national = p.get("national") or {}
    if national:
        # Releases on the national form's tree or with a national rule other than pooled.
        description = national.get("description") or {}
        facts.append(
            MethodFact(
                "national_rule",
                "Chỉ số toàn quốc",
                "National figure",
                description.get("vi", national.get("rule")),
                description.get("en", national.get("rule")),
            )
        )
    return facts
