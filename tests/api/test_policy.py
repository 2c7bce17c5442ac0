"""Every route declares one policy, and every route answers each caller as ``docs/access.md`` says.

The test reads the table of ``docs/access.md`` itself, maps each route of ``create_app()`` (API,
pages, mounts, /docs) to one row of it in :data:`ROUTE_ROWS`, and calls the route as nobody, an
admin, a national coordinator, a coordinator scoped to one agency, one scoped to one province,
an analyst and a publisher. Where the table says no, the answer must be 401/403 (pages: the
sign-in page when not signed in, 403 otherwise); where it says yes (or "own ... only"),
anything but 401/403/5xx. A new route without a policy, or without a row here, fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.pages.coordinator import csrf_token
from api.policy import app_routes, route_policies
from survey.settings import Settings
from survey.sms.kannel import dlr_signature
from survey.users import create_api_token
from tests.api.access_world import World, build_world
from tests.api.fast_users import make_user
from tests.survey.campaign_factory import build_fieldwork

ROOT = Path(__file__).resolve().parents[2]
ACCESS_DOC = ROOT / "docs" / "access.md"
# Columns of the table, and which column each caller of the test reads.
COLUMNS = (
    "admin",
    "national coordinator",
    "scoped coordinator",
    "analyst",
    "publisher",
    "no sign-in",
)
CALLER_COLUMN = {
    "anonymous": "no sign-in",
    "admin": "admin",
    "national": "national coordinator",
    "agency": "scoped coordinator",
    "province": "scoped coordinator",
    "analyst": "analyst",
    "publisher": "publisher",
}

IMPORT = "import a frame"
LIST = "list frames, designs, draws"
PROBLEMS = "frame import problems"
DOSSIERS = "dossiers and sample downloads"
Q_EDIT = "questionnaires: create"
Q_READ = "questionnaires: read"
FIELDWORK = "campaigns: create"
CAMPAIGN = "campaigns: read"
OUTBOX = "outbox"
LETTERS = "letters"
PDF_LETTERS = "printed letters as PDF"
RESPONSES = "responses export"
DISPOSITIONS = "dispositions export"
COMPUTE = "releases: compute"
RELEASE = "releases: read"
PUBLISH = "releases: publish"
DASHBOARD = "analyst dashboard"
ADMIN = "users, roles"
OWN_TOKENS = "own API tokens"
OWN_ACCOUNT = "own account"
PUBLIC = "sign-in page"
HEALTH = "health checks"
PUBLIC_SITE = "public site of published releases"
CITIZEN = "a citizen's answer pages"
GATEWAY = "SMS gateway callbacks"
DATA_ENTRY_SUPERVISION = "data entry supervision"
DATA_ENTRY = "data entry: keying"
INTERVIEW_ASSIGN = "interview assignments"
INTERVIEWS = "interviews: the interviewer's own"
BACKCHECKS = "back-checks"
BACKCHECK_RATE = "back-check rate"

# (method, path) -> the row of docs/access.md that says who may call it.
ROUTE_ROWS: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/healthz"): HEALTH,
    ("GET", "/readyz"): HEALTH,
    ("GET", "/metrics"): HEALTH,
    ("GET", "/public"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/charts/{name}.svg"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/release.csv"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/dictionary.csv"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/shares.csv"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/release.xlsx"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/release.pdf"): PUBLIC_SITE,
    ("GET", "/public/releases/{release_id}/release.json"): PUBLIC_SITE,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/staff/sign-in"): PUBLIC,
    ("POST", "/staff/sign-in"): PUBLIC,
    ("POST", "/staff/sign-out"): PUBLIC,
    ("POST", "/api/auth/token"): PUBLIC,
    ("GET", "/api/auth/me"): OWN_ACCOUNT,
    ("GET", "/staff"): OWN_ACCOUNT,
    ("GET", "/api/auth/tokens"): OWN_TOKENS,
    ("DELETE", "/api/auth/tokens/{token_id}"): OWN_TOKENS,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("GET", "/api/users/{user_id}"): ADMIN,
    ("PATCH", "/api/users/{user_id}"): ADMIN,
    ("POST", "/api/users/{user_id}/disable"): ADMIN,
    ("POST", "/api/users/{user_id}/enable"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    ("GET", "/api/audit/verify"): ADMIN,
    ("GET", "/staff/audit"): ADMIN,
    # frames, designs, draws
    ("POST", "/api/frames"): IMPORT,
    ("GET", "/api/frames"): LIST,
    ("GET", "/api/frames/{frame_id}"): LIST,
    ("GET", "/api/frames/{frame_id}/problems"): PROBLEMS,
    ("GET", "/api/frames/{frame_id}/problems.{fmt}"): PROBLEMS,
    ("GET", "/api/frames/{frame_id}/dossiers"): DOSSIERS,
    ("POST", "/api/designs/preview"): IMPORT,
    ("POST", "/api/designs"): IMPORT,
    ("GET", "/api/designs"): LIST,
    ("GET", "/api/designs/{design_id}"): LIST,
    ("GET", "/api/designs/{design_id}/preview"): LIST,
    ("POST", "/api/designs/{design_id}/draws"): IMPORT,
    ("GET", "/api/draws"): LIST,
    ("GET", "/api/draws/{draw_id}"): LIST,
    ("GET", "/api/draws/{draw_id}/precision.{fmt}"): LIST,
    ("GET", "/api/draws/{draw_id}/sample.{fmt}"): DOSSIERS,
    ("GET", "/staff/frames"): LIST,
    ("GET", "/staff/frames/upload"): IMPORT,
    ("POST", "/staff/frames/upload"): IMPORT,
    ("GET", "/staff/frames/{frame_id}"): LIST,
    ("GET", "/staff/frames/{frame_id}/problems.csv"): PROBLEMS,
    ("GET", "/staff/frames/{frame_id}/problems.xlsx"): PROBLEMS,
    ("GET", "/staff/frames/mapping/{staging_id}"): IMPORT,
    ("POST", "/staff/frames/mapping/{staging_id}"): IMPORT,
    ("GET", "/staff/designs"): LIST,
    ("GET", "/staff/designs/new"): IMPORT,
    ("POST", "/staff/designs/new"): IMPORT,
    ("GET", "/staff/designs/{design_id}"): LIST,
    ("POST", "/staff/designs/{design_id}/draws"): IMPORT,
    ("GET", "/staff/draws"): LIST,
    ("GET", "/staff/draws/{draw_id}"): LIST,
    # questionnaires
    ("GET", "/api/questionnaires"): Q_READ,
    ("GET", "/api/questionnaires/{questionnaire_id}"): Q_READ,
    ("GET", "/api/questionnaires/{questionnaire_id}/export"): Q_READ,
    ("POST", "/api/questionnaires"): Q_EDIT,
    ("PUT", "/api/questionnaires/{questionnaire_id}"): Q_EDIT,
    ("POST", "/api/questionnaires/{questionnaire_id}/publish"): Q_EDIT,
    # campaigns and fieldwork
    ("POST", "/api/campaigns"): FIELDWORK,
    ("GET", "/api/campaigns"): CAMPAIGN,
    ("GET", "/api/campaigns/{campaign_id}"): CAMPAIGN,
    ("POST", "/api/campaigns/{campaign_id}/activate"): FIELDWORK,
    ("POST", "/api/campaigns/{campaign_id}/close"): FIELDWORK,
    ("POST", "/api/campaigns/{campaign_id}/invitations"): FIELDWORK,
    ("GET", "/api/campaigns/{campaign_id}/sms/preview"): FIELDWORK,
    ("POST", "/api/campaigns/{campaign_id}/sms/queue"): FIELDWORK,
    ("GET", "/api/campaigns/{campaign_id}/sms/counts"): OUTBOX,
    ("POST", "/api/campaigns/{campaign_id}/sms/messages/{message_id}/requeue"): OUTBOX,
    ("GET", "/api/campaigns/{campaign_id}/dispositions"): CAMPAIGN,
    ("GET", "/api/campaigns/{campaign_id}/exports/responses.{fmt}"): RESPONSES,
    ("GET", "/api/campaigns/{campaign_id}/exports/dispositions.{fmt}"): DISPOSITIONS,
    ("GET", "/api/campaigns/{campaign_id}/letters"): LETTERS,
    ("GET", "/api/campaigns/{campaign_id}/letters/parts"): PDF_LETTERS,
    ("GET", "/api/campaigns/{campaign_id}/letters.pdf"): PDF_LETTERS,
    ("GET", "/api/campaigns/{campaign_id}/invitations/{invitation_id}/letter.pdf"): PDF_LETTERS,
    ("POST", "/api/campaigns/{campaign_id}/purge"): FIELDWORK,
    ("GET", "/staff/campaigns"): CAMPAIGN,
    ("POST", "/staff/campaigns"): FIELDWORK,
    ("GET", "/staff/campaigns/{campaign_id}"): CAMPAIGN,
    ("POST", "/staff/campaigns/{campaign_id}/messages/{message_id}/requeue"): OUTBOX,
    ("POST", "/staff/campaigns/{campaign_id}/{action}"): FIELDWORK,
    # interviews
    ("GET", "/staff/interview-assignments/{campaign_id}"): INTERVIEW_ASSIGN,
    ("POST", "/staff/interview-assignments/{campaign_id}"): INTERVIEW_ASSIGN,
    ("GET", "/staff/interviews"): INTERVIEWS,
    ("GET", "/staff/interviews/{assignment_id}"): INTERVIEWS,
    ("POST", "/staff/interviews/{assignment_id}/attempts"): INTERVIEWS,
    ("GET", "/staff/interviews/{assignment_id}/p/{number}"): INTERVIEWS,
    ("POST", "/staff/interviews/{assignment_id}/p/{number}"): INTERVIEWS,
    ("GET", "/staff/interviews/{assignment_id}/review"): INTERVIEWS,
    ("POST", "/staff/interviews/{assignment_id}/complete"): INTERVIEWS,
    ("GET", "/api/interviews"): INTERVIEWS,
    ("GET", "/api/interviews/{assignment_id}"): INTERVIEWS,
    ("POST", "/api/interviews/{assignment_id}/attempts"): INTERVIEWS,
    # back-checks (phuc tra)
    ("GET", "/staff/campaigns/{campaign_id}/backchecks"): BACKCHECKS,
    ("POST", "/staff/campaigns/{campaign_id}/backchecks/{backcheck_id}/outcome"): BACKCHECKS,
    ("POST", "/staff/campaigns/{campaign_id}/backchecks/{backcheck_id}/decision"): BACKCHECKS,
    ("POST", "/staff/campaigns/{campaign_id}/backchecks/rate"): BACKCHECK_RATE,
    # data entry of paper forms
    ("GET", "/staff/entry"): DATA_ENTRY,
    ("POST", "/staff/entry"): DATA_ENTRY,
    ("GET", "/staff/entry/forms/{form_number}"): DATA_ENTRY,
    ("POST", "/staff/entry/forms/{form_number}"): DATA_ENTRY,
    ("GET", "/staff/entry/campaigns"): DATA_ENTRY_SUPERVISION,
    ("GET", "/staff/entry/campaigns/{campaign_id}"): DATA_ENTRY_SUPERVISION,
    ("GET", "/staff/entry/disagreements/{entry_id}"): DATA_ENTRY_SUPERVISION,
    ("POST", "/staff/entry/disagreements/{entry_id}"): DATA_ENTRY_SUPERVISION,
    ("GET", "/api/entry/forms/{form_number}"): DATA_ENTRY,
    ("POST", "/api/entry/forms/{form_number}"): DATA_ENTRY,
    ("GET", "/api/entry/campaigns/{campaign_id}/disagreements"): DATA_ENTRY_SUPERVISION,
    ("GET", "/api/entry/disagreements/{entry_id}"): DATA_ENTRY_SUPERVISION,
    ("POST", "/api/entry/disagreements/{entry_id}"): DATA_ENTRY_SUPERVISION,
    # releases
    ("POST", "/api/campaigns/{campaign_id}/releases"): COMPUTE,
    ("GET", "/api/releases"): RELEASE,
    ("GET", "/api/releases/{release_id}"): RELEASE,
    ("POST", "/api/releases/{release_id}/submit"): COMPUTE,
    ("POST", "/api/releases/{release_id}/publish"): PUBLISH,
    ("POST", "/api/releases/{release_id}/send-back"): PUBLISH,
    ("POST", "/api/releases/{release_id}/corrections"): COMPUTE,
    ("GET", "/api/releases/{release_id}/release.csv"): RELEASE,
    ("GET", "/api/releases/{release_id}/release.xlsx"): RELEASE,
    ("GET", "/api/releases/{release_id}/release.pdf"): RELEASE,
    ("GET", "/api/releases/{release_id}/release.json"): RELEASE,
    ("GET", "/api/releases/{release_id}/dictionary.csv"): RELEASE,
    ("GET", "/api/releases/{release_id}/shares.csv"): RELEASE,
    ("GET", "/staff/releases"): RELEASE,
    ("POST", "/staff/releases"): COMPUTE,
    ("GET", "/staff/dashboard"): DASHBOARD,
    ("GET", "/staff/dashboard/releases/{release_id}/charts/{name}.svg"): DASHBOARD,
    ("GET", "/staff/releases/{release_id}"): RELEASE,
    ("POST", "/staff/releases/{release_id}/submit"): COMPUTE,
    ("POST", "/staff/releases/{release_id}/publish"): PUBLISH,
    ("POST", "/staff/releases/{release_id}/send-back"): PUBLISH,
    ("POST", "/staff/releases/{release_id}/correct"): COMPUTE,
    # citizens and the SMS gateway
    ("GET", "/r/{token}"): CITIZEN,
    ("GET", "/m"): CITIZEN,
    ("GET", "/m/{code}"): CITIZEN,
    ("POST", "/r/{token}/start"): CITIZEN,
    ("GET", "/r/{token}/p/{number}"): CITIZEN,
    ("POST", "/r/{token}/p/{number}"): CITIZEN,
    ("GET", "/r/{token}/review"): CITIZEN,
    ("POST", "/r/{token}/submit"): CITIZEN,
    ("GET", "/r/{token}/thanks"): CITIZEN,
    ("GET", "/r/{token}/opt-out"): CITIZEN,
    ("POST", "/r/{token}/opt-out"): CITIZEN,
    ("GET", "/sms/kannel/dlr"): GATEWAY,
    ("GET", "/sms/kannel/inbound"): GATEWAY,
    ("GET", "/sms/kannel/inbound/{key}"): GATEWAY,
}


def access_table() -> dict[str, dict[str, bool]]:
    """docs/access.md's table: row -> column -> allowed ("yes...", "own ...", "the ...")."""
    table: dict[str, dict[str, bool]] = {}
    for line in ACCESS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(COLUMNS) or cells[0] in ("what", "") or set(cells[0]) <= {"-"}:
            continue
        table[cells[0]] = {
            column: cell.startswith(("yes", "own", "the "))
            for column, cell in zip(COLUMNS, cells[1:], strict=True)
        }
    return table


