"""The demo: a synthetic but realistic frame, a design and a draw, plus three staff accounts.

The frame imitates what provinces hand over for SIPAS: dossiers completed in the third quarter of
2025 by about 40 agencies of three post-merger provinces (Hà Nội, Bắc Ninh and Ninh Bình), some of
whose records still carry the pre-merger province code (Bắc Giang/Bắc Ninh, Hà Nam/Nam Định/Ninh
Bình), so the design maps codes through ``provinces-2025``. Values are written as agencies write
them: Vietnamese channel and level words, dates as DD/MM/YYYY, phones in every common format, some
old 11-digit mobiles, some landlines and some missing, and people with several dossiers.

Then the fieldwork: a campaign on the draw with the built-in SIPAS questionnaire, invitations sent
through the local outbox (nothing leaves the machine), and a seeded share of the invitations played
out as synthetic citizens -- completed questionnaires with agency-level satisfaction between 70%
and 92%, break-offs, opened-only links and opt-outs -- so the dispositions, the AAPOR rates and a
draft index release by agency and by province have something to show. About a quarter of the
invitations is left untouched for a person to answer in the browser.

Everything is built through the real use cases (import, design, draw, campaign, invitations,
outbox worker, answer flow, release), and rebuilding reuses what exists, so ``sipas demo`` can be
run any number of times.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.calibration_margins import CROSS, calibration_request
from survey.campaigns import (
    DEFAULT_REMINDER_TEMPLATE,
    DEFAULT_SMS_TEMPLATE,
    activate_campaign,
    as_utc,
    create_campaign,
)
from survey.demo_modes import ANSWER_SETS, DemoModes, build_demo_modes
from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.frame_files import FIELDS
from survey.frames import import_frame
from survey.geography import PROVINCES_2025, ensure_builtin_mappings
from survey.invitations import (
    LinkState,
    create_invitations,
    find_invitation,
    invitation_link,
    invitation_token,
    record_first_open,
)
from survey.models import (
    Campaign,
    Design,
    Dossier,
    Draw,
    Frame,
    IndexRelease,
    Invitation,
    Questionnaire,
    Response,
    SampleUnit,
    SmsMessage,
    StaffUser,
    utcnow,
)
from survey.models.frames import FrameStatus
from survey.models.releases import ReleaseStatus
from survey.optouts import handle_inbound, opt_out_invitation
from survey.outbox import queue_invitation_sms
from survey.questionnaires import PRIORITY_OPTIONS, answer_pages, ensure_builtin_questionnaires
from survey.releases import compute_release, publish_release, submit_release
from survey.responses import complete_response, save_page, start_or_resume, submit_response
from survey.settings import Settings
from survey.sms.gateway import InboundMessage, detect_opt_out
from survey.sms.local_outbox import LocalOutboxGateway
from survey.users import create_user
from survey.worker import WorkerConfig, process_batch

DEMO_FRAME_NAME = "Demo: hồ sơ hoàn thành quý III/2025"
DEMO_DESIGN_NAME = "Demo: phân bổ Neyman theo cơ quan, sai số ±5%"
DEMO_SEED = 20251001
QUARTER_START = date(2025, 7, 1)
QUARTER_DAYS = 92

# (username, role, password, full name, scopes) — demo passwords, printed by ``sipas demo``.
DEMO_USERS: tuple[tuple[str, str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("admin", "admin", "demo-admin-2025", "Quản trị hệ thống", ()),
    ("coordinator", "coordinator", "demo-coordinator-2025", "Điều phối viên Bộ Nội vụ", ()),
    ("analyst", "analyst", "demo-analyst-2025", "Chuyên viên phân tích", ()),
    (
        "coordinator_bn",
        "coordinator",
        "demo-bacninh-2025",
        "Điều phối viên tỉnh Bắc Ninh",
        (("province", "24"), ("province", "27")),
    ),
    # Four eyes: the admin computes the demo's drafts, the analyst submits one, this account
    # publishes it.
    ("publisher", "publisher", "demo-publisher-2025", "Lãnh đạo duyệt công bố", ()),
    # Double data entry: every paper form is keyed by two different clerks.
    ("clerk1", "clerk", "demo-clerk1-2025", "Nhân viên nhập phiếu 1", ()),
    ("clerk2", "clerk", "demo-clerk2-2025", "Nhân viên nhập phiếu 2", ()),
    ("interviewer1", "interviewer", "demo-interviewer1-2025", "Điều tra viên 1", ()),
)

PROCEDURE_FIELDS = (
    "Hộ tịch",
    "Chứng thực",
    "Đất đai",
    "Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động, thương binh và xã hội",
    "Tư pháp",
    "Giao thông vận tải",
    "Y tế",
    "Giáo dục và đào tạo",
    "Tài nguyên và môi trường",
    "Nông nghiệp",
    "Công thương",
    "Văn hóa, thể thao và du lịch",
    "Nội vụ",
    "Tài chính",
)
# Relative frequency of each field: civil status and certification dominate commune desks.
FIELD_WEIGHTS = np.array([22, 18, 12, 6, 7, 8, 4, 5, 3, 3, 3, 3, 2, 1, 2, 1], dtype=float)

# Province-level departments present in every province: (code suffix, name, fields they handle).
DEPARTMENTS = (
    ("STP", "Sở Tư pháp", (1, 6, 0)),
    ("SXD", "Sở Xây dựng", (3, 7)),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", (2, 10, 11)),
    ("STC", "Sở Tài chính", (4, 15)),
    ("SYT", "Sở Y tế", (8, 5)),
    ("SCT", "Sở Công thương", (12, 4)),
    ("TTHCC", "Trung tâm Phục vụ hành chính công tỉnh", tuple(range(16))),
)

# (new code, province name, communes as (old province code, commune code, commune name)).
PROVINCES = (
    (
        "01",
        "Hà Nội",
        (
            ("01", "00004", "Phường Ba Đình"),
            ("01", "00070", "Phường Hoàn Kiếm"),
            ("01", "00160", "Phường Cầu Giấy"),
            ("01", "09619", "Xã Sóc Sơn"),
            ("01", "10015", "Xã Ba Vì"),
            ("01", "09955", "Phường Hà Đông"),
        ),
    ),
    (
        "24",
        "Bắc Ninh",
        (
            ("27", "09169", "Phường Kinh Bắc"),
            ("27", "09370", "Phường Từ Sơn"),
            ("24", "07210", "Phường Bắc Giang"),
            ("24", "07339", "Xã Lục Nam"),
            ("24", "07615", "Xã Yên Thế"),
            ("27", "09484", "Xã Gia Bình"),
        ),
    ),
    (
        "37",
        "Ninh Bình",
        (
            ("37", "14359", "Phường Hoa Lư"),
            ("36", "13666", "Phường Nam Định"),
            ("35", "13285", "Phường Phủ Lý"),
            ("36", "13900", "Xã Hải Hậu"),
            ("35", "13372", "Xã Kim Bảng"),
            ("37", "14620", "Xã Kim Sơn"),
        ),
    ),
)

# Old 11-digit mobile prefixes still found in agency records (DOMAIN.md, 2018 renumbering).
OLD_PREFIXES = (
    "0162",
    "0163",
    "0164",
    "0165",
    "0166",
    "0167",
    "0168",
    "0169",
    "0120",
    "0121",
    "0122",
    "0126",
    "0128",
    "0123",
    "0124",
    "0125",
    "0127",
    "0129",
    "0186",
    "0188",
)
NEW_PREFIXES = (
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "056",
    "058",
    "059",
)
# The demo file uses the importer's canonical column names, so it needs no column map.
HEADER = FIELDS


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    province_code: str  # as the agency's records write it (possibly pre-merger)
    commune_code: str
    level: str
    fields: tuple[int, ...]
    volume: float


def demo_agencies() -> list[DemoAgency]:
    """The ~40 agencies of the demo: 7 departments and 6 commune centres per province."""
    agencies = []
    for new_code, province, communes in PROVINCES:
        for suffix, name, fields in DEPARTMENTS:
            agencies.append(
                DemoAgency(
                    code=f"{new_code}.{suffix}",
                    name=f"{name} {province}",
                    province_code=new_code,
                    commune_code="",
                    level="Tỉnh",
                    fields=fields,
                    volume=3.0 if suffix == "TTHCC" else 0.6,
                )
            )
        for old_code, commune_code, commune in communes:
            agencies.append(
                DemoAgency(
                    code=f"{new_code}.X{commune_code}",
                    name=f"Trung tâm Phục vụ hành chính công {commune}",
                    province_code=old_code,
                    commune_code=commune_code,
                    level="Xã",
                    fields=(0, 1, 2, 3, 5, 6, 11, 14),
                    volume=1.6,
                )
            )
    return agencies


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    kind = rng.choice(4, size=n, p=[0.87, 0.06, 0.03, 0.04])
    subscriber = rng.integers(0, 10_000_000, size=n)
    new = rng.choice(np.asarray(NEW_PREFIXES), size=n)
    old = rng.choice(np.asarray(OLD_PREFIXES), size=n)
    landline = rng.integers(0, 100_000_000, size=n)
    style = rng.integers(0, 4, size=n)
    out = []
    for k, s, p_new, p_old, land, st in zip(
        kind.tolist(),
        subscriber.tolist(),
        new.tolist(),
        old.tolist(),
        landline.tolist(),
        style.tolist(),
        strict=True,
    ):
        digits = f"{s:07d}"
        if k == 0:  # current 10-digit mobile, written several ways
            national = f"{p_new}{digits}"
            out.append(
                (
                    national,
                    f"{national[:4]} {national[4:7]} {national[7:]}",
                    f"+84{national[1:]}",
                    f"{national[:4]}.{national[4:7]}.{national[7:]}",
                )[st]
            )
        elif k == 1:  # an old 11-digit mobile, mapped to its new number on import
            out.append(f"{p_old}{digits}")
        elif k == 2:  # a landline (Hà Nội 024 / Bắc Ninh 0222 / Ninh Bình 0229)
            out.append(("024", "0222", "0229")[st % 3] + f"{land:08d}"[: 8 if st % 3 == 0 else 7])
        else:
            out.append("")
    return out


def write_demo_frame(path: Path, *, n_dossiers: int = 50_000, seed: int = DEMO_SEED) -> Path:
    """Write the demo frame as a CSV (UTF-8 with BOM, as Excel saves it) and return its path.

    The dossiers' agencies follow each agency's volume, fields the agency's usual procedures,
    channels differ by level (more online at province level), dates fall in Q3 2025, and about 7%
    of dossiers reuse the phone of another dossier (one person, several procedures).
    """
    rng = np.random.default_rng(seed)
    agencies = demo_agencies()
    volume = np.asarray([a.volume for a in agencies]) * rng.lognormal(0.0, 0.5, len(agencies))
    agency_of = rng.choice(len(agencies), size=n_dossiers, p=volume / volume.sum())
    agency_of.sort(kind="stable")
    field_of = np.empty(n_dossiers, dtype=np.int64)
    for a, agency in enumerate(agencies):
        rows = np.flatnonzero(agency_of == a)
        fields = np.asarray(agency.fields)
        weights = FIELD_WEIGHTS[fields] / FIELD_WEIGHTS[fields].sum()
        field_of[rows] = rng.choice(fields, size=rows.size, p=weights)
    is_commune = np.asarray([a.level == "Xã" for a in agencies])[agency_of]
    online_share = np.where(is_commune, 0.35, 0.6)
    u = rng.random(n_dossiers)
    channel = np.where(
        u < online_share, "Trực tuyến", np.where(u < online_share + 0.05, "Bưu chính", "Trực tiếp")
    )
    completed = rng.integers(0, QUARTER_DAYS, size=n_dossiers)
    duration = rng.integers(0, 16, size=n_dossiers)
    received_offset = completed - duration
    due_extra = rng.integers(-2, 6, size=n_dossiers)
    procedure_no = rng.integers(1, 30, size=n_dossiers)
    phones = _phones(rng, n_dossiers)
    phone_arr = np.asarray(phones, dtype=object)
    repeat = np.flatnonzero(rng.random(n_dossiers) < 0.07)
    source = rng.integers(0, n_dossiers, size=repeat.size)
    phone_arr[repeat] = phone_arr[source]
    start = np.datetime64(QUARTER_START.isoformat())
    completed_dates = (start + completed).astype(date)
    received_dates = (start + received_offset).astype(date)
    due_dates = (start + received_offset + duration + due_extra).astype(date)
    sequence = np.zeros(len(agencies), dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(n_dossiers):
            a = int(agency_of[i])
            agency = agencies[a]
            sequence[a] += 1
            f = int(field_of[i])
            received = received_dates[i]
            writer.writerow(
                (
                    f"{agency.code}-{received:%y%m%d}-{int(sequence[a]):05d}",
                    agency.code,
                    agency.name,
                    agency.province_code,
                    agency.commune_code,
                    agency.level,
                    f"TTHC.{f + 1:02d}.{int(procedure_no[i]):03d}",
                    PROCEDURE_FIELDS[f],
                    channel[i],
                    f"{received:%d/%m/%Y}",
                    f"{max(due_dates[i], received):%d/%m/%Y}",
                    f"{completed_dates[i]:%d/%m/%Y}",
                    phone_arr[i],
                )
            )
    return path


def demo_design(frame_id: int) -> DesignCreate:
    """The demo design: strata = agencies, Neyman allocation for ±5 points on the total.

    Anticipated 82% satisfied (SIPAS 2023: 82.66%), design effect 1.5, 60% response, at least 10
    dossiers per agency so that every agency is observed, systematic selection sorted by
    procedure field and completion date, and a reserve list of 5 per agency.
    """
    return DesignCreate(
        name=DEMO_DESIGN_NAME,
        frame_id=frame_id,
        stratify_by=["agency_code"],
        geo_mapping=PROVINCES_2025,
        selection="systematic",
        sort_by=["procedure_field", "completed_date"],
        allocation=AllocationSpec(
            method="neyman",
            margin=0.05,
            margin_applies_to="total",
            p=0.82,
            deff=1.5,
            response_rate=0.6,
            min_per_stratum=10,
        ),
        reserve_per_stratum=5,
    )


# The fieldwork of the demo.
DEMO_CAMPAIGN_NAME = "Demo: đợt khảo sát SIPAS qua tin nhắn"
DEMO_RELEASE_BY_AGENCY = "Demo: chỉ số theo cơ quan (câu trả lời mô phỏng)"
DEMO_RELEASE_BY_PROVINCE = "Demo: chỉ số theo tỉnh (câu trả lời mô phỏng)"
FIELD_DAYS = 28
# A real release suppresses cells under 30 respondents; the demo's agencies get about nine each
# (a ±5-point design on the total), so the agency release uses 5 and says so in its parameters.
DEMO_MIN_RESPONDENTS = 5
# What the demo's synthetic citizens do with their invitation, and the share of each outcome.
OUTCOMES = ("completed", "partial", "opened", "opted_out", "untouched")
OUTCOME_SHARES = (0.63, 0.05, 0.03, 0.03, 0.26)
# Agencies' shares of satisfied answers (4 or 5) are spread over this range (SIPAS 2023 had
# provinces from 75.03% to 90.61%).
SATISFIED_RANGE = (0.70, 0.92)
# Logit shift of each element against the agency's level: feedback handling is the weakest
# element in every published SIPAS round (2023: 82.27% against 83.0-83.1% for the others).
ELEMENT_SHIFT = {"procedures": 0.1, "results": 0.1, "feedback": -0.3}
# Share of "not applicable" per criterion: fees do not apply to free procedures, and only people
# who gave feedback can judge how it was handled.
NOT_APPLICABLE_SHARE = {
    "procedures_q21": 0.12,
    "feedback_q31": 0.2,
    "feedback_q32": 0.45,
    "feedback_q33": 0.5,
}
DEFAULT_NOT_APPLICABLE_SHARE = 0.03
# Standard deviation of a respondent's own leaning (logit scale): one person's answers agree
# (inter-item correlations of about 0.2-0.3, Cronbach's alpha near 0.85 over 19 criteria).
RESPONDENT_SD = 1.5
DEMO_COMMENTS = (
    "Cán bộ hướng dẫn tận tình, dễ hiểu.",
    "Thời gian chờ lấy số còn lâu.",
    "Nên có thêm chỗ ngồi và nước uống cho người dân.",
    "Nộp hồ sơ trực tuyến thuận tiện, không phải đi lại nhiều.",
    "Trả kết quả đúng hẹn.",
)


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.log(p / (1.0 - p))


def agency_satisfaction(seed: int = DEMO_SEED) -> dict[str, float]:
    """Each demo agency's intended share of satisfied answers, drawn from ``SATISFIED_RANGE``."""
    agencies = demo_agencies()
    # A stream of its own: the frame's generator starts from the bare seed.
    shares = np.random.default_rng([seed, 1]).uniform(*SATISFIED_RANGE, size=len(agencies))
    return {a.code: float(p) for a, p in zip(agencies, shares.tolist(), strict=True)}


