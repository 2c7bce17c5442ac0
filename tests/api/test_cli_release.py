"""`sipas release verify ID`: exit 0 when a published release checks out, 1 naming what differs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.cli.main import main
from survey.models import Response
from survey.releases import compute_release, publish_release, submit_release
from survey.settings import Settings
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import build_release_campaign


@pytest.fixture
def published_id(
    settings: Settings, engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> int:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    rc = build_release_campaign(session)
    maker, publisher = make_user(session, "analyst"), make_user(session, "publisher")
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="Quý I", created_by=maker.id
    )
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=publisher)
    return release.id


def test_a_published_release_verifies(
    published_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["release", "verify", str(published_id)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:-1]] == [
        "ok   hash",
        "ok   data",
        "ok   figures",
        "ok   recomputed hash",
    ]
    assert out[-1] == f"release {published_id}: verified"


def test_a_changed_answer_fails_naming_the_figures(
    published_id: int, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    response = session.exec(
        select(Response).where(col(Response.status) == "completed").order_by(col(Response.id))
    ).first()
    assert response is not None
    response.answers = dict.fromkeys(response.answers, 1)
    session.add(response)
    session.commit()
    assert main(["release", "verify", str(published_id)]) == 1
    out = capsys.readouterr().out
    assert "ok   hash" in out and "FAIL data" in out and "responses.sha256" in out
    assert "FAIL figures: recomputed figures differ: row [" in out and "estimate: stored" in out
    assert f"release {published_id}: DOES NOT VERIFY" in out


def test_stored_figures_edited_behind_the_triggers_fail_the_hash(
    published_id: int, engine: Engine, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with engine.begin() as connection:
        # Someone with the power to switch the guard off (a database owner) edits a figure.
        if backend == "postgresql":
            connection.execute(text("ALTER TABLE index_release DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER index_release_frozen_update"))
        connection.execute(
            text("UPDATE index_release SET summary = '{\"respondents\": 1}' WHERE id = :id"),
            {"id": published_id},
        )
        if backend == "postgresql":
            connection.execute(text("ALTER TABLE index_release ENABLE TRIGGER USER"))
    assert main(["release", "verify", str(published_id)]) == 1
    out = capsys.readouterr().out
    assert "FAIL hash: stored content hashes to" in out
    assert "summary.respondents: stored 1, recomputed 107" in out


def test_an_unknown_release_is_an_error(
    published_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["release", "verify", str(published_id + 1000)]) == 2
    assert "does not exist" in capsys.readouterr().err
