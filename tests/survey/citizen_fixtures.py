"""A release campaign moved onto the built-in citizens' form (sipas-citizen-v1), its answers
known row by row, for the tests of releases on the whole national form.

Respondents say in Q8 whether they had a procedure (about 60% yes); the service block is stored
for the others too (all 5s, stale answers a release must ignore). Provinces are drawn at random,
so they cut across the agency strata. The methods give the textbook reference: shares, scores
z_i = w_i (a_i - R b_i) / B and the stratified variance with w_i = N_h / r_h.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from survey.models import Campaign, Response
from survey.questionnaires import element_tree, ensure_builtin_questionnaires
from tests.survey.release_fixtures import STRATA, build_release_campaign

PROVINCES = ("01", "48", "79")


class Citizens:
    """A release campaign moved onto the citizens' form, its answers known row by row."""

    def __init__(self, session: Session, seed: int = 11) -> None:
        rc = build_release_campaign(session)
        questionnaire = ensure_builtin_questionnaires(
            session=session, filename="sipas-citizen-v1.json"
        )
        campaign = session.get(Campaign, rc.campaign_id)
        assert campaign is not None and questionnaire.id is not None
        campaign.questionnaire_id = questionnaire.id
        self.tree = element_tree(questionnaire.definition)
        self.service = {
            e["code"] for e in questionnaire.definition["elements"] if e["index"] == "service"
        }
        self.criteria = [c for members in self.tree.values() for c in members]
        rng = np.random.default_rng(seed)
        responses = session.exec(
            select(Response)
            .where(Response.campaign_id == rc.campaign_id, Response.status == "completed")
            .order_by(col(Response.id))
        ).all()
        self.strata = np.asarray([r.stratum for r in responses])
        self.asked = rng.random(len(responses)) < 0.6
        # Provinces cut across the agency strata, so the provinces' covariances do not vanish.
        self.province = np.asarray(PROVINCES)[rng.integers(0, 3, size=len(responses))]
        self.answers: list[dict[str, Any]] = []
        for response, asked, province in zip(responses, self.asked, self.province, strict=True):
            answers: dict[str, Any] = {"q8_procedure": "yes" if asked else "no"}
            for element, members in self.tree.items():
                for code in members:
                    if rng.random() < 0.08:
                        continue
                    answers[code] = int(rng.integers(1, 6))
                if element in self.service and not asked:
                    # Stale answers of a block the respondent was not asked must not count.
                    answers.update(dict.fromkeys(members, 5))
            response.answers = answers
            response.province_code = str(province)
            session.add(response)
            self.answers.append(answers)
        session.commit()
        self.campaign_id = rc.campaign_id
        self.response_ids = [int(r.id) for r in responses if r.id is not None]

    def weights(self) -> NDArray[np.float64]:
        r = {s: int((self.strata == s).sum()) for s in STRATA}
        return np.array([STRATA[s][2] / r[s] for s in self.strata])

    def score(self, criterion: str, rows: NDArray[np.bool_]) -> tuple[float, NDArray[np.float64]]:
        """Share of a criterion over ``rows`` (and those asked it) and its score z_i."""
        element = next(e for e, members in self.tree.items() if criterion in members)
        counted = rows & (self.asked if element in self.service else True)
        y = np.array([float(a.get(criterion) or np.nan) for a in self.answers])
        b = (~np.isnan(y) & counted).astype(float)
        a = ((y >= 4) & counted).astype(float)
        w = self.weights()
        big_b = float((w * b).sum())
        share = float((w * a).sum()) / big_b
        return share, w * (a - share * b) / big_b

    def node(self, node: str, rows: NDArray[np.bool_]) -> tuple[float, NDArray[np.float64]]:
        """A node as sum_c m_c R_c (criteria-mean, sipas = mean of the two indices)."""
        if node in self.criteria:
            return self.score(node, rows)
        if node in self.tree:
            parts = [self.score(c, rows) for c in self.tree[node]]
        elif node in ("policy", "service"):
            members = [e for e in self.tree if (e in self.service) == (node == "service")]
            parts = [self.node(e, rows) for e in members]
        else:
            parts = [self.node("policy", rows), self.node("service", rows)]
        return (
            float(np.mean([p[0] for p in parts])),
            np.mean([p[1] for p in parts], axis=0),
        )

    def se(self, z: NDArray[np.float64]) -> float:
        variance = 0.0
        for s, spec in STRATA.items():
            zh = z[self.strata == s]
            r_h = zh.size
            variance += (1 - r_h / spec[2]) * r_h / (r_h - 1) * float(((zh - zh.mean()) ** 2).sum())
        return float(np.sqrt(variance))
