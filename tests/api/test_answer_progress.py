"""Citizens see the numbering of the form they hold (1, 2, 3 ...) and how far they are."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers, page_form


@pytest.fixture
def fieldwork(engine: Engine, session: Session, settings: Settings) -> Fieldwork:
    return build_fieldwork(session, settings.secret_key, n=2)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<legend><b>(\d+)\.</b>", html)]


def test_pages_number_questions_from_one_and_show_progress(
    client: TestClient, fieldwork: Fieldwork
) -> None:
    definition = fieldwork.definition
    total = sum(len(e["criteria"]) for e in definition["elements"]) + len(
        definition.get("questions") or []
    )
    token = fieldwork.tokens[0]
    welcome = client.get(f"/r/{token}")
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', welcome.text)
    assert csrf
    client.post(f"/r/{token}/start", data={"csrf": csrf.group(1)})
    answers = full_answers(definition, 4)
    seen: list[int] = []
    for number in range(1, 7):
        page = client.get(f"/r/{token}/p/{number}")
        assert page.status_code == 200
        shown = _numbers(page.text)
        if shown:
            first, last = min(shown), max(shown)
            assert f"Câu {first}–{last} trong {total} câu" in page.text
            assert re.search(rf'<progress id="progress" max="{total}" value="{last}">', page.text)
        seen += shown
        form = page_form(definition, number - 1, answers)
        saved = client.post(f"/r/{token}/p/{number}", data={"csrf": csrf.group(1), **form})
        assert saved.status_code == 303, saved.text[:300]
    # The national form's own numbers (the service block is its items 15-33) do not leak.
    assert seen[:3] == [1, 2, 3]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert 15 not in seen[:5]
    review = client.get(f"/r/{token}/review")
    assert "<dt>1. " in review.text


def test_english_pages_say_the_same(client: TestClient, fieldwork: Fieldwork) -> None:
    token = fieldwork.tokens[1]
    welcome = client.get(f"/r/{token}?lang=en")
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', welcome.text)
    assert csrf
    client.post(f"/r/{token}/start", data={"csrf": csrf.group(1)})
    page = client.get(f"/r/{token}/p/1?lang=en")
    assert "Phần" not in page.text
    assert re.search(r"Questions 1–\d+ of \d+", page.text)
