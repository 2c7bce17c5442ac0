"""Issue 9 item 5: the ranking choices reach the staff form, ``sipas release compute`` and the REST
body, and each of them proposes 30 answers as the minimum to be ranked (the library keeps None):
agencies below 30 are scored but not ranked, and 0 ranks every agency."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.cli.main import main
from api.problem_text import known, problem_text
from survey.models import IndexRelease
from survey.release_rankings import parse_bands
from survey.release_rows import release_not_ranked, release_ranking
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.api.test_release_pages import _signed_in
from tests.survey.release_fixtures import ReleaseCampaign, build_release_campaign

# Four agencies, two of them below 30 answers (20 and 12 respondents): with cells hidden below
# 10 (not the default 30) their figures are published, and only the ranking leaves them out.
FEW = {
    "A": ("AG-A", "01", 400, 60, 45),
    "B": ("AG-B", "79", 300, 50, 20),
    "C": ("AG-C", "79", 200, 40, 35),
    "D": ("AG-D", "01", 200, 30, 12),
}
BELOW_30 = {"AG-B", "AG-D"}


def few_answers(session: Session) -> ReleaseCampaign:
    return build_release_campaign(session, strata_spec=FEW)


def ranked_and_not(release: IndexRelease) -> tuple[set[str], dict[str, int]]:
    ranked = {r.agency_code for r in release_ranking(release)}
    not_ranked = {r.agency_code: r.n_respondents for r in release_not_ranked(release)}
    return ranked, not_ranked


def newest_release(session: Session) -> IndexRelease:
    session.expire_all()
    releases = session.exec(select(IndexRelease).order_by(col(IndexRelease.id).desc())).all()
    return releases[0]


def _form(csrf: str, campaign_id: int, **changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf": csrf,
        "name": "Xếp hạng",
        "campaign_id": str(campaign_id),
        "by": ["agency_code"],
        "rule": "criteria-mean",
        "ci_method": "logit",
        "level": "0.95",
        "min_respondents": "10",
        "max_cv": "0.9",
        "lonely_psu": "adjust",
        "geo_mapping": "",
        "national_rule": "pooled",
        "variance": "taylor",
        "ranking_blocks": "",
        "min_ranked": "30",
        "bands": "",
    }
    form.update(changes)
    return form


def test_the_form_offers_the_ranking_choices_with_30_proposed(
    settings: Settings, session: Session
) -> None:
    few_answers(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _signed_in(client, session, settings, "analyst")
        vi = client.get("/staff/releases?lang=vi").text
        en = client.get("/staff/releases?lang=en").text
    for page in (vi, en):
        assert re.search(r'<input id="f-min_ranked" name="min_ranked" type="text" value="30"', page)
        assert '<textarea id="f-bands" name="bands"' in page
        assert '<option value="province_code">' in page and '<option value="level">' in page
    assert "Số người trả lời tối thiểu để được xếp hạng" in vi
    assert "vẫn có điểm nhưng không được xếp hạng" in vi
    assert "Ghi 0 hoặc để trống để xếp hạng mọi cơ quan" in vi
    assert "Fewest respondents to be ranked" in en
    assert "keeps its score but is not ranked" in en
    # The working default is shown, with the language's decimal separator.
    assert "0,9; Rất tốt; Very good" in vi and "4,5; Rất tốt; Very good" in vi
    assert "0.9; Rất tốt; Very good" in en and "0.0; Thấp; Low" in en


def test_the_form_ranks_only_agencies_with_30_answers(settings: Settings, session: Session) -> None:
    rc = few_answers(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        bands = "0,8; Cao; High\n\n0; Thấp; Low\n"
        created = client.post("/staff/releases", data=_form(csrf, rc.campaign_id, bands=bands))
        assert created.status_code == 303, created.text
        release = session.get(IndexRelease, int(created.headers["location"].rsplit("/", 1)[1]))
        assert release is not None
        ranked, not_ranked = ranked_and_not(release)
        assert ranked == {"AG-A", "AG-C"}
        assert not_ranked == {"AG-B": 20, "AG-D": 12}
        assert release.parameters["ranking"]["min_ranked"] == 30
        assert release.parameters["ranking"]["bands"] == [
            [0.8, "Cao", "High"],
            [0.0, "Thấp", "Low"],
        ]
        shown = client.get(created.headers["location"] + "?lang=vi").text
        assert "Có điểm, không xếp hạng" in shown
        every = client.post("/staff/releases", data=_form(csrf, rc.campaign_id, min_ranked="0"))
        assert every.status_code == 303, every.text
        release = session.get(IndexRelease, int(every.headers["location"].rsplit("/", 1)[1]))
        assert release is not None
        assert ranked_and_not(release) == ({"AG-A", "AG-B", "AG-C", "AG-D"}, {})
        assert "min_ranked" not in release.parameters["ranking"]


@pytest.mark.parametrize(
    ("bands", "vietnamese", "english"),
    [
        (
            "0,9; Rất tốt; Very good\n0,95; Tốt; Good",
            "Dải xếp loại, dòng 2: hãy ghi các dải từ cao xuống thấp, cận dưới giảm dần",
            "bands, line 2: write the bands highest bound first",
        ),
        (
            "cao; Rất tốt; Very good",
            "Dải xếp loại, dòng 1: cận dưới &#39;cao&#39; không phải là số (ví dụ 0,9)",
            "bands, line 1: the lower bound &#39;cao&#39; is not a number",
        ),
        (
            "0,9; Rất tốt",
            "Dải xếp loại, dòng 1: hãy ghi cận dưới; nhãn tiếng Việt; nhãn tiếng Anh",
            "bands, line 1: write lower bound; Vietnamese; English",
        ),
        (
            "0,9; ; Very good",
            "Dải xếp loại, dòng 1: hãy ghi đủ hai nhãn, tiếng Việt và tiếng Anh",
            "bands, line 1: give both labels, Vietnamese and English",
        ),
    ],
)
def test_bad_bands_give_the_summary_naming_the_field(
    settings: Settings, session: Session, bands: str, vietnamese: str, english: str
) -> None:
    rc = few_answers(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        vi = client.post("/staff/releases?lang=vi", data=_form(csrf, rc.campaign_id, bands=bands))
        en = client.post("/staff/releases?lang=en", data=_form(csrf, rc.campaign_id, bands=bands))
    assert vi.status_code == en.status_code == 422
    for page in (vi, en):
        assert 'href="#f-bands"' in page.text
        assert 'aria-invalid="true"' in page.text
    assert vietnamese in vi.text
    assert english in en.text
    assert session.exec(select(IndexRelease)).first() is None


def test_a_bad_minimum_is_named_in_vietnamese(settings: Settings, session: Session) -> None:
    rc = few_answers(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        page = client.post(
            "/staff/releases?lang=vi", data=_form(csrf, rc.campaign_id, min_ranked="ba mươi")
        )
    assert page.status_code == 422
    assert 'href="#f-min_ranked"' in page.text
    assert "ví dụ 30; ghi 0 để xếp hạng mọi đơn vị" in page.text


def test_the_cli_defaults_to_30_and_0_ranks_all(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    rc = few_answers(session)
    base = ["release", "compute", str(rc.campaign_id), "--min-respondents", "10"]
    assert main([*base, "--name", "mặc định", "--max-cv", "0.9"]) == 0
    release = newest_release(session)
    assert ranked_and_not(release) == ({"AG-A", "AG-C"}, {"AG-B": 20, "AG-D": 12})
    assert release.parameters["ranking"]["min_ranked"] == 30
    assert main([*base, "--name", "tất cả", "--max-cv", "0.9", "--min-ranked", "0"]) == 0
    release = newest_release(session)
    assert ranked_and_not(release) == ({"AG-A", "AG-B", "AG-C", "AG-D"}, {})
    capsys.readouterr()


def test_the_cli_reads_blocks_and_a_bands_file(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    rc = few_answers(session)
    bands = tmp_path / "bands.txt"
    bands.write_text("0,85; Cao; High\n0; Thấp; Low\n", encoding="utf-8")
    arguments = ["release", "compute", str(rc.campaign_id), "--name", "khối", "--max-cv", "0.9"]
    arguments += ["--min-respondents", "10", "--ranking-blocks", "province_code"]
    assert main([*arguments, "--bands", str(bands), "--min-ranked", "15"]) == 0
    release = newest_release(session)
    ranking = release.parameters["ranking"]
    assert ranking["blocks"] == "province_code" and ranking["min_ranked"] == 15
    assert ranking["bands"] == [[0.85, "Cao", "High"], [0.0, "Thấp", "Low"]]
    # Province 01: A (45) and D (12, below 15); province 79: B (20) and C (35).
    ranked, not_ranked = ranked_and_not(release)
    assert ranked == {"AG-B", "AG-C"} and set(not_ranked) == {"AG-A", "AG-D"}
    bands.write_text("0,85; Cao; High\n0,9; Thấp; Low\n", encoding="utf-8")
    assert main([*arguments, "--bands", str(bands)]) != 0
    err = capsys.readouterr().err
    assert "bands, line 2: write the bands highest bound first" in err


def test_the_api_defaults_to_30_and_0_or_null_ranks_all(
    settings: Settings, session: Session
) -> None:
    rc = few_answers(session)
    analyst = bearer(session, "analyst", "ranking-default-analyst")
    url = f"/api/campaigns/{rc.campaign_id}/releases"
    body = {"name": "REST", "min_respondents": 10, "max_cv": 0.9}
    with TestClient(create_app(settings)) as client:
        default = client.post(url, json=body, headers=analyst)
        assert default.status_code == 201, default.text
        assert default.json()["parameters"]["ranking"]["min_ranked"] == 30
        release = session.get(IndexRelease, default.json()["id"])
        assert release is not None
        assert ranked_and_not(release) == ({"AG-A", "AG-C"}, {"AG-B": 20, "AG-D": 12})
        for every in (0, None):
            created = client.post(url, json={**body, "min_ranked": every}, headers=analyst)
            assert created.status_code == 201, created.text
            release = session.get(IndexRelease, created.json()["id"])
            assert release is not None
            assert ranked_and_not(release) == ({"AG-A", "AG-B", "AG-C", "AG-D"}, {})
        negative = client.post(url, json={**body, "min_ranked": -1}, headers=analyst)
        assert negative.status_code == 422
        assert negative.json()["detail"][0]["loc"][-1] == "min_ranked"
        schema = client.get("/openapi.json").json()["components"]["schemas"]["ReleaseRequest"]
        described = schema["properties"]["min_ranked"]
        assert (
            described["default"] == 30
            and "0 or null: every agency ranked" in (described["description"])
        )


@pytest.mark.parametrize(
    "bands",
    [
        [],
        [[0.9, "Rất tốt"]],
        [[0.9, "Rất tốt", "Very good"], ["cao", "Tốt", "Good"]],
        [[0.9, " ", "Very good"]],
        [[0.9, "Rất tốt", "Very good"], [0.95, "Tốt", "Good"]],
    ],
)
def test_parse_bands_messages_read_in_vietnamese(bands: list[object]) -> None:
    # What the REST body and compute_release answer for bad bands (loc "bands").
    with pytest.raises(ValueError) as raised:
        parse_bands(bands)
    message = str(raised.value)
    assert known(message), message
    vietnamese = problem_text(message, "vi")
    assert vietnamese.lower().startswith("dải xếp loại") and vietnamese != message
