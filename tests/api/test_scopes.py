"""Scopes do not leak: a coordinator scoped to agency AG-A (or to province 01, which holds only
AG-A) never receives another agency's code, dossier code or count through any route, API or page;
and staff never get a citizen's link or answers outside the printed letters.

The world is :mod:`tests.api.access_world`: AG-A in province 01, AG-B and AG-C in province 79.
Every GET route the table lets a scoped coordinator call is fetched and searched for ``AG-B``,
``AG-C`` and each of their dossier codes; the national coordinator's answers are searched too,
and must contain them, so the search can fail.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api.app import create_app
from survey.models import Dossier, Invitation, SampleUnit
from survey.settings import Settings
from tests.api.access_world import OTHER_AGENCIES, OWN_AGENCY, World, build_world
from tests.api.test_policy import CALLER_COLUMN, ROUTE_ROWS, Walk, _row, access_table

OTHER_CODE = re.compile("|".join(re.escape(a) for a in OTHER_AGENCIES))


@pytest.fixture
def world(settings: Settings, session: Session, engine: Engine, tmp_path: Path) -> World:
    return build_world(session, engine, settings, tmp_path)


def _readable_get_routes(caller: str) -> list[str]:
    table = access_table()
    return [
        path
        for (method, path), row in ROUTE_ROWS.items()
        if method == "GET"
        and _row(table, row)[CALLER_COLUMN[caller]]
        # Published releases are public for everyone (docs/access.md): a scope limits what an
        # account sees beyond what the public site shows anybody.
        and not path.startswith(("/r/", "/sms/", "/static", "/docs", "/openapi", "/public"))
    ]


def _fetch_all(client: TestClient, settings: Settings, world: World, caller: str) -> dict[str, str]:
    walk = Walk(client, settings, world, {"user_id": 0, "campaign_id": world.campaign_id})
    bodies = {}
    for path in _readable_get_routes(caller):
        values = walk.path_values("GET", path)
        variants = [values]
        if "{campaign_id}" in path:
            # The release campaign too: its dispositions and exports cover all three agencies.
            variants.append({**values, "campaign_id": str(world.release_campaign_id)})
        for v in variants:
            url = re.sub(r"\{(\w+)\}", lambda m, v=v: v[m.group(1)], path)  # type: ignore[misc]
            for extra in ("", "?by=agency", "?by=stratum"):
                response = walk.client.request(
                    "GET", url + extra, headers=_headers(world, caller, path)
                )
                assert response.status_code < 500, (url, response.text[:300])
                bodies[url + extra] = response.content.decode("utf-8", "replace")
    return bodies


def _headers(world: World, caller: str, path: str) -> dict[str, str]:
    token = world.tokens[caller]
    if path.startswith("/api"):
        return {"Authorization": f"Bearer {token}"}
    return {"Cookie": f"sipas_session={token}"}


def test_a_scoped_coordinator_never_receives_another_agencys_codes(
    settings: Settings, world: World
) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        national = _fetch_all(client, settings, world, "national")
        leaks_seen_by_national = [u for u, body in national.items() if OTHER_CODE.search(body)]
        # The control: the same routes do carry the other agencies for an unlimited account.
        assert len(leaks_seen_by_national) > 10, leaks_seen_by_national
        for caller in ("agency", "province"):
            bodies = _fetch_all(client, settings, world, caller)
            assert bodies.keys() == national.keys() or set(bodies) <= set(national)
            leaks = []
            for url, body in bodies.items():
                found = OTHER_CODE.search(body)
                codes = [c for c in world.other_dossier_codes if c in body][:3]
                if found or codes:
                    at = found.start() if found else body.index(codes[0])
                    leaks.append(f"{url}: {body[max(0, at - 80) : at + 40]!r}")
            assert not leaks, f"{caller} sees other agencies:\n" + "\n".join(leaks)


def _own_dossiers(session: Session, frame_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Dossier)
        .where(Dossier.frame_id == frame_id, Dossier.agency_code == OWN_AGENCY)
    ).one()


def test_counts_are_those_of_the_scope(settings: Settings, session: Session, world: World) -> None:
    own_rows = _own_dossiers(session, world.frame_id)
    own_units = session.exec(
        select(func.count())
        .select_from(SampleUnit)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(SampleUnit.draw_id == world.draw_id, Dossier.agency_code == OWN_AGENCY)
        .where(col(SampleUnit.is_reserve).is_(False))
    ).one()
    all_rows = session.exec(
        select(func.count()).select_from(Dossier).where(Dossier.frame_id == world.frame_id)
    ).one()
    assert 0 < own_rows < all_rows and own_units > 0
    with TestClient(create_app(settings)) as client:
        for caller in ("agency", "province", "national"):
            h = {"Authorization": f"Bearer {world.tokens[caller]}"}
            scoped = caller != "national"
            frame = client.get(f"/api/frames/{world.frame_id}", headers=h).json()
            assert frame["frame"]["row_count"] == (own_rows if scoped else all_rows)
            # AG-A has one warning (a bad phone); AG-B a warning and a rejected row, unseen.
            counts = frame["problem_counts"]
            assert counts == ({"warning": 1} if scoped else {"warning": 2, "error": 1}), counts
            problems = client.get(f"/api/frames/{world.frame_id}/problems", headers=h).json()
            assert len(problems) == (1 if scoped else 3)

            design = client.get(f"/api/designs/{world.design_id}", headers=h).json()
            strata = [r["stratum"] for r in design["allocation_table"]]
            assert strata == ([OWN_AGENCY] if scoped else ["AG-A", "AG-B", "AG-C"])
            preview = client.get(f"/api/designs/{world.design_id}/preview", headers=h).json()
            assert preview["total"]["population"] == (own_rows if scoped else all_rows)
            assert (preview["total"]["se"] is None) == scoped

            draw = client.get(f"/api/draws/{world.draw_id}", headers=h).json()
            assert (draw["n_sampled"] == own_units) == scoped
            assert ("sampling_record" in draw["design_snapshot"]) != scoped
            sample = client.get(f"/api/draws/{world.draw_id}/sample.csv", headers=h).text
            agencies = {line.split(",")[2] for line in sample.splitlines()[1:]}
            assert agencies == ({OWN_AGENCY} if scoped else {"AG-A", "AG-B", "AG-C"})

            url = f"/api/campaigns/{world.campaign_id}/dispositions"
            groups = client.get(url, params={"by": "agency"}, headers=h).json()
            assert [g["group"] for g in groups] == (
                [OWN_AGENCY] if scoped else ["AG-A", "AG-B", "AG-C"]
            )

            release = client.get(f"/api/releases/{world.published_release_id}", headers=h).json()
            domains = {r["domain"].get("agency_code") for r in release["results"]["rows"]}
            assert domains == ({OWN_AGENCY} if scoped else {None, "AG-A", "AG-B", "AG-C"})
            assert (release["summary"] == {}) == scoped
            # Drafts are not theirs to read; the responses file never.
            draft = client.get(f"/api/releases/{world.draft_release_id}", headers=h)
            assert draft.status_code == (404 if scoped else 200)
            responses = client.get(
                f"/api/campaigns/{world.release_campaign_id}/exports/responses.csv", headers=h
            )
            assert responses.status_code == 403


def test_the_outbox_shows_no_citizen_link(
    settings: Settings, session: Session, world: World
) -> None:
    with TestClient(create_app(settings)) as client:
        h = {"Authorization": f"Bearer {world.tokens['national']}"}
        queued = client.post(f"/api/campaigns/{world.campaign_id}/sms/queue", headers=h)
        assert queued.status_code == 200 and queued.json()["queued"] > 0, queued.text
        cookie = {"Cookie": f"sipas_session={world.tokens['national']}"}
        page = client.get(f"/staff/campaigns/{world.campaign_id}", headers=cookie)
        assert page.status_code == 200
        # The messages are there (SMS carry the /m/ short link), cut before the token or code.
        assert "/m/…" in page.text
        assert not re.search(r"/[rm]/[A-Za-z0-9_-]{8,}", page.text), "a token in the outbox"
        assert world.citizen_token not in page.text
        # The printed letters are the one place with the full link.
        letters = client.get(
            f"/api/campaigns/{world.campaign_id}/letters", params={"channel": "all"}, headers=h
        )
        assert letters.status_code == 200 and world.citizen_token in letters.text
        # A scoped coordinator's campaign page has neither outbox nor actions.
        scoped = {"Cookie": f"sipas_session={world.tokens['agency']}"}
        theirs = client.get(f"/staff/campaigns/{world.campaign_id}", headers=scoped)
        assert theirs.status_code == 200 and 'id="outbox"' not in theirs.text
        assert "/purge" not in theirs.text and "/letters" not in theirs.text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_staff_session_cannot_open_or_change_a_citizens_answers(
    settings: Settings, session: Session, world: World, lang: str
) -> None:
    token = world.citizen_token
    invitation = session.exec(select(Invitation).order_by(col(Invitation.id))).first()
    assert invitation is not None and invitation.first_opened_at is None
    expected = {
        "vi": "Đây là trang trả lời riêng của người dân",
        "en": "This is a citizen's personal answer page",
    }[lang]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for name in ("admin", "national", "agency", "analyst"):
            cookie = f"sipas_session={world.tokens[name]}; sipas_lang={lang}"
            for method, path, data in (
                ("GET", f"/r/{token}", None),
                ("POST", f"/r/{token}/start", {"csrf": "x"}),
                ("GET", f"/r/{token}/p/1", None),
                ("POST", f"/r/{token}/opt-out", {"csrf": "x"}),
            ):
                response = client.request(method, path, data=data, headers={"Cookie": cookie})
                assert response.status_code == 403, (name, path, response.text[:200])
                assert expected in html.unescape(response.text)
                assert response.headers["cache-control"] == "no-store"
                client.cookies.clear()
        session.expire_all()
        again = session.get(Invitation, invitation.id)
        assert again is not None
        assert again.first_opened_at is None and again.opted_out_at is None
        assert again.started_at is None  # no answer page was saved
        # Without the cookie the citizen's page opens (and records the first opening).
        assert client.get(f"/r/{token}").status_code == 200
        session.expire_all()
        opened = session.get(Invitation, invitation.id)
        assert opened is not None and opened.first_opened_at is not None