def _row(table: dict[str, dict[str, bool]], key: str) -> dict[str, bool]:
    matches = [name for name in table if name.startswith(key)]
    assert len(matches) == 1, f"{key!r} names {matches} in docs/access.md"
    return table[matches[0]]


def declared_routes() -> list[tuple[str, str, Any]]:
    """(method, path, route) for every route of the app; mounts as GET."""
    app = create_app(Settings(database_url="sqlite://", development=True))
    found = []
    for route in app_routes(app):
        path = getattr(route, "path", None)
        assert path is not None, f"a route without a path: {route!r}"
        methods = getattr(route, "methods", None) or {"GET"}
        for method in sorted(set(methods) - {"HEAD"}):
            found.append((method, path, route))
    return found


def test_every_route_declares_exactly_one_policy() -> None:
    missing = []
    for method, path, route in declared_routes():
        policies = route_policies(route)
        if len(policies) != 1:
            missing.append(f"{method} {path}: {[p.name for p in policies]}")
    assert not missing, "declare one policy of api/policy.py on: " + "; ".join(missing)


def test_every_route_has_a_row_of_the_access_table() -> None:
    table = access_table()
    routes = {(method, path) for method, path, _ in declared_routes()}
    unmapped = sorted(routes - set(ROUTE_ROWS))
    assert not unmapped, f"map these routes to a row of docs/access.md in ROUTE_ROWS: {unmapped}"
    assert not sorted(set(ROUTE_ROWS) - routes), "ROUTE_ROWS names routes the app does not have"
    for key in set(ROUTE_ROWS.values()):
        _row(table, key)


