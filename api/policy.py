"""Who may call what: one named policy per route, the table of ``docs/access.md`` in code.

Every route and page declares exactly one policy, as a dependency (``caller: AsCoordinator``) or,
for routes without a signed-in user, in the decorator (``dependencies=[Depends(Public)]``).
``tests/api/test_policy.py`` walks every route of the app, fails on a route without a policy and
calls each one as every kind of caller, so the table and the code cannot drift apart.

A policy that lets staff through returns a :class:`Caller`: the user and their :class:`Scope`,
which the route passes on to the use cases (they filter in SQL). Policies never look at the
resource: "own agencies only" is the use case's job, given the scope.

=====================  ==========================================  ======================
policy                 who passes                                   scoped coordinators
=====================  ==========================================  ======================
Admin                  admin                                        no
ReleasePublisher       admin, publisher                             no
NationalCoordinator    admin, coordinator                           no
Coordinator            admin, coordinator                           yes (scope returned)
Analyst                admin, analyst                               no
StaffReader            admin, coordinator, analyst, publisher       yes (scope returned)
Interviewer            interviewer (their own assignments only)     no
DataEntry              clerk                                        yes (a clerk's scope)
Public                 anyone, no sign-in (sign-in page, /docs...)  --
Gateway                anyone; the handler checks the gateway key   --
Citizen                the link holder; refused with a staff cookie --
=====================  ==========================================  ======================
"""

# No ``from __future__ import annotations``: FastAPI reads the signature of ``Policy.__call__``
# at runtime, and an instance has no ``__globals__`` to resolve string annotations against.

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.routing import Mount

from api.deps import SESSION_COOKIE, SessionDep, current_user
from survey.errors import PermissionDenied
from survey.models import StaffUser
from survey.users import Scope, user_scope

STAFF_ROLES = frozenset({"admin", "coordinator", "analyst", "publisher", "interviewer", "clerk"})
# Mounted apps by name; they take no dependencies, so their policy is a tag on the route.
PUBLIC_MOUNTS = frozenset({"static"})


@dataclass(frozen=True)
class Caller:
    """The signed-in staff user a policy let through, and what they may see."""

    user: StaffUser
    scope: Scope

    @property
    def id(self) -> int | None:
        return self.user.id

    @property
    def role(self) -> str:
        return self.user.role


class Policy:
    """A staff policy: the roles that pass and whether a scoped coordinator does.

    Admins pass every staff policy that names them; a coordinator is *scoped* when the account
    has agency or province scope rows (:func:`survey.users.user_scope`).
    """

    def __init__(self, name: str, *, roles: Iterable[str], scoped: bool, summary: str) -> None:
        self.name = name
        self.roles = frozenset(roles)
        self.scoped = scoped
        self.summary = summary
        unknown = self.roles - STAFF_ROLES
        assert not unknown, f"unknown roles {unknown}"

    def __repr__(self) -> str:
        return f"Policy({self.name})"

    def allows(self, role: str | None, *, limited: bool = False) -> bool:
        """Whether a caller with ``role`` (None: not signed in) and scope passes."""
        if role is None or role not in self.roles:
            return False
        return self.scoped or not limited

    def __call__(
        self, user: Annotated[StaffUser, Depends(current_user)], session: SessionDep
    ) -> Caller:
        if user.role not in self.roles:
            roles = " or ".join(sorted(self.roles))
            raise PermissionDenied(f"this needs the role {roles}; your role is {user.role}")
        scope = user_scope(session=session, user=user)
        if scope.limited and not self.scoped:
            raise PermissionDenied(
                "this covers every agency and province, and your account is limited to some of "
                "them; ask a national coordinator or an administrator"
            )
        return Caller(user=user, scope=scope)


class OpenPolicy:
    """A policy for requests without a staff sign-in (it checks nothing, or only a cookie)."""

    def __init__(self, name: str, *, summary: str) -> None:
        self.name = name
        self.summary = summary

    def __repr__(self) -> str:
        return f"Policy({self.name})"

    # async: no I/O here, so no thread-pool hop on every request it guards.
    async def __call__(self) -> None:
        return None


class StaffSessionOnCitizenPage(PermissionDenied):
    """A citizen's answer page was requested with a staff session cookie."""


class CitizenPolicy(OpenPolicy):
    """The link is the citizen's only key; a browser signed in as staff is turned away.

    Staff could otherwise read or change unsubmitted answers with a link from the outbox or a
    letter. The cookie's presence is enough (no database lookup on the citizen's hot path): the
    refusal happens before the handler, so nothing is recorded or changed.
    """

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        if request.cookies.get(SESSION_COOKIE):
            raise StaffSessionOnCitizenPage(
                "this is a citizen's personal answer page: sign out of the staff pages or open "
                "the link in a private window"
            )


