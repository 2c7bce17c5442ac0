"""The demo: a synthetic but realistic frame, a design and a draw, plus three staff accounts.

The frame imitates what provinces hand over for SIPAS: dossiers completed in the third quarter of
2025 by about 40 agencies of three post-merger provinces (Hà Nội, Bắc Ninh and Ninh Bình), some of
whose records still carry the pre-merger province code (Bắc Giang/Bắc Ninh, Hà Nam/Nam Định/Ninh
Bình), so the design maps codes through ``provinces-2025``. Values are written as agencies write
them: Vietnamese channel and level words, dates as DD/MM/YYYY, phones in every common format, some
old 11-digit mobiles, some landlines and some missing, and people with several dossiers.

Everything is built through the real use cases (import, design, draw), and rebuilding reuses what
exists, so ``sipas demo`` can be run any number of times.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.frames import import_frame
from survey.geography import PROVINCES_2025, ensure_builtin_mappings
from survey.models import Design, Draw, Frame, StaffUser
from survey.models.frames import FrameStatus
from survey.users import create_user

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
HEADER = (
    "dossier_code",
    "agency_code",
    "agency_name",
    "province_code",
    "commune_code",
    "level",
    "procedure_code",
    "procedure_field",
    "channel",
    "received_date",
    "due_date",
    "completed_date",
    "phone",
)


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


def build_demo(
    *, engine: Engine, data_dir: Path, n_dossiers: int = 50_000, seed: int = DEMO_SEED
) -> DemoSummary:
    """Build (or reuse) the demo's accounts, frame, design and draw; idempotent.

    Parameters
    ----------
    engine
        Engine on a migrated database.
    data_dir
        Where the demo CSV is written.
    n_dossiers
        Size of the synthetic frame.
    seed
        Seed of the synthetic data and of the draw.
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
        return DemoSummary(
            frame_id=frame_id,
            design_id=design.id,
            draw_id=draw.id,
            n_dossiers=frame_row.row_count,
            n_sampled=draw.n_sampled,
            created=tuple(created),
            logins=tuple((u, p, r) for u, r, p, _, _ in DEMO_USERS),
        )