def test_the_table_reads_as_the_team_agreed() -> None:
    """The parser reads yes/own/no as meant (so the walk below cannot pass on a misread doc)."""
    table = access_table()
    assert _row(table, PUBLISH) == dict.fromkeys(COLUMNS, False) | {
        "admin": True,
        "publisher": True,
    }
    assert _row(table, RESPONSES) == {
        "admin": True,
        "national coordinator": False,
        "scoped coordinator": False,
        "analyst": True,
        "publisher": False,
        "no sign-in": False,
    }
    assert _row(table, DOSSIERS)["scoped coordinator"] and not _row(table, DOSSIERS)["analyst"]
    assert _row(table, CITIZEN) == dict.fromkeys(COLUMNS, False) | {"no sign-in": True}


# ----------------------------------------------------------------------------- the walk


class Walk:
    """Calls a route as one caller with the right credentials, path values and body."""

    def __init__(self, client: TestClient, settings: Settings, world: World, spare: dict[str, Any]):
        self.client = client
        self.settings = settings
        self.world = world
        self.spare = spare

    def path_values(self, method: str, path: str) -> dict[str, str]:
        w = self.world
        campaign = w.campaign_id
        if path.endswith(("/close", "/purge", "/{action}")) or "/messages/" in path:
            campaign = self.spare["campaign_id"]  # closing must not end the walk's campaign
        if path.endswith("/releases") and method == "POST":
            campaign = w.release_campaign_id
        release = w.draft_release_id if path.endswith("/publish") else w.published_release_id
        return {
            "frame_id": str(w.frame_id),
            "design_id": str(w.design_id),
            "draw_id": str(w.draw_id),
            "campaign_id": str(campaign),
            "release_id": str(release),
            "questionnaire_id": str(w.questionnaire_id),
            "message_id": "999999",
            "invitation_id": "999999",
            "code": "Z" * 26,
            "token_id": "999999",
            "entry_id": "999999",
            "form_number": "1234567890",
            "assignment_id": "999999",
            "backcheck_id": "999999",
            "staging_id": "Z" * 22,
            "user_id": str(self.spare["user_id"]),
            "token": w.citizen_token,
            "number": "1",
            "fmt": "csv",
            "action": "invite",
            "name": "domains",
            "key": self.settings.keys.sms_inbound_credential,
        }

    def url(self, method: str, path: str, caller: str) -> str:
        url = re.sub(r"\{(\w+)\}", lambda m: self.path_values(method, path)[m.group(1)], path)
        if path == "/static":
            return "/static/staff.css"
        if caller == "anonymous" and path == "/sms/kannel/dlr":
            sig = dlr_signature(self.settings.keys.sms_delivery_report, "unknown-id")
            return url + "?" + urlencode({"message_id": "unknown-id", "sig": sig, "status": "1"})
        if caller == "anonymous" and path == "/sms/kannel/inbound":
            key = self.settings.keys.sms_inbound_credential
            return url + "?" + urlencode({"key": key, "sender": "+84901234567", "text": "hi"})
        if path == "/sms/kannel/inbound/{key}":
            # Staff callers do not hold the gateway's key.
            key = self.settings.keys.sms_inbound_credential if caller == "anonymous" else "no"
            return f"/sms/kannel/inbound/{key}?" + urlencode({"sender": "+849", "text": "hi"})
        return url

    def call(self, method: str, path: str, caller: str) -> Any:
        token = self.world.tokens.get(caller)
        if path == "/staff/sign-out" and token is not None:
            # Signing out ends the session: use one of its own.
            token = create_api_token(
                session=self.spare["session"], user_id=self.world.user_ids[caller], name="walk"
            )
        headers: dict[str, str] = {}
        page = not path.startswith(("/api", "/sms", "/openapi", "/docs", "/static"))
        if token is not None:
            if page:
                headers["Cookie"] = f"sipas_session={token}"
            else:
                headers["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": headers}
        if method in ("POST", "PUT", "PATCH"):
            if page:
                csrf = csrf_token(self.settings, token) if token else ""
                kwargs["data"] = {"csrf": csrf}
            else:
                kwargs["json"] = {}
        self.client.cookies.clear()
        return self.client.request(method, self.url(method, path, caller), **kwargs)


