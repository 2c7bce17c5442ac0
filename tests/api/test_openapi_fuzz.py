"""An OpenAPI fuzzer in the suite: schemathesis over every operation the API publishes, as each
role and unauthenticated, on SQLite and PostgreSQL, in process (ASGI transport, no server).

Each operation gets a few schema-valid requests (its published examples first, so seeded ids such
as 1 are tried) and a few schema-violating ones. Every response must be no 5xx, have a status,
content type, headers and body the published document allows (422s and every other error
included: the one ``ErrorResponse`` schema), and a schema-violating request must be refused.

A small realistic dataset is seeded first through the real use cases (a frame imported from CSV,
a design, a draw, a campaign with invitations, a campaign with answers and its release), so ids
exist and the fuzzer reaches the code behind the 404s. Generation is derandomized and small, so
the file stays well within three minutes on two cores. No operation is excluded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.campaigns import activate_campaign, create_campaign
from survey.db import make_engine
from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.frames import import_frame
from survey.invitations import create_invitations
from survey.models import utcnow
from survey.questionnaires import ensure_builtin_questionnaires
from survey.releases import compute_release
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.conftest import _truncate_all
from tests.survey.design_frames import frame_rows, write_csv
from tests.survey.release_fixtures import build_release_campaign

# Who calls: no credentials, then each role of docs/access.md.
ROLES: dict[str, tuple[str, list[tuple[str, str]]] | None] = {
    "unauthenticated": None,
    "analyst": ("analyst", []),
    "publisher": ("publisher", []),
    "scoped_coordinator": ("coordinator", [("agency", "AG-A")]),
    "national_coordinator": ("coordinator", []),
    "admin": ("admin", []),
    # The roles the data-entry and interview operations let through (others get 403 there).
    "clerk": ("clerk", []),
    "interviewer": ("interviewer", []),
}
POSITIVE_EXAMPLES = 3
NEGATIVE_EXAMPLES = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclasses.dataclass
class World:
    app: FastAPI
    headers: dict[str, dict[str, str]]


def _seed(engine: Engine, settings: Settings, folder: Path) -> dict[str, dict[str, str]]:
    """The dataset, built with the use cases; returns each role's Authorization header."""
    with Session(engine) as session:
        headers = {"unauthenticated": {}}
        for name, spec in ROLES.items():
            if spec is not None:
                role, scopes = spec
                headers[name] = bearer(session, role, f"fuzz-{name}", scopes)
        rows = frame_rows({("AG-A", "01"): 40, ("AG-B", "79"): 30})
        report = import_frame(
            engine=engine, source=write_csv(folder / "frame.csv", rows), name="Quý III"
        )
        design = create_design(
            session=session,
            spec=DesignCreate(
                name="Theo cơ quan",
                frame_id=report.frame_id,
                allocation=AllocationSpec(n_total=20),
                reserve_per_stratum=2,
            ),
            created_by=None,
        )
        assert design.id is not None
        draw = run_draw(session=session, design_id=design.id, seed=1, created_by=None)
        questionnaire = ensure_builtin_questionnaires(session=session)
        assert draw.id is not None and questionnaire.id is not None
        now = utcnow()
        campaign = create_campaign(
            session=session,
            name="Đợt 2026",
            draw_id=draw.id,
            questionnaire_id=questionnaire.id,
            field_start=now - timedelta(hours=1),
            field_end=now + timedelta(days=14),
        )
        assert campaign.id is not None
        activate_campaign(session=session, campaign_id=campaign.id)
        create_invitations(session=session, settings=settings, campaign_id=campaign.id)
        answered = build_release_campaign(session)
        compute_release(
            session=session, campaign_id=answered.campaign_id, name="Chỉ số", min_respondents=5
        )
    return headers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One seeded database per backend for the whole module (the fuzzer only adds to it)."""
    import os
    import shutil

    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, folder / "sipas.db")
        settings = Settings(database_url=f"sqlite:///{folder / 'sipas.db'}", development=True)
    else:
        if os.environ.get("SIPAS_TEST_SKIP_POSTGRES") == "1":
            pytest.skip("SIPAS_TEST_SKIP_POSTGRES=1")
        url: str = request.getfixturevalue("postgres_migrated_url")
        settings = Settings(database_url=url, development=True)
    engine = make_engine(settings)
    if not settings.is_sqlite:
        _truncate_all(engine)
    headers = _seed(engine, settings, folder)
    app = create_app(settings)
    yield World(app=app, headers=headers)
    app.state.engine.dispose()
    if not settings.is_sqlite:
        _truncate_all(engine)
    engine.dispose()


def _fuzz_operation(operation: Any, headers: dict[str, str]) -> list[str]:
    """Run the generated cases of one operation; return the failures, one line each."""
    failures: list[str] = []

    def check(case: Any, mode: GenerationMode) -> None:
        response = case.call(headers=headers)
        checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as error:  # keep going: report every failure at the end
            summary = str(error).strip().splitlines()
            failures.append(
                f"{operation.method.upper()} {operation.path} [{mode.value}] "
                f"-> {response.status_code}: {' | '.join(summary[:6])}"
            )

    for mode, examples in (
        (GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
        (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES),
    ):
        try:
            _runner(operation, mode, examples, check)()
        except Unsatisfiable:
            # Only possible for negative data: an operation without parameters or body has
            # nothing a request could violate (its positive cases ran above).
            if mode is not GenerationMode.NEGATIVE:
                raise
    return failures


def _runner(operation: Any, mode: GenerationMode, examples: int, check: Any) -> Any:
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        check(case, mode)

    return run


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_as_each_role(world: World, role: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40  # every published operation, none left out
    failures: list[str] = []
    for operation in operations:
        failures += _fuzz_operation(operation, world.headers[role])
    assert failures == [], "\n".join(failures)
