"""Dispositions of a hand-built case table and AAPOR (2023) rates computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, delete, select

from survey.dispositions import aapor_rates, campaign_dispositions
from survey.errors import InvalidInput
from survey.invitations import create_invitations
from survey.models import Invitation
from survey.settings import Settings
from tests.survey.campaign_factory import NOW, build_fieldwork

# index: state set below (stratum A = even index, B = odd)
EXPECTED = {
    0: "completed",
    1: "completed",
    2: "partial",
    3: "opted_out",
    4: "opened",
    5: "letter",
    6: "not_contactable",
    7: "delivered",
    8: "sent",
    9: "not_invited",
    10: "duplicate",
    12: "queued",
}


def _case_table(session: Session, settings: Settings) -> int:
    fw = build_fieldwork(session, n=13, without_phone=(5,), duplicate=(10,), reserve=(11,))
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    by_unit = {i.sample_unit_id: i for i in session.exec(select(Invitation))}
    inv = {index: by_unit[unit] for index, unit in enumerate(fw.unit_ids) if unit in by_unit}
    for index in (0, 1):
        inv[index].started_at = inv[index].completed_at = NOW
        inv[index].first_opened_at = NOW
    inv[2].first_opened_at = inv[2].started_at = NOW
    inv[3].opted_out_at = NOW
    inv[4].first_opened_at = NOW
    inv[6].sms_status = "failed"
    inv[7].sms_status = "delivered"
    inv[8].sms_status = "sent"
    for index in (0, 1, 2, 3, 4):
        inv[index].sms_status = "delivered"
    session.add_all(inv.values())
    session.commit()
    session.execute(delete(Invitation).where(col(Invitation.id) == inv[9].id))
    session.commit()
    return fw.campaign.id


def test_every_case_gets_one_disposition(session: Session, settings: Settings) -> None:
    campaign_id = _case_table(session, settings)
    (overall,) = campaign_dispositions(session=session, campaign_id=campaign_id, now=NOW)
    assert overall.cases == 12  # the reserve unit is not a case
    expected: dict[str, int] = {}
    for name in EXPECTED.values():
        expected[name] = expected.get(name, 0) + 1
    assert {k: v for k, v in overall.counts.items() if v} == expected


def test_rates_against_hand_computed_formulas(session: Session, settings: Settings) -> None:
    campaign_id = _case_table(session, settings)
    (overall,) = campaign_dispositions(session=session, campaign_id=campaign_id, now=NOW)
    r = overall.rates
    # I = 2 (0, 1); P = 1 (2); R = 2 (3 opted out, 4 opened); NC = 4 (5, 6, 7, 8);
    # UO = 2 (9 not invited, 12 queued); NE = 1 (10 duplicate).
    assert (r.I, r.P, r.R, r.NC, r.O, r.UH, r.UO, r.NE) == (2, 1, 2, 4, 0, 0, 2, 1)
    assert r.rr1 == pytest.approx(2 / 11)
    assert r.rr2 == pytest.approx(3 / 11)
    assert r.e == pytest.approx(9 / 10)
    assert r.rr3 == pytest.approx(2 / (9 + 0.9 * 2))
    assert r.rr4 == pytest.approx(3 / (9 + 0.9 * 2))
    assert r.coop1 == pytest.approx(2 / 5)
    assert r.coop2 == pytest.approx(3 / 5)
    assert r.ref1 == pytest.approx(2 / 11)
    assert r.con1 == pytest.approx(5 / 11)


def test_per_stratum_and_channel(session: Session, settings: Settings) -> None:
    campaign_id = _case_table(session, settings)
    strata = {
        g.group: g
        for g in campaign_dispositions(
            session=session, campaign_id=campaign_id, by="stratum", now=NOW
        )
    }
    # A: 0 I, 2 P, 4 R, 6 NC, 8 NC, 10 NE, 12 UO -> RR1 = 1 / (1+1+1+2+1) = 1/6.
    assert strata["A"].rates.rr1 == pytest.approx(1 / 6)
    # B: 1 I, 3 R, 5 NC, 7 NC, 9 UO -> RR1 = 1/5, COOP1 = 1/2.
    assert strata["B"].rates.rr1 == pytest.approx(1 / 5)
    assert strata["B"].rates.coop1 == pytest.approx(1 / 2)
    channels = {
        g.group: g.cases
        for g in campaign_dispositions(
            session=session, campaign_id=campaign_id, by="channel", now=NOW
        )
    }
    assert channels == {"letter": 1, "none": 2, "sms": 9}
    agencies = campaign_dispositions(session=session, campaign_id=campaign_id, by="agency", now=NOW)
    assert [g.group for g in agencies] == ["AGA", "AGB"]


def test_after_field_end_unopened_cases_are_expired(session: Session, settings: Settings) -> None:
    campaign_id = _case_table(session, settings)
    late = NOW + timedelta(days=30)
    (overall,) = campaign_dispositions(session=session, campaign_id=campaign_id, now=late)
    # letter, delivered, sent and queued become expired; the failed number stays not contactable.
    assert overall.counts["expired"] == 4 and overall.counts["not_contactable"] == 1
    assert overall.counts["completed"] == 2


def test_rates_with_empty_denominators_are_none() -> None:
    rates = aapor_rates({"duplicate": 3})
    assert rates.rr1 is None and rates.coop1 is None and rates.e == 0.0


def test_unknown_grouping_is_refused(session: Session, settings: Settings) -> None:
    campaign_id = _case_table(session, settings)
    with pytest.raises(InvalidInput):
        campaign_dispositions(session=session, campaign_id=campaign_id, by="phone")