def plan_outcomes(n: int, seed: int = DEMO_SEED) -> NDArray[np.str_]:
    """What happens to each of ``n`` invitations (in id order): one of :data:`OUTCOMES`.

    The counts are the shares of :data:`OUTCOME_SHARES` rounded down (the remainder is left
    untouched), in a seeded random order, so the plan of a campaign is the same on every run.
    """
    counts = np.floor(np.asarray(OUTCOME_SHARES) * n).astype(np.int64)
    counts[-1] = n - counts[:-1].sum()
    plan = np.repeat(np.asarray(OUTCOMES), counts)
    return np.random.default_rng([seed, 2]).permutation(plan)


def synthetic_answers(
    definition: dict[str, Any], satisfied_share: NDArray[np.float64], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Answers of synthetic respondents to ``definition``, one per entry of ``satisfied_share``.

    Criterion answers follow a random-intercept logit model: respondent i of an agency whose
    intended share of satisfied answers is p answers criterion k of element e with
    P(4 or 5) = expit(c * logit(p) + s_e + u_i), u_i ~ N(0, RESPONDENT_SD^2), where s_e is
    :data:`ELEMENT_SHIFT` and c = sqrt(1 + 0.346 RESPONDENT_SD^2) undoes the attenuation the
    random intercept causes (E expit(x + u) ~ expit(x / c); Zeger, Liang & Albert 1988,
    Biometrics 44, 1049-1060), so the agency's marginal share stays close to p. Satisfied answers
    are 5 with probability 0.3, others 3, 2, 1 with probabilities 0.6, 0.3, 0.1; a criterion is
    "not applicable" (0) with the share of
    :data:`NOT_APPLICABLE_SHARE`. The extra questions get plausible answers (mostly no
    harassment, a preferred channel, now and then a comment).
    """
    n = satisfied_share.shape[0]
    elements = definition["elements"]
    codes = [c["code"] for e in elements for c in e["criteria"]]
    shift = np.array([ELEMENT_SHIFT.get(e["code"], 0.0) for e in elements for _ in e["criteria"]])
    na_share = np.array([NOT_APPLICABLE_SHARE.get(c, DEFAULT_NOT_APPLICABLE_SHARE) for c in codes])
    scale = np.sqrt(1.0 + 0.346 * RESPONDENT_SD**2)
    leaning = rng.normal(0.0, RESPONDENT_SD, size=(n,))
    eta = scale * _logit(satisfied_share)[:, None] + shift[None, :] + leaning[:, None]
    satisfied = rng.random((n, len(codes))) < 1.0 / (1.0 + np.exp(-eta))
    high = np.where(rng.random((n, len(codes))) < 0.3, 5, 4)
    low = rng.choice(np.array([3, 2, 1]), size=(n, len(codes)), p=[0.6, 0.3, 0.1])
    scores: NDArray[np.int64] = np.where(satisfied, high, low)
    scores[rng.random((n, len(codes))) < na_share[None, :]] = 0
    answers: list[dict[str, Any]] = [dict(zip(codes, row, strict=True)) for row in scores.tolist()]
    questions = {q["code"]: q for q in definition.get("questions") or []}
    extra: dict[str, list[Any]] = {}
    for code, probabilities in (
        ("harassment", (0.9, 0.08, 0.02)),
        ("extra_payment", (0.93, 0.06, 0.01)),
    ):
        if code in questions:
            options = [o["code"] for o in questions[code]["options"]]
            extra[code] = rng.choice(options, size=n, p=probabilities).tolist()
    if "preferred_channel" in questions:
        options = [o["code"] for o in questions["preferred_channel"]["options"]]
        first = rng.choice(options, size=n, p=[0.45, 0.45, 0.1]).tolist()
        both: NDArray[np.bool_] = rng.random(size=(n,)) < 0.2
        extra["preferred_channel"] = [
            sorted({f, options[1] if f == options[0] else options[0]}) if b else [f]
            for f, b in zip(first, both.tolist(), strict=True)
        ]
    if "comments" in questions:
        comment = rng.integers(0, len(DEMO_COMMENTS), size=(n,))
        commented: NDArray[np.bool_] = rng.random(size=(n,)) < 0.1
        extra["comments"] = [
            DEMO_COMMENTS[c] if w else None
            for c, w in zip(comment.tolist(), commented.tolist(), strict=True)
        ]
    for code, values in extra.items():
        for row, value in zip(answers, values, strict=True):
            if value is not None:
                row[code] = value
    return answers


@dataclass(frozen=True)
class DemoFieldwork:
    """The demo campaign and what the demo did with it in this run.

    ``example_links`` are links of invitations the demo leaves for a person to answer.
    """

    campaign_id: int
    campaign_status: str
    field_end: datetime
    invitations: int
    messages_sent: int
    completed: int
    release_ids: tuple[int, ...]
    example_links: tuple[str, ...]
    created: tuple[str, ...]
    notes: tuple[str, ...]
    modes: DemoModes | None = None


def _local_day_bounds(now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.timezone)
    today = as_utc(now).astimezone(zone).date()
    start = datetime.combine(today, time(0, 0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=FIELD_DAYS), time(23, 59, 59), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def ensure_demo_campaign(
    *, session: Session, settings: Settings, draw_id: int, created_by: int | None, now: datetime
) -> tuple[Campaign, list[str], list[str]]:
    """The demo campaign on ``draw_id``, created and activated when missing.

    Returns the campaign, what was created and notes for the console (e.g. a field period that
    has ended since the demo was built).
    """
    created: list[str] = []
    notes: list[str] = []
    campaign = session.exec(
        select(Campaign)
        .where(col(Campaign.draw_id) == draw_id, col(Campaign.name) == DEMO_CAMPAIGN_NAME)
        .order_by(col(Campaign.id))
    ).first()
    if campaign is None:
        questionnaire = ensure_builtin_questionnaires(session=session)
        assert questionnaire.id is not None
        start, end = _local_day_bounds(now, settings)
        campaign = create_campaign(
            session=session,
            name=DEMO_CAMPAIGN_NAME,
            draw_id=draw_id,
            questionnaire_id=questionnaire.id,
            field_start=start,
            field_end=end,
            sms_template=DEFAULT_SMS_TEMPLATE,
            reminder_template=DEFAULT_REMINDER_TEMPLATE,
            # Without diacritics each SMS is one GSM-7 part (with them, 2-3 UCS-2 parts).
            strip_diacritics=True,
            created_by=created_by,
        )
        created.append(f"campaign {campaign.id}")
    assert campaign.id is not None
    if campaign.status == "draft" and as_utc(campaign.field_end) > now:
        campaign = activate_campaign(session=session, campaign_id=campaign.id, now=now)
    if as_utc(campaign.field_end) <= now or campaign.status == "closed":
        notes.append(
            f"the demo campaign's field period is over ({campaign.status}, ended "
            f"{as_utc(campaign.field_end):%Y-%m-%d}): its links now show the 'expired' page. "
            "Remove the demo database (SIPAS_DATA_DIR/sipas.db) to start afresh."
        )
    return campaign, created, notes


def send_demo_invitations(
    *, session: Session, settings: Settings, campaign_id: int, now: datetime
) -> tuple[int, int, list[str]]:
    """Create the campaign's invitations, queue their SMS and send them through the local outbox.

    The worker runs with :class:`LocalOutboxGateway`, the clock at ``now`` and settings without
    quiet hours or rate limit: the local outbox reaches nobody, so neither the citizens' night
    nor the operator's throughput is at stake. It claims due messages of every active campaign, so
    when another campaign has messages waiting it is not run: those belong to ``sipas worker``
    and the configured gateway.

    Returns
    -------
    (created, sent, notes)
        Invitations created and messages sent in this call, and notes for the console.
    """
    summary = create_invitations(
        session=session, settings=settings, campaign_id=campaign_id, now=now
    )
    queue_invitation_sms(session=session, settings=settings, campaign_id=campaign_id, now=now)
    others_waiting = session.exec(
        select(func.count())
        .select_from(SmsMessage)
        .where(
            col(SmsMessage.status).in_(("queued", "claimed")),
            col(SmsMessage.campaign_id) != campaign_id,
        )
    ).one()
    if others_waiting:
        return (
            summary.created,
            0,
            [
                f"{others_waiting} messages of other campaigns are waiting, so the demo did not "
                "run the outbox worker; run `sipas worker` to send them all"
            ],
        )
    demo_settings = replace(
        settings, sms_rate_per_second=0.0, quiet_hours_start="00:00", quiet_hours_end="00:00"
    )
    gateway = LocalOutboxGateway()
    sent = 0
    while True:
        report = process_batch(
            session=session,
            settings=demo_settings,
            gateway=gateway,
            clock=FixedClock(now),
            config=WorkerConfig(batch_size=500),
        )
        sent += report.sent
        if report.claimed == 0:
            return summary.created, sent, []


@dataclass(frozen=True)
class FixedClock:
    """The worker's clock stopped at the demo's ``now`` (the demo sends with no throttle, so
    nothing ever sleeps): messages queued "now" are due at once, whatever ``now`` was given."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        return None


def _untouched(invitation: Invitation) -> bool:
    return (
        invitation.first_opened_at is None
        and invitation.started_at is None
        and invitation.completed_at is None
        and invitation.opted_out_at is None
        and invitation.revoked_at is None
    )


def simulate_fieldwork(
    *, session: Session, settings: Settings, campaign_id: int, seed: int = DEMO_SEED
) -> dict[str, int]:
    """Play out the planned outcome (:func:`plan_outcomes`) of each untouched invitation.

    Everything goes through the citizen's use cases: opening the link
    (:func:`survey.invitations.record_first_open`), starting, saving page by page and submitting
    (:mod:`survey.responses`), the "do not contact me" button or an SMS reply "TU CHOI"
    (:mod:`survey.optouts`). Invitations that were already touched (by an earlier run or by a
    person) and those planned ``untouched`` are left alone, so running it again does nothing.

    Returns
    -------
    dict
        The number of invitations played out per outcome.
    """
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert questionnaire is not None
    definition = questionnaire.definition
    pages = answer_pages(definition)
    rows = session.exec(
        select(Invitation, Dossier.agency_code)
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(Invitation.campaign_id) == campaign_id)
        .order_by(col(Invitation.id))
    ).all()
    plan = plan_outcomes(len(rows), seed)
    todo = [
        (int(invitation.id or 0), invitation.phone_e164, agency, str(outcome))
        for (invitation, agency), outcome in zip(rows, plan.tolist(), strict=True)
        if outcome != "untouched"
        and _untouched(invitation)
        and find_invitation(session=session, token=invitation_token(settings, invitation)).state
        is LinkState.OK
    ]
    levels = agency_satisfaction(seed)
    answering = [(i, agency) for i, _, agency, outcome in todo if outcome != "opted_out"]
    shares = np.array([levels.get(agency, 0.82) for _, agency in answering])
    rng = np.random.default_rng([seed, 3, campaign_id])
    answers = dict(
        zip((i for i, _ in answering), synthetic_answers(definition, shares, rng), strict=True)
    )
    pages_done = rng.integers(1, len(pages) - 1, size=(len(todo),)).tolist()
    done = dict.fromkeys(OUTCOMES[:-1], 0)
    for (invitation_id, phone, _, outcome), partial_pages in zip(todo, pages_done, strict=True):
        # One invitation at a time, as the web pages handle one request: a session holding
        # every invitation would expire all of them at each of the use cases' commits.
        session.expunge_all()
        if outcome == "opted_out" and phone and invitation_id % 2 == 0:
            # A reply to the SMS, as the gateway would forward it.
            handle_inbound(
                session=session,
                settings=settings,
                message=InboundMessage(
                    sender=phone, text="TU CHOI", opt_out_keyword=detect_opt_out("TU CHOI")
                ),
            )
            done[outcome] += 1
            continue
        record_first_open(session=session, invitation_id=invitation_id)
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        if outcome == "opted_out":
            opt_out_invitation(session=session, settings=settings, invitation=invitation)
        elif outcome in ("completed", "partial"):
            given = answers[invitation_id]
            start_or_resume(session=session, invitation=invitation)
            last = len(pages) if outcome == "completed" else partial_pages
            for page in pages[:last]:
                save_page(
                    session=session,
                    invitation=invitation,
                    page=page.index,
                    answers={c: given[c] for c in page.item_codes if c in given},
                )
            if outcome == "completed":
                submit_response(session=session, invitation=invitation, answers=given)
        done[outcome] += 1
    session.expunge_all()
    return done