def _verdict(response: Any, row: str) -> str:
    """ "refused", "allowed" or "error", from the status and (pages) the redirect target."""
    if response.status_code >= 500:
        return "error"
    location = response.headers.get("location", "")
    if response.status_code in (401, 403):
        return "refused"
    if response.is_redirect and location.startswith("/staff/sign-in") and row != PUBLIC:
        return "refused"
    return "allowed"


@pytest.fixture
def world(
    settings: Settings, session: Session, engine: Engine, tmp_path: Path
) -> tuple[World, dict[str, Any]]:
    built = build_world(session, engine, settings, tmp_path)
    spare_user = make_user(session, "analyst", "spare-user")
    spare_campaign = build_fieldwork(session).campaign
    spare = {"user_id": spare_user.id, "campaign_id": spare_campaign.id, "session": session}
    return built, spare


def test_every_route_answers_each_caller_as_the_table_says(
    settings: Settings, world: tuple[World, dict[str, Any]]
) -> None:
    table = access_table()
    built, spare = world
    wrong = []
    with TestClient(create_app(settings), follow_redirects=False) as client:
        walk = Walk(client, settings, built, spare)
        for method, path, _ in declared_routes():
            row = ROUTE_ROWS[(method, path)]
            allowed = _row(table, row)
            callers = (
                "anonymous",
                "analyst",
                "province",
                "agency",
                "national",
                "publisher",
                "admin",
            )
            for caller in callers:
                response = walk.call(method, path, caller)
                verdict = _verdict(response, row)
                expected = "allowed" if allowed[CALLER_COLUMN[caller]] else "refused"
                if verdict != expected:
                    wrong.append(
                        f"{method} {path} as {caller}: {response.status_code} ({verdict}), "
                        f"docs/access.md row {row!r} says {expected}: {response.text[:160]}"
                    )
    assert not wrong, "\n".join(wrong)