Admin = Policy(
    "Admin",
    roles={"admin"},
    scoped=False,
    summary="users, roles, scopes, other people's tokens, the audit log",
)
ReleasePublisher = Policy(
    "ReleasePublisher",
    roles={"admin", "publisher"},
    scoped=False,
    summary="publishing an index release someone else computed and submitted",
)
NationalCoordinator = Policy(
    "NationalCoordinator",
    roles={"admin", "coordinator"},
    scoped=False,
    summary="frames, designs, draws, questionnaires and fieldwork covering every agency",
)
Coordinator = Policy(
    "Coordinator",
    roles={"admin", "coordinator"},
    scoped=True,
    summary="dossiers, samples and import problems, limited to the caller's scope",
)
Analyst = Policy(
    "Analyst",
    roles={"admin", "analyst"},
    scoped=False,
    summary="answer microdata and computing releases (never phones or dossiers)",
)
StaffReader = Policy(
    "StaffReader",
    roles={"admin", "coordinator", "analyst", "publisher"},
    scoped=True,
    summary="reading metadata and aggregates, limited to the caller's scope",
)
Interviewer = Policy(
    "Interviewer",
    roles={"interviewer"},
    scoped=False,
    summary="an interviewer's own call list, attempts and interviews in progress",
)
DataEntry = Policy(
    "DataEntry",
    roles={"clerk"},
    scoped=True,
    summary="keying returned paper forms (a clerk limited to some agencies keys only theirs)",
)
Public = OpenPolicy("Public", summary="no sign-in: the sign-in page, static files, /docs")
Gateway = OpenPolicy("Gateway", summary="the SMS gateway; the handler checks its key")
Citizen = CitizenPolicy("Citizen", summary="the citizen's link; refused with a staff cookie")

AsAdmin = Annotated[Caller, Depends(Admin)]
AsReleasePublisher = Annotated[Caller, Depends(ReleasePublisher)]
AsNationalCoordinator = Annotated[Caller, Depends(NationalCoordinator)]
AsCoordinator = Annotated[Caller, Depends(Coordinator)]
AsAnalyst = Annotated[Caller, Depends(Analyst)]
AsStaff = Annotated[Caller, Depends(StaffReader)]
AsInterviewer = Annotated[Caller, Depends(Interviewer)]
AsClerk = Annotated[Caller, Depends(DataEntry)]

AnyPolicy = Policy | OpenPolicy


def app_routes(app: FastAPI) -> Iterator[Any]:
    """Every route of the app, those of included routers one by one (FastAPI includes routers
    lazily, as one entry of ``app.routes`` each)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield route


def route_policies(route: Any) -> list[AnyPolicy]:
    """The policies a route declares: its dependencies' (recursively) or its ``policy`` tag."""
    tagged = getattr(route, "policy", None)
    if isinstance(tagged, Policy | OpenPolicy):
        return [tagged]
    dependant = getattr(route, "dependant", None)
    found: list[AnyPolicy] = []
    stack: list[Any] = list(dependant.dependencies) if dependant is not None else []
    seen: set[int] = set()
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, Policy | OpenPolicy) and id(dependency.call) not in seen:
            seen.add(id(dependency.call))
            found.append(dependency.call)
        stack.extend(dependency.dependencies)
    return found


def _staff_on_citizen_page(request: Request, exc: Exception) -> Response:
    # Imported here: the page kit imports this module for its policies.
    from api.pages.coordinator import staff_session_refusal

    return staff_session_refusal(request)


def install_policies(app: FastAPI) -> None:
    """Tag the routes FastAPI and Starlette add themselves (docs, static files) as public, and
    answer a staff cookie on a citizen's page with a page saying what to do."""
    urls = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    builtin = {url for url in urls if url}
    for route in app.routes:
        path = getattr(route, "path", None)
        mounted = isinstance(route, Mount) and route.name in PUBLIC_MOUNTS
        if mounted or (path in builtin and not hasattr(route, "dependant")):
            route.policy = Public  # type: ignore[attr-defined]
    app.add_exception_handler(StaffSessionOnCitizenPage, _staff_on_citizen_page)
    declare_security(app)


# How a staff caller signs in, as /docs's "Authorize" button offers it.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/auth/token: 'Authorization: Bearer <token>'.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The staff pages' sign-in cookie; a request that changes something "
        "also needs the CSRF header.",
    },
}


def declare_security(app: FastAPI) -> None:
    """Publish the Bearer and cookie schemes, and on every staff operation (a :class:`Policy`)
    that either one is accepted; public, citizen and gateway operations declare none."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        staff = {
            (method.lower(), route.path)
            for route in app_routes(app)
            if any(isinstance(p, Policy) for p in route_policies(route))
            for method in getattr(route, "methods", None) or ()
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if (method, path) in staff:
                    operation["security"] = [{"bearerToken": []}, {"sessionCookie": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
