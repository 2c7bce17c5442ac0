"""Invitations: one per sampled case, channel by phone, links that scanners cannot use up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlmodel import Session, col, select

from survey.campaigns import close_campaign
from survey.invitations import (
    LinkState,
    create_invitations,
    find_invitation,
    invitation_link,
    invitation_token,
    record_first_open,
    reissue_invitation,
    revoke_invitation,
)
from survey.models import Invitation, SmsMessage
from survey.optouts import record_opt_out
from survey.outbox import queue_invitation_sms
from survey.settings import Settings
from survey.tokens import hash_token
from tests.survey.campaign_factory import NOW, build_fieldwork


def _invitations(session: Session) -> list[Invitation]:
    session.expire_all()
    return list(session.exec(select(Invitation).order_by(col(Invitation.sample_unit_id))))


def test_one_invitation_per_sampled_non_reserve_case(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=8, without_phone=(5,), reserve=(6,), duplicate=(7,))
    assert fw.campaign.id is not None
    summary = create_invitations(
        session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
    )
    assert (summary.created, summary.sms, summary.letter) == (6, 5, 1)
    invitations = _invitations(session)
    assert [i.sample_unit_id for i in invitations] == fw.unit_ids[:6]
    by_unit = {i.sample_unit_id: i for i in invitations}
    assert by_unit[fw.unit_ids[5]].channel == "letter"
    assert by_unit[fw.unit_ids[5]].phone_e164 is None
    assert by_unit[fw.unit_ids[0]].phone_e164 == fw.phones[fw.unit_ids[0]]
    assert {i.expires_at.replace(tzinfo=None) for i in invitations} == {
        fw.campaign.field_end.replace(tzinfo=None)
    }
    # The database holds no token, only the hash of the token re-derived from the salt.
    for invitation in invitations:
        token = invitation_token(settings, invitation)
        assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    again = create_invitations(
        session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
    )
    assert (again.created, again.already_invited) == (0, 6)


def test_opted_out_numbers_get_an_opted_out_invitation(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=3, without_phone=())
    assert fw.campaign.id is not None
    record_opt_out(
        session=session, settings=settings, phone_e164=fw.phones[fw.unit_ids[1]], keyword="STOP"
    )
    summary = create_invitations(
        session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
    )
    assert summary.opted_out == 1
    assert [i.opted_out_at is not None for i in _invitations(session)] == [False, True, False]


def test_link_states_and_opening_never_consumes(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=2, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    first = _invitations(session)[0]
    token = invitation_token(settings, first)
    assert invitation_link(settings, token) == f"http://127.0.0.1:8000/r/{token}"
    assert find_invitation(session=session, token="nope").state is LinkState.UNKNOWN
    for _ in range(3):  # a link scanner, then the citizen, then again
        assert find_invitation(session=session, token=token, now=NOW).state is LinkState.OK
    assert first.id is not None
    assert record_first_open(session=session, invitation_id=first.id, now=NOW)
    assert not record_first_open(
        session=session, invitation_id=first.id, now=NOW + timedelta(hours=1)
    )
    opened = _invitations(session)[0]
    assert opened.first_opened_at is not None
    assert opened.first_opened_at.replace(tzinfo=None) == NOW.replace(tzinfo=None)
    assert find_invitation(session=session, token=token, now=NOW).state is LinkState.OK
    late = fw.campaign.field_end + timedelta(seconds=1)
    assert find_invitation(session=session, token=token, now=late).state is LinkState.EXPIRED
    close_campaign(session=session, campaign_id=fw.campaign.id)
    assert find_invitation(session=session, token=token, now=NOW).state is LinkState.EXPIRED


def test_revoke_kills_the_link_and_reissue_gives_a_new_one(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=1, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    invitation = _invitations(session)[0]
    assert invitation.id is not None
    old = invitation_token(settings, invitation)
    revoke_invitation(session=session, invitation_id=invitation.id, now=NOW)
    assert find_invitation(session=session, token=old).state is LinkState.UNKNOWN
    new = reissue_invitation(session=session, settings=settings, invitation_id=invitation.id)
    assert new != old
    assert find_invitation(session=session, token=new, now=NOW).state is LinkState.OK
    assert find_invitation(session=session, token=old).state is LinkState.UNKNOWN


def test_completed_and_opted_out_states(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=2, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    done, refused = _invitations(session)
    done.completed_at = NOW
    refused.opted_out_at = NOW
    session.add_all([done, refused])
    session.commit()
    t_done, t_refused = invitation_token(settings, done), invitation_token(settings, refused)
    assert find_invitation(session=session, token=t_done).state is LinkState.COMPLETED
    assert find_invitation(session=session, token=t_refused).state is LinkState.OPTED_OUT


def test_draft_campaign_link_is_not_open(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=1, without_phone=(), activate=False)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    token = invitation_token(settings, _invitations(session)[0])
    assert find_invitation(session=session, token=token, now=NOW).state is LinkState.NOT_OPEN


def test_bulk_paths_insert_in_batches_with_database_ids(
    session: Session, settings: Settings
) -> None:
    """Invitations and their SMS are inserted set-based, numbered by the database itself."""
    fw = build_fieldwork(session, n=300, without_phone=())
    assert fw.campaign.id is not None
    inserts: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement.split("(", 1)[0])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        summary = create_invitations(
            session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
        )
        queued = queue_invitation_sms(
            session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert summary.created == queued.queued == 300
    # One batched INSERT per table (the drivers' executemany / insertmanyvalues), not 300:
    # invitations, their paper_form rows (the SMS short codes) and the messages.
    assert len(inserts) <= 3 and len(set(inserts)) == len(inserts), inserts
    ids = session.exec(select(Invitation.id)).all()
    assert len(set(ids)) == 300 and all(i is not None and i > 0 for i in ids)
    message_ids = session.exec(select(SmsMessage.id)).all()
    assert len(set(message_ids)) == 300
