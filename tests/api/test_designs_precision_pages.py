"""Design precision on the pages, the API and the CLI: the size rule, flagged domains, draws."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.cli.main import main
from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.settings import Settings
from tests.api.fast_users import PASSWORD, bearer, make_user
from tests.survey.design_frames import frame_rows, import_rows

# Three agencies in two provinces (N = 1000), as in tests/survey/test_designs_precision.py.
AGENCIES = {("A", "01"): 300, ("B", "01"): 100, ("C", "24"): 600}


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def frame_id(engine: Engine, tmp_path: Path) -> int:
    return import_rows(engine, tmp_path, frame_rows(AGENCIES))


def sign_in(client: TestClient, session: Session, role: str = "coordinator") -> None:
    make_user(session, role, f"{role}-precision")
    response = client.post(
        "/staff/sign-in",
        data={"username": f"{role}-precision", "password": PASSWORD, "next": "/staff"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def text_of(html: str) -> str:
    """The page's words, each tag a space, spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def form_fields(csrf: str, frame_id: int, **changes: str) -> dict[str, str]:
    fields = {
        "csrf": csrf,
        "name": "Khảo sát ±5%",
        "frame_id": str(frame_id),
        "stratify_by": "agency_code",
        "selection": "srswor",
        "method": "proportional",
        "n_total": "",
        "margin": "0,05",
        "margin_applies_to": "total",
        "size_rule": "cochran",
        "domain_target": "",
        "p": "0.5",
        "confidence": "0.95",
        "deff": "1",
        "response_rate": "1",
        "min_per_stratum": "0",
        "max_per_stratum": "",
        "power_q": "0.5",
        "m_per_psu": "10",
        "reserve_per_stratum": "0",
    }
    fields.update(changes)
    return fields


def test_the_form_offers_the_size_rule_with_its_explanation(
    client: TestClient, session: Session, frame_id: int
) -> None:
    sign_in(client, session)
    vi = client.get("/staff/designs/new?lang=vi").text
    assert 'name="size_rule" type="radio" value="yamane"' in vi
    assert "Yamane: n = N / (1 + N e²), công thức cũ của Bộ Nội vụ" in vi
    assert "giả định p = 0,5 và độ tin cậy 95 %" in vi
    assert 'id="f-domain_target"' in vi
    en = client.get("/staff/designs/new?lang=en").text
    assert "Yamane: n = N / (1 + N e²), MoHA's legacy rule; assumes p = 0.5 and 95%" in text_of(en)
    # Cochran stays the choice when nothing is chosen.
    assert re.search(r'name="size_rule" type="radio" value="cochran" checked', en)


def test_preview_tells_the_rule_and_flags_the_agencies(
    client: TestClient, session: Session, frame_id: int
) -> None:
    sign_in(client, session)
    csrf = csrf_of(client.get("/staff/designs/new").text)
    fields = form_fields(csrf, frame_id, size_rule="yamane", action="preview")
    vi = text_of(client.post("/staff/designs/new?lang=vi", data=fields).text)
    # Yamane: 1000 / (1 + 1000 * 0.05^2) = 285.7 -> 286 dossiers, spread 86 / 29 / 171.
    assert "Cỡ mẫu tính theo: công thức Yamane, n = N / (1 + N e²)" in vi
    assert "Thiết kế này không đạt sai số mục tiêu ở từng nhóm" in vi
    assert re.search(r"3 trên 3 cơ quan không đạt ±5 %: sai số dự kiến ±\d+ %–\d+ %", vi)
    en = text_of(client.post("/staff/designs/new?lang=en", data=fields).text)
    assert "Sample size by: Yamane's formula" in en
    assert re.search(r"3 of 3 agencies miss ±5%: expected ±\d+%–\d+%", en)
    # Province 24 is agency C alone (171 of 600): 1.96 sqrt(0.25 / 171 * 429 / 599) = ±6.3%,
    # wider than ±5%; alone it needs 384.15 / (1 + 383.15 / 600) = 234.4 -> 235 respondents.
    assert "Bắc Ninh 24 600 171 171.0 6.3% misses 235 / 235" in en


def test_a_domain_target_typed_as_a_percentage(
    client: TestClient, session: Session, frame_id: int
) -> None:
    sign_in(client, session)
    csrf = csrf_of(client.get("/staff/designs/new").text)
    fields = form_fields(
        csrf,
        frame_id,
        margin="0.05",
        margin_applies_to="each_stratum",
        domain_target="10 %",
        action="preview",
    )
    en = text_of(client.post("/staff/designs/new?lang=en", data=fields).text)
    # Each agency at ±5% reaches ±10% too, and so do the two provinces.
    assert "All 3 agencies reach ±10%" in en and "All 2 provinces reach ±10%" in en
    assert "This design misses" not in en


def test_design_page_flags_a_design_whose_domains_miss(
    client: TestClient, session: Session, frame_id: int
) -> None:
    spec = DesignCreate(name="±5%", frame_id=frame_id, allocation=AllocationSpec(margin=0.05))
    design = create_design(session=session, spec=spec, created_by=None)
    sign_in(client, session)
    for lang, title, line in (
        ("vi", "Thiết kế này không đạt sai số mục tiêu ở từng nhóm", "3 trên 3 cơ quan"),
        ("en", "This design misses its target margin in its domains", "3 of 3 agencies miss"),
    ):
        html = client.get(f"/staff/designs/{design.id}?lang={lang}").text
        # The flag comes first, before the design's settings, and links to the table.
        assert html.index(title) < html.index('<dl class="summary">')
        assert html.count(title) == 1
        assert re.search(rf'<a href="#domains">(<strong>)?{line}', html)


