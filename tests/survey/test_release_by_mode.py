"""Releases broken down by mode (web, paper, phone): figures from the hand computation of
:mod:`tests.survey.test_releases`, the k = 5 disclosure rule, and a CSV that gains the ``mode``
column only when the release uses it."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from survey.models import Response
from survey.release_documents.dictionary import csv_dictionary, dictionary_csv
from survey.release_documents.machine import release_json
from survey.release_documents.report import release_report_html
from survey.release_documents.source import load_document_source
from survey.releases import CSV_COLUMNS, compute_release, release_csv
from tests.survey.release_fixtures import ReleaseCampaign, build_release_campaign
from tests.survey.test_releases import _hand, _row


def _set_modes(session: Session, rc: ReleaseCampaign) -> list[str]:
    """Four phone interviews (below k = 5), every third other response keyed from paper, the
    rest answered on the web; the mode of each response in id order."""
    modes = [
        "phone" if i < 4 else "paper" if i % 3 == 0 else "web" for i in range(len(rc.response_ids))
    ]
    for mode in ("phone", "paper"):
        ids = [r for r, m in zip(rc.response_ids, modes, strict=True) if m == mode]
        session.execute(update(Response).where(col(Response.id).in_(ids)).values(mode=mode))
    session.flush()
    return modes


def test_a_release_by_mode_gives_each_mode_its_figures_and_suppresses_small_ones(
    session: Session,
) -> None:
    rc = build_release_campaign(session)
    modes = np.asarray(_set_modes(session, rc))
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo hình thức",
        by=["mode"],
        min_respondents=5,
        max_cv=0.5,
    )
    for mode in ("web", "paper"):
        in_mode = modes == mode
        for criterion in ("access_q16", "results_q29"):
            share, se = _hand(rc, criterion, in_mode)
            row = _row(release, criterion, mode=mode)
            assert row["estimate"] == pytest.approx(share, rel=1e-12)
            assert row["se"] == pytest.approx(se, rel=1e-9)
        assert _row(release, "overall", mode=mode)["n_respondents"] == int(in_mode.sum())
    # Four phone interviews: below k = 5, every phone cell is suppressed without figures.
    phone = [r for r in release.results["rows"] if r["domain"] == {"mode": "phone"}]
    assert phone and all(r["flag"] == "suppressed" and r["estimate"] is None for r in phone)
    assert all(r["se"] is None and r["ci_lower"] is None for r in phone)
    # The campaign's own rows count every mode.
    assert _row(release, "overall")["n_respondents"] == len(modes)

    rows = list(csv.DictReader(io.StringIO(release_csv(release))))
    header = list(rows[0])
    assert header.index("mode") == header.index("channel") + 1
    assert header == [c.name for c in csv_dictionary(by=["mode"])]
    by_mode = {(r["mode"], r["node"]): r for r in rows}
    assert by_mode[("phone", "overall")]["estimate"] == ""
    assert by_mode[("phone", "overall")]["flag"] == "suppressed"
    assert float(by_mode[("web", "overall")]["estimate"]) == pytest.approx(
        _row(release, "overall", mode="web")["estimate"], abs=5e-7
    )


def test_releases_not_by_mode_keep_the_csv_columns_they_had(session: Session) -> None:
    rc = build_release_campaign(session)
    _set_modes(session, rc)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo kênh",
        by=["channel"],
        min_respondents=5,
    )
    header = next(csv.reader(io.StringIO(release_csv(release))))
    assert tuple(header) == CSV_COLUMNS and "mode" not in header
    assert [c.name for c in csv_dictionary()] == list(CSV_COLUMNS)
    assert all("mode" not in r["domain"] for r in release.results["rows"])


def test_the_documents_of_a_release_by_mode_name_the_modes(session: Session) -> None:
    rc = build_release_campaign(session)
    _set_modes(session, rc)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo hình thức",
        by=["mode"],
        min_respondents=5,
    )
    assert release.id is not None
    source = load_document_source(session=session, release_id=release.id)
    report = release_report_html(source, "vi")
    assert "Phiếu giấy" in report and "Trực tuyến" in report and "hình thức trả lời" in report
    document = json.loads(release_json(source))
    assert "mode" in [c["name"] for c in document["csv_dictionary"]]
    assert "mode," in dictionary_csv(by=["mode"]) and "mode," not in dictionary_csv()
