"""`sipas release compute` prints the whole campaign's shares after its national figures, and a
published release with shares verifies (the recomputed shares hash as stored)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.cli.main import main
from survey.models import IndexRelease
from survey.release_rows import release_shares
from survey.settings import Settings
from tests.survey.share_fixtures import build_share_campaign, publish_share_release


def test_compute_prints_the_shares(
    settings: Settings,
    engine: Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    campaign = build_share_campaign(session)
    assert main(["release", "compute", str(campaign.campaign_id), "--name", "CLI"]) == 0
    out = capsys.readouterr().out.splitlines()
    release_id = int(out[0].split()[1])
    release = session.get(IndexRelease, release_id)
    assert release is not None
    header = out.index("item\tcategory\tshare\tse\tci_lower\tci_upper\tn_base\tflag")
    printed = out[header + 1 :]
    whole = [r for r in release_shares(release) if r.is_whole_campaign]
    assert len(printed) == len(whole) == 4
    for line, row in zip(printed, whole, strict=True):
        item, category, share, *_, n_base, flag = line.split("\t")
        assert (item, category, int(n_base), flag) == (row.item, row.category, row.n_base, row.flag)
        assert share == f"{row.estimate:.4f}"


def test_a_published_release_with_shares_verifies(
    settings: Settings,
    engine: Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    _, release = publish_share_release(session)
    assert main(["release", "verify", str(release.id)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"release {release.id}: verified"
