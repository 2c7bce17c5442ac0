"""The change since the previous round, matched through ``maps_from`` when the new
questionnaire version renamed a criterion, with its interval and p-value."""

from __future__ import annotations

import copy
import math
from datetime import timedelta

from scipy import stats
from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.models import Campaign, Questionnaire, Response
from survey.public_releases import get_public_release, node_mapping
from survey.questionnaires import create_draft, publish_questionnaire
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.test_public_releases import PROVINCE_STRATA, publish


def renamed_version(session: Session, questionnaire_id: int, old: str, new: str) -> int:
    """A new version of the questionnaire whose criterion ``old`` is now ``new`` (maps_from)."""
    base = session.get(Questionnaire, questionnaire_id)
    assert base is not None
    definition = copy.deepcopy(base.definition)
    definition["version"] = int(definition["version"]) + 1
    for element in definition["elements"]:
        for criterion in element["criteria"]:
            if criterion["code"] == old:
                criterion["code"] = new
                criterion["maps_from"] = old
    draft = create_draft(session=session, definition=definition)
    assert draft.id is not None
    publish_questionnaire(session=session, questionnaire_id=draft.id)
    return draft.id


def test_a_renamed_criterion_is_compared_with_its_old_code(session: Session) -> None:
    earlier = build_release_campaign(session, seed=3, strata_spec=PROVINCE_STRATA)
    campaign = session.get(Campaign, earlier.campaign_id)
    assert campaign is not None
    campaign.field_start -= timedelta(days=365)
    campaign.field_end -= timedelta(days=365)
    session.add(campaign)
    session.commit()
    old_release = publish(session, earlier.campaign_id, "Năm trước")

    later = build_release_campaign(session, seed=7, strata_spec=PROVINCE_STRATA)
    old_code, new_code = later.criteria[0], "x_" + later.criteria[0]
    later_campaign = session.get(Campaign, later.campaign_id)
    assert later_campaign is not None
    new_form = renamed_version(session, later_campaign.questionnaire_id, old_code, new_code)
    later_campaign.questionnaire_id = new_form
    session.add(later_campaign)
    for response in session.exec(
        select(Response).where(col(Response.campaign_id) == later.campaign_id)
    ).all():
        answers = dict(response.answers)
        if old_code in answers:
            answers[new_code] = answers.pop(old_code)
        response.answers = answers
        session.add(response)
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == later.campaign_id)
        .values(questionnaire_id=new_form)
    )
    session.commit()
    new_release = publish(session, later.campaign_id, "Năm nay")
    assert new_release.id is not None

    view = get_public_release(session=session, release_id=new_release.id)
    assert view.previous is not None and view.previous.id == old_release.id
    assert node_mapping(session=session, release=new_release, previous=old_release)[new_code] == (
        old_code
    )
    key = ("", new_code)
    change = view.changes[key]
    assert change.previous_node == old_code
    now = next(r for r in view.rows if r.is_whole_campaign and r.node == new_code)
    before = view.previous_rows[key]
    assert before.node == old_code
    assert now.estimate is not None and before.estimate is not None
    assert now.se is not None and before.se is not None
    # By hand: difference, SE of two independent samples, Welch-Satterthwaite df, t test.
    assert change.estimate == now.estimate - before.estimate
    se = math.hypot(now.se, before.se)
    assert math.isclose(change.se, se, rel_tol=1e-12)
    v1, v2 = now.se**2, before.se**2
    df = (v1 + v2) ** 2 / (v1**2 / now.df + v2**2 / before.df)
    p = 2 * stats.t.sf(abs(change.estimate) / se, df)
    assert math.isclose(change.p_value, p, rel_tol=1e-9)
    half = stats.t.ppf(0.975, df) * se
    assert math.isclose(change.ci_upper - change.estimate, half, rel_tol=1e-9)
    assert change.significant == (p < 0.05)
    # The unchanged criteria are compared by code, as before.
    assert ("", later.criteria[1]) in view.changes
    assert ("", old_code) not in view.changes