def ensure_demo_releases(
    *, session: Session, campaign_id: int, created_by: int | None
) -> tuple[list[int], list[str]]:
    """A draft release of the campaign by agency and a published one by province, computed when
    missing (the province release goes through submission and four-eyes publication).

    The province release groups the 2025 provinces (:data:`PROVINCES_2025`), since the demo's
    dossiers still carry some pre-merger codes. A draft of the same name computed without that
    mapping (by an older demo) is replaced; a published one is kept, its figures never change.
    Returns the release ids and what was created; nothing is computed before the first
    completed response.
    """
    ids: list[int] = []
    created: list[str] = []
    completed = session.exec(
        select(func.count())
        .select_from(Response)
        .where(col(Response.campaign_id) == campaign_id, col(Response.status) == "completed")
    ).one()
    for name, by, min_respondents, geo_mapping in (
        (DEMO_RELEASE_BY_AGENCY, ("agency_code",), DEMO_MIN_RESPONDENTS, None),
        (DEMO_RELEASE_BY_PROVINCE, ("province_code",), 30, PROVINCES_2025),
    ):
        release = session.exec(
            select(IndexRelease).where(
                col(IndexRelease.campaign_id) == campaign_id, col(IndexRelease.name) == name
            )
        ).first()
        recorded = None if release is None else release.parameters.get("geo_mapping")
        recorded_mapping = (recorded or {}).get("province_code")
        if (
            release is not None
            and recorded_mapping != geo_mapping
            and release.status == ReleaseStatus.DRAFT.value
        ):
            session.delete(release)
            session.commit()
            release = None
        if release is None and completed:
            release = compute_release(
                session=session,
                campaign_id=campaign_id,
                name=name,
                by=by,
                min_respondents=min_respondents,
                geo_mapping=geo_mapping,
                created_by=created_by,
            )
            created.append(f"release {release.id} ({name})")
        if (
            release is not None
            and by == ("province_code",)
            and release.status == ReleaseStatus.DRAFT.value
        ):
            _publish_for_the_public_site(session=session, release=release)
            created.append(f"release {release.id} submitted by admin, published by publisher")
        if release is not None:
            assert release.id is not None
            ids.append(release.id)
    return ids, created


