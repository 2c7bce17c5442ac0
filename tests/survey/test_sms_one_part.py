"""The default invitation and reminder fit one GSM-7 SMS on realistic inputs, and the stated
limit on the agency's name is exact."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import Session

from survey.campaigns import DEFAULT_REMINDER_TEMPLATE, DEFAULT_SMS_TEMPLATE, create_campaign
from survey.demo import demo_agencies
from survey.models import Campaign
from survey.outbox import agency_name_budget, render_message
from survey.settings import Settings
from survey.short_links import SHORT_CODE_BITS, make_short_code, sms_short_link
from survey.sms.encoding import SmsEncoding
from survey.tokens import new_salt
from tests.survey.campaign_factory import NOW, build_fieldwork

PUBLIC = "https://sipas.gov.vn"
# The wording every campaign had before the short link: kept here as a stored campaign's text.
OLD_TEMPLATE = (
    "{agency} moi Ong/Ba danh gia muc do hai long ve thu tuc da lam: {link} "
    "(han {deadline}). Khong muon nhan tin: soan TU CHOI"
)


def _new_campaign(session: Session) -> Campaign:
    fw = build_fieldwork(session, n=1, without_phone=())
    return create_campaign(
        session=session,
        name="Đợt mặc định",
        draw_id=fw.campaign.draw_id,
        questionnaire_id=fw.campaign.questionnaire_id,
        field_start=NOW,
        field_end=NOW + timedelta(days=30),
    )


def test_new_campaign_defaults_fit_one_gsm7_part_for_every_demo_agency(
    session: Session, settings: Settings
) -> None:
    public = dataclasses.replace(settings, public_base_url=PUBLIC)
    campaign = _new_campaign(session)
    assert campaign.strip_diacritics is True  # on by default for new campaigns
    assert campaign.sms_template == DEFAULT_SMS_TEMPLATE
    assert campaign.reminder_template == DEFAULT_REMINDER_TEMPLATE
    names = [agency.name for agency in demo_agencies()]
    assert max(len(n) for n in names) == 50  # "Trung tâm Phục vụ hành chính công Phường ..."
    for name in names:
        link = sms_short_link(public, make_short_code(public.secret_key, new_salt()))
        assert len(link) == len(PUBLIC) + 3 + 26
        for kind in ("invitation", "reminder"):
            sms = render_message(campaign, public, kind=kind, agency=name, link=link)
            assert (sms.encoding, sms.segments) == (SmsEncoding.GSM7, 1), (kind, name, sms.text)
            assert link in sms.text and "HUY" in sms.text
    assert SHORT_CODE_BITS >= 128


def test_stated_budget_is_the_exact_limit_for_one_part(
    session: Session, settings: Settings
) -> None:
    campaign = _new_campaign(session)
    assert agency_name_budget(dataclasses.replace(settings, public_base_url=PUBLIC)) == 54
    for base in (PUBLIC, "https://dichvucong.example.gov.vn", "http://10.0.0.1:8000"):
        public = dataclasses.replace(settings, public_base_url=base)
        budget = agency_name_budget(public)
        link = sms_short_link(public, make_short_code(public.secret_key, new_salt()))
        # Vietnamese letters, stripped to one character each.
        fits, too_long = "Ủ" * budget, "Ủ" * (budget + 1)
        parts = {
            (kind, len(name)): render_message(
                campaign, public, kind=kind, agency=name, link=link
            ).segments
            for kind in ("invitation", "reminder")
            for name in (fits, too_long)
        }
        # Both kinds fit at the budget; one character more and the tighter one (the reminder's
        # wording is one character longer) takes 2 parts: the limit stated is exact.
        assert parts[("invitation", budget)] == parts[("reminder", budget)] == 1, base
        assert parts[("reminder", budget + 1)] == 2, base


def test_budget_without_stripping_is_the_ucs2_limit(settings: Settings) -> None:
    public = dataclasses.replace(settings, public_base_url=PUBLIC)
    # 70 UCS-2 units minus the 106 of the rest: no name fits one part with diacritics kept.
    assert agency_name_budget(public, strip=False) == 0
    short = "{agency}: {link}"
    # 2 + 49 = 51 units left of 70.
    assert (
        agency_name_budget(public, sms_template=short, reminder_template=short, strip=False) == 19
    )
    twice = "{agency} {agency} {link}"
    assert (
        agency_name_budget(public, sms_template=twice, reminder_template=short) == (160 - 51) // 2
    )


@pytest.mark.parametrize("strip", [False, True])
def test_stored_campaigns_keep_their_own_text_and_setting(
    session: Session, settings: Settings, strip: bool
) -> None:
    fw = build_fieldwork(
        session, n=1, without_phone=(), sms_template=OLD_TEMPLATE, strip_diacritics=strip
    )
    session.refresh(fw.campaign)
    assert fw.campaign.strip_diacritics is strip and fw.campaign.sms_template == OLD_TEMPLATE
    public = dataclasses.replace(settings, public_base_url=PUBLIC)
    link = sms_short_link(public, make_short_code(public.secret_key, new_salt()))
    sms = render_message(
        fw.campaign, public, kind="invitation", agency="Sở Tư pháp Hà Nội", link=link
    )
    assert sms.text.startswith("So Tu phap Ha Noi moi" if strip else "Sở Tư pháp Hà Nội moi")
    assert sms.encoding is (SmsEncoding.GSM7 if strip else SmsEncoding.UCS2)