def test_api_preview_returns_the_rule_the_flags_and_the_summary(
    client: TestClient, session: Session, frame_id: int
) -> None:
    headers = bearer(session, "coordinator")
    body: dict[str, Any] = {
        "name": "±5%",
        "frame_id": frame_id,
        "allocation": {"margin": 0.05, "size_rule": "yamane"},
    }
    response = client.post("/api/designs/preview", headers=headers, json=body)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["size_rule"] == "yamane" and preview["total"]["n"] == 286
    assert preview["misses_target"] is True and preview["domain_target"] == 0.05
    agencies = [d for d in preview["domains"] if d["column"] == "agency_code"]
    assert [d["meets_target"] for d in agencies] == [False, False, False]
    # Cochran for each agency alone at ±5%: 168.70, 79.51, 234.44 respondents.
    assert [d["respondents_needed"] for d in agencies] == [169, 80, 235]
    summary = {s["column"]: s["text"] for s in preview["domain_summary"]}
    assert summary["agency_code"].startswith("3 of 3 agencies miss ±5%: expected ±")
    # Yamane needs a margin: with a size the rule is refused, naming the field.
    body["allocation"] = {"n_total": 50, "size_rule": "yamane"}
    refused = client.post("/api/designs/preview", headers=headers, json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["allocation", "size_rule"]


def test_a_scoped_coordinator_gets_only_their_domains(
    client: TestClient, session: Session, frame_id: int
) -> None:
    spec = DesignCreate(name="±5%", frame_id=frame_id, allocation=AllocationSpec(margin=0.05))
    design = create_design(session=session, spec=spec, created_by=None)
    headers = bearer(session, "coordinator", "c-only", scopes=[("agency", "C")])
    response = client.get(f"/api/designs/{design.id}/preview", headers=headers)
    assert response.status_code == 200, response.text
    preview = response.json()
    # Agency C is all of province 24: both are theirs; A, B and province 01 are not.
    assert {(d["column"], d["domain"]) for d in preview["domains"]} == {
        ("agency_code", "C"),
        ("province_code", "24"),
    }
    assert [(s["column"], s["n_domains"]) for s in preview["domain_summary"]] == [
        ("agency_code", 1),
        ("province_code", 1),
    ]


def test_draw_page_api_and_files_tell_the_margins_of_the_units_drawn(
    client: TestClient, session: Session, frame_id: int
) -> None:
    spec = DesignCreate(
        name="±5%",
        frame_id=frame_id,
        allocation=AllocationSpec(margin=0.05, response_rate=0.5),
    )
    design = create_design(session=session, spec=spec, created_by=None)
    assert design.id is not None
    draw = run_draw(session=session, design_id=design.id, seed=11, created_by=None)
    sign_in(client, session)
    vi = text_of(client.get(f"/staff/draws/{draw.id}?lang=vi").text)
    assert re.search(r"3 trên 3 cơ quan không đạt ±5 %", vi)
    assert "tỷ lệ trả lời 50 % của thiết kế" in vi
    en = text_of(client.get(f"/staff/draws/{draw.id}?lang=en").text)
    assert "Expected respondents = the invited dossiers drawn × the design's response rate" in en
    detail = client.get(f"/api/draws/{draw.id}").json()
    rows = {(d["column"], d["domain"]): d for d in detail["precision"]["domains"]}
    # n_total = Cochran's 278 / 0.5 = 556 issued; agency B gets its share of 100 / 1000.
    assert (
        rows[("agency_code", "B")]["expected_respondents"] == 0.5 * rows[("agency_code", "B")]["n"]
    )
    assert detail["precision"]["misses_target"] is True
    text = client.get(f"/api/draws/{draw.id}/precision.csv").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["column"], r["domain"]) for r in table] == list(rows)
    assert {r["meets_target"] for r in table if r["column"] == "agency_code"} == {"no"}
    xlsx = client.get(f"/api/draws/{draw.id}/precision.xlsx")
    assert xlsx.status_code == 200
    notes = load_workbook(io.BytesIO(xlsx.content))["notes"]
    lines = [row[0] for row in notes.iter_rows(values_only=True)]
    assert lines[0] == "size rule: cochran"
    assert any(str(x).startswith("3 of 3 agencies miss ±5%") for x in lines)


def test_cli_takes_the_rule_and_prints_the_flags(
    settings: Settings,
    engine: Engine,
    frame_id: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    args = ["--frame", str(frame_id), "--margin", "0.05", "--size-rule", "yamane"]
    assert main(["design", "preview", *args, "--domain", "agency_code"]) == 0
    out = capsys.readouterr().out
    assert "sample size by: yamane" in out
    assert "WARNING: 3 of 3 agencies miss ±5%: expected ±" in out
    # Agency C: 171 of 600 -> ±6.3%, needs 235 respondents alone.
    assert re.search(r"agency_code=C\s+600\s+171\s+171\.0\s+±6\.3  MISSES  235", out)
    assert main(["design", "create", "--name", "cli", *args]) == 0
    out = capsys.readouterr().out
    assert "WARNING: 3 of 3 agencies miss ±5%" in out  # said when the design is saved
    design_id = int(out.split()[2])
    assert main(["sample", "draw", str(design_id), "--seed", "5"]) == 0
    assert "WARNING: 3 of 3 agencies miss ±5%" in capsys.readouterr().out
    # With a size the rule is refused, naming the field.
    assert (
        main(
            [
                "design",
                "preview",
                "--frame",
                str(frame_id),
                "--n-total",
                "50",
                "--size-rule",
                "yamane",
            ]
        )
        != 0
    )
    assert "size_rule" in capsys.readouterr().err