def _publish_for_the_public_site(*, session: Session, release: IndexRelease) -> None:
    """Four eyes on the demo's province release: the admin submits, the publisher publishes,
    so ``/public`` has a release to show."""
    assert release.id is not None
    admin = session.exec(select(StaffUser).where(col(StaffUser.username) == "admin")).first()
    publisher = session.exec(
        select(StaffUser).where(col(StaffUser.username) == "publisher")
    ).first()
    if admin is None or publisher is None:
        return
    submit_release(session=session, release_id=release.id, actor=admin)
    publish_release(session=session, release_id=release.id, actor=publisher)


def staff_answers(*, session: Session, campaign_id: int, seed: int = DEMO_SEED) -> list[Any]:
    """The answers the demo's clerks key and its interviewer reads out (:data:`ANSWER_SETS`),
    drawn like the synthetic citizens' at the median agency level, from a stream of their own."""
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert questionnaire is not None
    level = float(np.median(list(agency_satisfaction(seed).values())))
    rng = np.random.default_rng([seed, 4, campaign_id])
    return synthetic_answers(questionnaire.definition, np.full(ANSWER_SETS, level), rng)


def example_links(
    *, session: Session, settings: Settings, campaign_id: int, seed: int = DEMO_SEED, n: int = 3
) -> tuple[str, ...]:
    """Links of ``n`` invitations the demo leaves for a person: planned untouched, still valid.

    SMS invitations with the highest ids come first: their messages are the newest, at the top
    of the campaign page's outbox.
    """
    invitations = list(
        session.exec(
            select(Invitation)
            .where(col(Invitation.campaign_id) == campaign_id)
            .order_by(col(Invitation.id))
        ).all()
    )
    plan = plan_outcomes(len(invitations), seed)
    candidates = sorted(
        (
            inv
            for inv, outcome in zip(invitations, plan.tolist(), strict=True)
            if outcome == "untouched" and inv.completed_at is None and inv.started_at is None
        ),
        key=lambda inv: (inv.channel != "sms", -(inv.id or 0)),
    )
    links: list[str] = []
    for invitation in candidates:
        token = invitation_token(settings, invitation)
        if find_invitation(session=session, token=token).state is LinkState.OK:
            links.append(invitation_link(settings, token))
        if len(links) == n:
            break
    return tuple(links)


