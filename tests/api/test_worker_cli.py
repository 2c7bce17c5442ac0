"""``sipas worker --once`` and ``sipas campaign invite|purge`` from a shell."""

from __future__ import annotations

import argparse

import pytest
from sqlmodel import Session, select

from api.cli import worker as worker_cli
from survey.campaigns import close_campaign
from survey.models import SmsMessage, utcnow
from survey.settings import Settings
from tests.survey.campaign_factory import build_fieldwork


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sipas")
    worker_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def test_invite_send_and_purge(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_QUIET_HOURS_START", "00:00")
    monkeypatch.setenv("SIPAS_QUIET_HOURS_END", "00:00")
    fw = build_fieldwork(session, n=3, without_phone=(2,), now=utcnow())
    assert fw.campaign.id is not None
    assert _run(["campaign", "invite", str(fw.campaign.id)]) == 0
    assert "2 SMS, 1 letter" in capsys.readouterr().out
    assert _run(["worker", "--once"]) == 0
    assert "sent=2" in capsys.readouterr().out
    session.expire_all()
    assert {m.status for m in session.exec(select(SmsMessage))} == {"sent"}
    close_campaign(session=session, campaign_id=fw.campaign.id)
    assert _run(["campaign", "purge", str(fw.campaign.id)]) == 0
    assert "2 invitations, 2 messages, 2 frame contacts" in capsys.readouterr().out
