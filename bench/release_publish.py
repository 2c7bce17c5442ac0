"""Time publishing a national index release, documents included.

Issue 10: 63 provinces x ``--agencies`` agencies (40), ``--responses`` completed responses
(40,000) on the full national questionnaire (``sipas-citizen-v1``, the default: profile,
Q1-Q8, Q9 part I (policy, 4 parts) and part II (service, 5 elements) under the ``sipas`` root,
judgement and expectation shares, answers drawn by :func:`survey.demo.citizen_answers`), or with
``--form service-profile`` the service block after a profile, a release by province with the
agencies ranked. The data are
synthetic and written straight to a fresh database (frame, design, draw with its stratum counts,
sample units, campaign, responses; stratum = agency, one province each, a response rate of
about 50 %); only the release steps are timed:

1. ``compute_release`` (rows, weights, design, indices of every node, province domains, shares,
   agency ranking);
2. ``submit_release`` (data fingerprint and SHA-256 of the content);
3. ``publish_release`` (four eyes: another user);
4. the documents of the published release: CSV, data dictionary, XLSX, JSON and the PDF report
   (:mod:`survey.release_documents`), each made once from the stored figures.

Agencies get about 16 respondents each here, so the reliability rule is set to 10 respondents
(the default 30 would suppress every agency and leave no ranking to print). Prints each step's
wall time, the total, the documents' sizes and the machine's load.

Usage::

    .venv/bin/python bench/release_publish.py [--responses 40000] [--agencies 40]
        [--database-url sqlite:///PATH | postgresql://...]


No baseline: ``../shared/baselines/`` has none for a whole publication (compute, hash, review,
documents), and issue 10 asks only for the time to be stated; the indices step alone is compared
with the shared numpy baseline in ``bench/analysis_indices.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session, col, select

from survey.db import make_engine, upgrade_database
from survey.demo import citizen_answers
from survey.geography import PROVINCE_MERGER_2025
from survey.models import Campaign, Design, Dossier, Draw, Frame, Response, SampleUnit, utcnow
from survey.models.users import StaffUser
from survey.questionnaires import BUILTIN_FILES, criterion_codes, ensure_builtin_questionnaires
from survey.release_documents.dictionary import dictionary_csv
from survey.release_documents.machine import release_json
from survey.release_documents.report import release_report_pdf
from survey.release_documents.source import load_published_source
from survey.release_documents.workbook import release_workbook
from survey.release_rows import release_root, release_shares
from survey.releases import compute_release, publish_release, release_csv, submit_release
from survey.settings import Settings

T = TypeVar("T")
FORMS = {"citizen": BUILTIN_FILES[2], "service-profile": BUILTIN_FILES[1]}
PROVINCES = sorted({old for unit in PROVINCE_MERGER_2025 for old in unit.formed_from})


def _timed(label: str, times: dict[str, float], work: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = work()
    times[label] = time.perf_counter() - start
    print(f"{label:<28} {times[label]:8.2f} s", flush=True)
    return result


def build_campaign(session: Session, *, responses: int, agencies: int, seed: int, form: str) -> int:
    """A national campaign with ``responses`` completed responses; returns its id."""
    rng = np.random.default_rng(seed)
    frame = Frame(name="Hồ sơ toàn quốc", status="ready")
    session.add(frame)
    session.flush()
    assert frame.id is not None
    strata = [f"{p}-{a:02d}" for p in PROVINCES for a in range(agencies)]
    n_strata = len(strata)
    # Respondents per stratum around responses / strata; twice as many sampled (50 % response).
    respondents = rng.multinomial(responses, np.full(n_strata, 1.0 / n_strata))
    sampled = np.maximum(2 * respondents, 1)
    population = sampled * rng.integers(5, 40, size=n_strata)
    design = Design(name="Phân tầng theo cơ quan", frame_id=frame.id)
    session.add(design)
    session.flush()
    assert design.id is not None
    draw = Draw(
        design_id=design.id,
        seed=seed,
        frame_hash="0" * 64,
        library_version="bench",
        design_snapshot={
            "design": {"selection": "srswor", "stratify_by": ["agency_code"]},
            "allocation": {
                "method": "proportional",
                "strata": strata,
                "population": population.tolist(),
                "n": sampled.tolist(),
            },
        },
    )
    session.add(draw)
    session.flush()
    assert draw.id is not None
    questionnaire = ensure_builtin_questionnaires(session=session, filename=FORMS[form])
    assert questionnaire.id is not None
    criteria = criterion_codes(questionnaire.definition)
    now = utcnow()
    campaign = Campaign(
        name="Khảo sát SIPAS toàn quốc",
        draw_id=draw.id,
        questionnaire_id=questionnaire.id,
        field_start=now - timedelta(days=30),
        field_end=now + timedelta(days=1),
        status="active",
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None

    stratum_of_unit = np.repeat(np.arange(n_strata), sampled)
    session.execute(
        insert(Dossier),
        [
            {
                "frame_id": frame.id,
                "row_number": i + 1,
                "dossier_code": f"HS-{i:07d}",
                "agency_code": strata[h],
                "agency_name": f"UBND cấp xã số {strata[h][-2:]} tỉnh {strata[h][:2]}",
                "province_code": strata[h][:2],
                "level": "commune",
                "procedure_field": "Hộ tịch",
                "channel": "direct",
                "received_date": date(2026, 9, 1),
                "completed_date": date(2026, 9, 10),
            }
            for i, h in enumerate(stratum_of_unit.tolist())
        ],
    )
    dossier_ids = session.exec(
        select(Dossier.id).where(Dossier.frame_id == frame.id).order_by(col(Dossier.row_number))
    ).all()
    inclusion = sampled / population
    session.execute(
        insert(SampleUnit),
        [
            {
                "draw_id": draw.id,
                "dossier_id": dossier_id,
                "stratum": strata[h],
                "inclusion_prob": float(inclusion[h]),
                "weight": float(1.0 / inclusion[h]),
                "is_reserve": False,
            }
            for dossier_id, h in zip(dossier_ids, stratum_of_unit.tolist(), strict=True)
        ],
    )
    # Answers 1-5 with an agency effect; ~5 % left out, ~5 % "not applicable" (0).
    stratum_of_response = np.repeat(np.arange(n_strata), respondents)
    effect = rng.normal(0.0, 0.6, size=n_strata)[stratum_of_response]
    latent = 3.6 + effect[:, None] + rng.normal(0.0, 1.0, size=(responses, len(criteria)))
    scores = np.clip(np.rint(latent), 1, 5).astype(int)
    u = rng.random(size=scores.shape)
    month = now.date().replace(day=1)
    whole_form: list[dict[str, Any]] = []
    if form == "citizen":
        # The share satisfied of the agency, from the same agency effect as the service form.
        satisfied = 1.0 / (1.0 + np.exp(-(0.6 + effect)))
        whole_form = citizen_answers(
            questionnaire.definition, satisfied, ["commune"] * responses, rng
        )
    rows: list[dict[str, Any]] = []
    for i, h in enumerate(stratum_of_response.tolist()):
        answers: dict[str, Any] = {}
        if whole_form:
            answers = whole_form[i]
        else:
            for j, code in enumerate(criteria):
                if u[i, j] < 0.05:
                    continue
                answers[code] = 0 if u[i, j] < 0.10 else int(scores[i, j])
        rows.append(
            {
                "campaign_id": campaign.id,
                "invitation_id": None,
                "questionnaire_id": questionnaire.id,
                "answers": answers,
                "status": "completed",
                "stratum": strata[h],
                "inclusion_prob": float(inclusion[h]),
                "weight": float(1.0 / inclusion[h]),
                "agency_code": strata[h],
                "province_code": strata[h][:2],
                "level": "commune",
                "procedure_field": "Hộ tịch",
                "channel": "direct" if i % 3 else "online",
                "completed_month": month,
            }
        )
    session.execute(insert(Response), rows)
    session.commit()
    return campaign.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=40_000)
    parser.add_argument("--agencies", type=int, default=40, help="agencies per province")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--form", choices=sorted(FORMS), default="citizen")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sipas-release-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade_database(url)
    engine = make_engine(Settings(database_url=url))
    times: dict[str, float] = {}
    with Session(engine) as session:
        start = time.perf_counter()
        campaign_id = build_campaign(
            session,
            responses=args.responses,
            agencies=args.agencies,
            seed=args.seed,
            form=args.form,
        )
        print(
            f"data: {len(PROVINCES)} provinces x {args.agencies} agencies, "
            f"{args.responses} responses, {FORMS[args.form]} "
            f"(built in {time.perf_counter() - start:.1f} s, not timed)"
        )
        analyst = StaffUser(username="bench-analyst", role="analyst", password_hash="-")
        publisher = StaffUser(username="bench-publisher", role="publisher", password_hash="-")
        session.add_all([analyst, publisher])
        session.commit()
        release = _timed(
            "compute_release",
            times,
            lambda: compute_release(
                session=session,
                campaign_id=campaign_id,
                name="Chỉ số hài lòng toàn quốc (bench)",
                by=("province_code",),
                min_respondents=10,
                created_by=analyst.id,
            ),
        )
        release_id = release.id
        assert release_id is not None
        _timed(
            "submit_release (hash)",
            times,
            lambda: submit_release(session=session, release_id=release_id, actor=analyst),
        )
        _timed(
            "publish_release",
            times,
            lambda: publish_release(session=session, release_id=release_id, actor=publisher),
        )
        source = _timed(
            "documents: read release",
            times,
            lambda: load_published_source(session=session, release_id=release_id),
        )
        sizes = {
            "csv": len(_timed("documents: CSV", times, lambda: release_csv(source.release))),
            "dictionary": len(_timed("documents: dictionary", times, lambda: dictionary_csv())),
            "xlsx": len(_timed("documents: XLSX", times, lambda: release_workbook(source))),
            "json": len(_timed("documents: JSON", times, lambda: release_json(source))),
            "pdf": len(_timed("documents: PDF", times, lambda: release_report_pdf(source))),
        }
    rows = len(source.rows)
    total = sum(times.values())
    print(f"{'total':<28} {total:8.2f} s")
    print(
        f"release rows: {rows}, share rows: {len(release_shares(source.release))}, "
        f"ranked agencies: {len(source.ranking)}, root node: {release_root(source.release)}"
    )
    print("sizes (bytes): " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"database {url.split(':', 1)[0]}"
    )


if __name__ == "__main__":
    main()