def build_demo_fieldwork(
    *,
    engine: Engine,
    settings: Settings,
    draw_id: int,
    created_by: int | None,
    data_dir: Path,
    seed: int = DEMO_SEED,
    now: datetime | None = None,
) -> DemoFieldwork:
    """Campaign, invitations sent through the local outbox, synthetic answers, the staff modes
    (:mod:`survey.demo_modes`: letters in ``data_dir``, paper forms, interviews, back-checks)
    and releases.

    Idempotent: every step reuses what exists (see the module docstring).
    """
    now = as_utc(now or utcnow())
    modes: DemoModes | None = None
    with Session(engine) as session:
        campaign, created, notes = ensure_demo_campaign(
            session=session, settings=settings, draw_id=draw_id, created_by=created_by, now=now
        )
        assert campaign.id is not None
        campaign_id = campaign.id
        sent = 0
        if campaign.status == "active" and as_utc(campaign.field_end) > now:
            invited, sent, send_notes = send_demo_invitations(
                session=session, settings=settings, campaign_id=campaign_id, now=now
            )
            notes += send_notes
            if invited:
                created.append(f"{invited} invitations")
            if sent:
                created.append(f"{sent} SMS sent through the local outbox")
            done = simulate_fieldwork(
                session=session, settings=settings, campaign_id=campaign_id, seed=seed
            )
            if any(done.values()):
                created.append(
                    "synthetic answers: "
                    + ", ".join(f"{count} {outcome}" for outcome, count in done.items())
                )
            # Before the releases, so the province release counts paper and phone answers too.
            modes = build_demo_modes(
                session=session,
                settings=settings,
                campaign_id=campaign_id,
                data_dir=data_dir,
                answers=staff_answers(session=session, campaign_id=campaign_id, seed=seed),
                now=now,
            )
            created += modes.created
        release_ids, made = ensure_demo_releases(
            session=session, campaign_id=campaign_id, created_by=created_by
        )
        created += made
        status = session.exec(select(Campaign.status).where(col(Campaign.id) == campaign_id)).one()
        n_invitations = session.exec(
            select(func.count())
            .select_from(Invitation)
            .where(col(Invitation.campaign_id) == campaign_id)
        ).one()
        n_sent = session.exec(
            select(func.count())
            .select_from(SmsMessage)
            .where(
                col(SmsMessage.campaign_id) == campaign_id,
                col(SmsMessage.status).in_(("sent", "delivered")),
            )
        ).one()
        n_completed = session.exec(
            select(func.count())
            .select_from(Response)
            .where(col(Response.campaign_id) == campaign_id, col(Response.status) == "completed")
        ).one()
        return DemoFieldwork(
            campaign_id=campaign_id,
            campaign_status=status,
            field_end=as_utc(campaign.field_end),
            invitations=int(n_invitations),
            messages_sent=int(n_sent),
            completed=int(n_completed),
            release_ids=tuple(release_ids),
            example_links=example_links(
                session=session, settings=settings, campaign_id=campaign_id, seed=seed
            ),
            created=tuple(created),
            notes=tuple(notes),
            modes=modes,
        )


# The second campaign: the whole national form for citizens (Decision 1001/QĐ-BNV), on a draw of
# its own, so the public site shows SIPAS <- policy, service, the shares and the rankings.
DEMO_CITIZEN_FORM = "sipas-citizen-v1.json"
DEMO_CITIZEN_DESIGN_NAME = "Demo: phiếu đầy đủ cho người dân, cỡ mẫu Yamane"
DEMO_CITIZEN_CAMPAIGN_NAME = "Demo: đợt khảo sát SIPAS phiếu đầy đủ (người dân)"
DEMO_CITIZEN_RELEASE = "Demo: SIPAS phiếu đầy đủ, hiệu chỉnh theo giới tính, tuổi, thành thị"
# Yamane's n = N / (1 + N e^2) on the total: about 1,550 respondents from the 50,000 dossiers
# (each costs the start-up ~10 ms through the completion path; 0.06 on the small frames of the
# tests keeps them quick), and each agency's margin flagged against ±10 points on the design
# page.
DEMO_CITIZEN_MARGIN = 0.025
DEMO_CITIZEN_SMALL_FRAME_MARGIN = 0.06
DEMO_CITIZEN_DOMAIN_TARGET = 0.10
LARGE_FRAME = 20_000
DEMO_CITIZEN_RESPONSE_RATE = 0.8
# Agencies with fewer respondents are scored but not ranked (the rankings' min_ranked; 5 on the
# tests' small frames, whose agencies get about seven respondents each).
DEMO_CITIZEN_MIN_RANKED = 20
DEMO_CITIZEN_SMALL_FRAME_MIN_RANKED = 5
# Shares of the profile answers (working figures close to the 2019 census and SIPAS samples);
# the calibration margins below use the same shares, so the weights move but stay moderate.
SEX_SHARES = {"male": 0.49, "female": 0.51}
AGE_SHARES = {"a18_25": 0.14, "a26_34": 0.22, "a35_49": 0.32, "a50_60": 0.18, "a61_plus": 0.14}
# The respondents lean older and male against the population (who files a dossier), so the
# raking has something to correct.
SAMPLE_SEX_SHARES = (0.56, 0.44)
SAMPLE_AGE_SHARES = (0.08, 0.18, 0.36, 0.22, 0.16)
URBAN_SHARE = {"Tỉnh": 0.7, "Xã": 0.35}
POPULATION_URBAN_SHARE = 0.45
# Share of respondents who did a procedure (Q8): the service block is asked of them only.
PROCEDURE_SHARE = 0.8


def _choice(
    rng: np.random.Generator, options: list[str], n: int, p: tuple[float, ...] | None = None
) -> list[str]:
    return [str(v) for v in rng.choice(np.asarray(options), size=n, p=p).tolist()]


def citizen_answers(
    definition: dict[str, Any],
    satisfied_share: NDArray[np.float64],
    level: list[str],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Answers to the whole citizens' form, one per entry of ``satisfied_share``.

    Q9's criteria (part I, policy; part II, service) follow :func:`synthetic_answers`' model;
    the profile, Q1-Q8, Q10 and the comments are drawn from plain categorical shares: the
    profile from :data:`SAMPLE_SEX_SHARES`, :data:`SAMPLE_AGE_SHARES` and, by the agency's
    ``level``, :data:`URBAN_SHARE`; Q8's ``q8_procedure`` is yes with :data:`PROCEDURE_SHARE`,
    so about a fifth are not asked part II (the completion path drops those answers). Harassment
    and extra payments (Q4, Q5) are rarer where the agency is better judged.
    """
    n = satisfied_share.shape[0]
    answers = synthetic_answers(definition, satisfied_share, rng)
    questions = {q["code"]: q for q in definition.get("questions") or []}

    def options(code: str) -> list[str]:
        return [o["code"] for o in questions[code]["options"]]

    columns: dict[str, list[Any]] = {
        "sex": _choice(rng, options("sex"), n, SAMPLE_SEX_SHARES),
        "age_band": _choice(rng, options("age_band"), n, SAMPLE_AGE_SHARES),
        "ethnicity": _choice(rng, options("ethnicity"), n, (0.86, 0.14)),
        "education": _choice(rng, options("education"), n, (0.03, 0.1, 0.2, 0.3, 0.12, 0.25)),
        "occupation": _choice(
            rng, options("occupation"), n, (0.25, 0.15, 0.18, 0.1, 0.12, 0.04, 0.1, 0.06)
        ),
        "terrain": _choice(rng, options("terrain"), n, (0.15, 0.8, 0.05)),
        "q3_willing_to_comment": _choice(
            rng, options("q3_willing_to_comment"), n, (0.2, 0.4, 0.25, 0.1, 0.05)
        ),
        "q6_filing_channel": _choice(rng, options("q6_filing_channel"), n, (0.55, 0.3, 0.15)),
        "q7_information_channel": _choice(
            rng, options("q7_information_channel"), n, (0.1, 0.1, 0.2, 0.15, 0.15, 0.28, 0.02)
        ),
    }
    urban = rng.random(n) < np.asarray([URBAN_SHARE.get(v, 0.5) for v in level])
    columns["urban_rural"] = ["urban" if u else "rural" for u in urban.tolist()]
    # Fewer reports of harassment and extra payments where the agency does better.
    for code, base in (("q4_harassment", 0.25), ("q5_extra_payment", 0.15)):
        reported = np.asarray(rng.random(n) < base * (1.0 - satisfied_share) / 0.2, dtype=bool)
        many = np.asarray(rng.random(n) < 0.2, dtype=bool)
        columns[code] = [
            "none" if not r else ("many" if m else "some")
            for r, m in zip(reported.tolist(), many.tolist(), strict=True)
        ]
    channels = options("q2_channels")
    picked = rng.random((n, len(channels))) < np.array([0.3, 0.25, 0.3, 0.35, 0.5, 0.55, 0.03])
    picked[np.arange(n), rng.integers(0, len(channels), size=n)] = True  # at least one
    columns["q2_channels"] = [
        [c for c, p in zip(channels, row, strict=True) if p] for row in picked
    ]
    for question in (questions["q1"], questions["q8"], questions["q10"]):
        kind = question["type"]
        levels = (
            ["yes", "no"]
            if kind == "yesno_grid"
            else [o["code"] for o in question.get("options") or PRIORITY_OPTIONS]
        )
        for row in question["rows"]:
            code = row["code"]
            if code == "q8_procedure":
                p: tuple[float, ...] = (PROCEDURE_SHARE, 1.0 - PROCEDURE_SHARE)
            elif kind == "yesno_grid":
                p = (0.4, 0.6)
            else:
                p = (0.45, 0.4, 0.15) if question["code"] == "q10" else (0.15, 0.45, 0.4)
            columns[code] = _choice(rng, levels, n, p)
    for code, values in columns.items():
        for answer, value in zip(answers, values, strict=True):
            answer[code] = value
    return answers


def citizen_design(frame_id: int, n_dossiers: int) -> DesignCreate:
    """The citizens' campaign's design: strata = agencies, proportional allocation of Yamane's
    n = N / (1 + N e^2) for e = :data:`DEMO_CITIZEN_MARGIN` on the total (MoHA's legacy rule),
    each agency's margin checked against ±10 points (the design page flags those that miss it).
    """
    large = n_dossiers >= LARGE_FRAME
    return DesignCreate(
        name=DEMO_CITIZEN_DESIGN_NAME,
        frame_id=frame_id,
        stratify_by=["agency_code"],
        geo_mapping=PROVINCES_2025,
        selection="systematic",
        sort_by=["procedure_field", "completed_date"],
        allocation=AllocationSpec(
            method="proportional",
            margin=DEMO_CITIZEN_MARGIN if large else DEMO_CITIZEN_SMALL_FRAME_MARGIN,
            margin_applies_to="total",
            size_rule="yamane",
            response_rate=DEMO_CITIZEN_RESPONSE_RATE,
            # The tests' small frames cannot give every agency ten.
            min_per_stratum=10 if large else 0,
            domain_target=DEMO_CITIZEN_DOMAIN_TARGET,
        ),
    )


def _largest_remainder(total: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Whole counts proportional to ``shares`` that add up to ``total`` exactly."""
    raw = {k: total * v / sum(shares.values()) for k, v in shares.items()}
    counts = {k: int(np.floor(v)) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: counts[k] - raw[k])[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


def citizen_margins(population: int) -> str:
    """The demo analyst's margins (CSV, :mod:`survey.calibration_margins`): sex x age band and
    urban/rural, each adding up to ``population`` (the dossiers of the frame)."""
    cells = {
        f"{s}{CROSS}{a}": ps * pa for s, ps in SEX_SHARES.items() for a, pa in AGE_SHARES.items()
    }
    urban = {"urban": POPULATION_URBAN_SHARE, "rural": 1.0 - POPULATION_URBAN_SHARE}
    lines = ["variable,category,population"]
    for variable, shares in ((f"sex{CROSS}age_band", cells), ("urban_rural", urban)):
        lines += [f"{variable},{c},{v}" for c, v in _largest_remainder(population, shares).items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DemoCitizens:
    """The demo's campaign on the whole citizens' form and its published release."""

    design_id: int
    draw_id: int
    campaign_id: int
    completed: int
    release_id: int | None
    created: tuple[str, ...]


def _citizen_campaign(
    *, session: Session, settings: Settings, draw_id: int, created_by: int | None, now: datetime
) -> tuple[Campaign, list[str]]:
    created: list[str] = []
    campaign = session.exec(
        select(Campaign)
        .where(col(Campaign.draw_id) == draw_id, col(Campaign.name) == DEMO_CITIZEN_CAMPAIGN_NAME)
        .order_by(col(Campaign.id))
    ).first()
    if campaign is None:
        questionnaire = ensure_builtin_questionnaires(session=session, filename=DEMO_CITIZEN_FORM)
        assert questionnaire.id is not None
        start, end = _local_day_bounds(now, settings)
        campaign = create_campaign(
            session=session,
            name=DEMO_CITIZEN_CAMPAIGN_NAME,
            draw_id=draw_id,
            questionnaire_id=questionnaire.id,
            field_start=start,
            field_end=end,
            sms_template=DEFAULT_SMS_TEMPLATE,
            reminder_template=DEFAULT_REMINDER_TEMPLATE,
            strip_diacritics=True,
            created_by=created_by,
        )
        created.append(f"campaign {campaign.id} on the citizens' form {DEMO_CITIZEN_FORM}")
    assert campaign.id is not None
    if campaign.status == "draft" and as_utc(campaign.field_end) > now:
        campaign = activate_campaign(session=session, campaign_id=campaign.id, now=now)
    return campaign, created


def answer_citizen_campaign(
    *, session: Session, settings: Settings, campaign_id: int, seed: int = DEMO_SEED
) -> int:
    """Complete a seeded share (:data:`DEMO_CITIZEN_RESPONSE_RATE`) of the campaign's valid,
    untouched invitations with :func:`citizen_answers`, through
    :func:`survey.responses.complete_response` (mode web; the SMS step is left out: it is the
    first campaign's to show). Committed every 500 responses; returns how many were completed.
    """
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert questionnaire is not None
    rows = session.exec(
        select(Invitation, Dossier.agency_code, Dossier.level)
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(Invitation.campaign_id) == campaign_id)
        .order_by(col(Invitation.id))
    ).all()
    plan = np.random.default_rng([seed, 5, campaign_id]).random(len(rows))
    todo = [
        (invitation, agency, level)
        for (invitation, agency, level), u in zip(rows, plan.tolist(), strict=True)
        # The caller answers only an active campaign in its field period, so an untouched
        # invitation's link is valid (opted-out and revoked ones are not untouched).
        if u < DEMO_CITIZEN_RESPONSE_RATE and _untouched(invitation)
    ]
    levels = agency_satisfaction(seed)
    shares = np.array([levels.get(agency, 0.82) for _, agency, _ in todo])
    answers = citizen_answers(
        questionnaire.definition,
        shares,
        [level for _, _, level in todo],
        np.random.default_rng([seed, 6, campaign_id]),
    )
    done = 0
    for (invitation, _, _), given in zip(todo, answers, strict=True):
        if complete_response(session=session, invitation=invitation, answers=given).created:
            done += 1
        if done % 500 == 0:
            session.commit()
    session.commit()
    session.expunge_all()
    return done


def ensure_citizen_release(
    *, session: Session, campaign_id: int, population: int, created_by: int | None
) -> tuple[int | None, list[str]]:
    """The citizens' campaign's release by agency, computed and published when missing.

    National figures as the mean of the 2025 provinces (MoHA's rule), weights raked to
    :func:`citizen_margins`, Taylor variance (with the raking's residuals), agencies ranked
    within their level (province departments, commune centres) with the working bands, those
    under :data:`DEMO_CITIZEN_MIN_RANKED` respondents scored but not ranked.
    """
    release = session.exec(
        select(IndexRelease).where(
            col(IndexRelease.campaign_id) == campaign_id,
            col(IndexRelease.name) == DEMO_CITIZEN_RELEASE,
        )
    ).first()
    created: list[str] = []
    if release is None:
        completed = session.exec(
            select(func.count())
            .select_from(Response)
            .where(col(Response.campaign_id) == campaign_id, col(Response.status) == "completed")
        ).one()
        if not completed:
            return None, created
        release = compute_release(
            session=session,
            campaign_id=campaign_id,
            name=DEMO_CITIZEN_RELEASE,
            by=("agency_code",),
            min_respondents=DEMO_MIN_RESPONDENTS,
            geo_mapping=PROVINCES_2025,
            national_rule="mean_of_provinces",
            ranking_blocks="level",
            min_ranked=(
                DEMO_CITIZEN_MIN_RANKED
                if population >= LARGE_FRAME
                else DEMO_CITIZEN_SMALL_FRAME_MIN_RANKED
            ),
            calibration=calibration_request("rake", citizen_margins(population)),
            variance="taylor",
            created_by=created_by,
        )
        created.append(f"release {release.id} ({DEMO_CITIZEN_RELEASE})")
    if release.status == ReleaseStatus.DRAFT.value:
        _publish_for_the_public_site(session=session, release=release)
        created.append(f"release {release.id} submitted by admin, published by publisher")
    return release.id, created


def build_demo_citizens(
    *,
    engine: Engine,
    settings: Settings,
    frame_id: int,
    created_by: int | None,
    seed: int = DEMO_SEED,
    now: datetime | None = None,
) -> DemoCitizens:
    """Design, draw, campaign, answers and published release on the whole citizens' form;
    idempotent like the rest of the demo."""
    now = as_utc(now or utcnow())
    created: list[str] = []
    with Session(engine) as session:
        frame = session.get(Frame, frame_id)
        assert frame is not None
        population = frame.row_count
        design = session.exec(
            select(Design).where(
                Design.frame_id == frame_id, Design.name == DEMO_CITIZEN_DESIGN_NAME
            )
        ).first()
        if design is None:
            design = create_design(
                session=session,
                spec=citizen_design(frame_id, population),
                created_by=created_by,
            )
            created.append(f"design {design.id} (Yamane, citizens' form)")
        assert design.id is not None
        design_id = design.id
        draw = session.exec(
            select(Draw).where(Draw.design_id == design_id).order_by(col(Draw.id))
        ).first()
        if draw is None:
            draw = run_draw(
                session=session, design_id=design_id, seed=seed + 1, created_by=created_by
            )
            created.append(f"draw {draw.id} ({draw.n_sampled:,} sampled)")
        assert draw.id is not None
        draw_id = draw.id
        campaign, made = _citizen_campaign(
            session=session,
            settings=settings,
            draw_id=draw_id,
            created_by=created_by,
            now=now,
        )
        created += made
        assert campaign.id is not None
        campaign_id = campaign.id
        if campaign.status == "active" and as_utc(campaign.field_end) > now:
            invited = create_invitations(
                session=session, settings=settings, campaign_id=campaign_id, now=now
            ).created
            if invited:
                created.append(f"{invited} invitations (citizens' form)")
            # Nothing read here is used after a commit: expiring it at each one only costs
            # a reload of the next invitation's campaign and questionnaire.
            with Session(engine, expire_on_commit=False) as answering:
                done = answer_citizen_campaign(
                    session=answering, settings=settings, campaign_id=campaign_id, seed=seed
                )
            if done:
                created.append(f"synthetic answers to the citizens' form: {done} completed")
        release_id, made = ensure_citizen_release(
            session=session,
            campaign_id=campaign_id,
            population=population,
            created_by=created_by,
        )
        created += made
        completed = session.exec(
            select(func.count())
            .select_from(Response)
            .where(col(Response.campaign_id) == campaign_id, col(Response.status) == "completed")
        ).one()
        return DemoCitizens(
            design_id=design_id,
            draw_id=draw_id,
            campaign_id=campaign_id,
            completed=int(completed),
            release_id=release_id,
            created=tuple(created),
        )


@dataclass(frozen=True)
class DemoSummary:
    """What the demo built or found: ids and the demo logins."""

    frame_id: int
    design_id: int
    draw_id: int
    n_dossiers: int
    n_sampled: int
    created: tuple[str, ...]
    logins: tuple[tuple[str, str, str], ...]
    fieldwork: DemoFieldwork | None = None
    citizens: DemoCitizens | None = None


def build_demo(
    *,
    engine: Engine,
    data_dir: Path,
    n_dossiers: int = 50_000,
    seed: int = DEMO_SEED,
    settings: Settings | None = None,
    fieldwork: bool = True,
    citizens: bool = True,
    now: datetime | None = None,
) -> DemoSummary:
    """Build (or reuse) the demo's accounts, frame, design, draw and fieldwork; idempotent.

    Parameters
    ----------
    engine
        Engine on a migrated database.
    data_dir
        Where the demo CSV is written.
    n_dossiers
        Size of the synthetic frame.
    seed
        Seed of the synthetic data, of the draw and of the synthetic answers.
    settings
        Secret key (tokens), public base URL (links) and timezone; defaults to ``Settings()``.
    fieldwork
        Also build the campaign, send its invitations, simulate answers and compute releases
        (:func:`build_demo_fieldwork`).
    citizens
        With ``fieldwork``, also the campaign on the whole citizens' form and its published
        release (:func:`build_demo_citizens`).
    now
        The moment the campaign's field period is placed around (default: now).
    """
    created: list[str] = []
    with Session(engine) as session:
        ensure_builtin_mappings(session)
        for username, role, password, full_name, scopes in DEMO_USERS:
            exists = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
            if exists is None:
                create_user(
                    session=session,
                    username=username,
                    password=password,
                    role=role,
                    full_name=full_name,
                    scopes=list(scopes),
                )
                created.append(f"user {username}")
        admin = session.exec(select(StaffUser).where(StaffUser.username == "admin")).one()
        frame = session.exec(
            select(Frame)
            .where(Frame.name == DEMO_FRAME_NAME, Frame.status == FrameStatus.READY.value)
            .order_by(col(Frame.id))
        ).first()
    if frame is None:
        csv_path = write_demo_frame(data_dir / "demo_frame.csv", n_dossiers=n_dossiers, seed=seed)
        report = import_frame(
            engine=engine, source=csv_path, name=DEMO_FRAME_NAME, created_by=admin.id
        )
        frame_id = report.frame_id
        created.append(f"frame {frame_id} ({report.imported:,} dossiers)")
    else:
        assert frame.id is not None
        frame_id = frame.id
    with Session(engine) as session:
        frame_row = session.get(Frame, frame_id)
        assert frame_row is not None
        design = session.exec(
            select(Design).where(Design.frame_id == frame_id, Design.name == DEMO_DESIGN_NAME)
        ).first()
        if design is None:
            design = create_design(session=session, spec=demo_design(frame_id), created_by=admin.id)
            created.append(f"design {design.id}")
        assert design.id is not None
        draw = session.exec(
            select(Draw).where(Draw.design_id == design.id).order_by(col(Draw.id))
        ).first()
        if draw is None:
            draw = run_draw(session=session, design_id=design.id, seed=seed, created_by=admin.id)
            created.append(f"draw {draw.id}")
        assert draw.id is not None
        summary = DemoSummary(
            frame_id=frame_id,
            design_id=design.id,
            draw_id=draw.id,
            n_dossiers=frame_row.row_count,
            n_sampled=draw.n_sampled,
            created=tuple(created),
            logins=tuple((u, p, r) for u, r, p, _, _ in DEMO_USERS),
        )
    if not fieldwork:
        return summary
    work = build_demo_fieldwork(
        engine=engine,
        settings=settings or Settings(),
        draw_id=summary.draw_id,
        created_by=admin.id,
        data_dir=data_dir,
        seed=seed,
        now=now,
    )
    summary = replace(summary, created=summary.created + work.created, fieldwork=work)
    if not citizens:
        return summary
    whole = build_demo_citizens(
        engine=engine,
        settings=settings or Settings(),
        frame_id=summary.frame_id,
        created_by=admin.id,
        seed=seed,
        now=now,
    )
    return replace(summary, created=summary.created + whole.created, citizens=whole)
