"""Every message the fieldwork, account and operations use cases raise reads in Vietnamese.

For each module of ``api.problem_catalogue`` listed in :data:`AREAS`, the survey modules it speaks
for are read as source (their AST): every message given to an error class of ``survey.errors``
(or a subclass) or to ``Problem(loc, msg)`` is collected, an f-string with example values for its
placeholders (the real value of a module constant, the sentences a local variable or helper can
hold, or an example from :data:`EXAMPLES`). Each message must fully match an entry of
these modules (the first the whole catalogue tries), and the Vietnamese that
:func:`api.problem_text.problem_text` gives must keep every quoted value.

A message this reader cannot follow (the text of a caught exception, a parameter) must be listed
in :data:`PASSED_THROUGH` with the reason, so a new raise site is never skipped in silence.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import itertools
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.i18n import role_name
from api.pages.coordinator import csrf_token
from api.problem_catalogue import entries as catalogue_entries
from api.problem_catalogue import status_name
from api.problem_text import problem_text
from survey.passwords import password_problems
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import make_user
from tests.survey.campaign_factory import build_fieldwork

ROOT = Path(__file__).resolve().parents[2]

# Catalogue module -> the survey modules (files or folders) whose messages it says in Vietnamese.
AREAS: dict[str, tuple[str, ...]] = {
    "interviews": ("survey/interviews.py",),
    "users": ("survey/users.py", "survey/passwords.py"),
    "backchecks": ("survey/backchecks.py",),
    "data_entry": ("survey/data_entry",),
    "backups": ("survey/backups.py",),
    "outbox": ("survey/outbox.py", "survey/sms"),
    "paper_forms": ("survey/paper_forms.py", "survey/paper_questionnaire.py"),
    "letters": ("survey/letters.py", "survey/letter_pdf.py"),
    "invitations": (
        "survey/invitations.py",
        "survey/reminders.py",
        "survey/optouts.py",
        "survey/tokens.py",
    ),
    "responses": ("survey/responses.py", "survey/short_links.py"),
    "operations": (
        "survey/purge.py",
        "survey/audit.py",
        "survey/errors.py",
        "survey/worker.py",
        "survey/dispositions.py",
        "survey/rate_limits.py",
        "survey/settings.py",
        "survey/logging_setup.py",
        "survey/monitoring.py",
        "survey/models",
    ),
}

# Exceptions outside the error tree whose text reaches a page as an error's message:
# survey.outbox turns a TemplateError into InvalidInput(str(error)).
WRAPPED = {"TemplateError"}

# Example values of placeholders that hold a local value (the source of the expression as key).
# A placeholder whose expression names an id ("case_id", "invitation.id") gets "17".
EXAMPLES: dict[str, tuple[str, ...]] = {
    "mode": ("phone", "online"),
    "max_attempts": ("0",),
    "page + 1": ("3",),
    "len(pages)": ("6",),
    "state.value": ("opted_out", "revoked", "expired", "not_open"),
    "code": ("9.9",),
    "assignment.mode": ("phone", "face_to_face"),
    "assignment.status": ("completed", "closed", "answered_elsewhere"),
    "text": ("tomorrow 3pm",),
    "choices": ("2.11, 2.12, 3.11",),
    "username": ("nguyen.an",),
    "user.username": ("nguyen.an",),
    "role": ("boss",),
    "lifetimes.api.days": ("90",),
    "latest": ("2027-03-02",),
    "rate": ("1.5",),
    "outcome": ("maybe",),
    "backcheck.decision": ("excluded", "kept"),
    "format_form_number(number)": ("12345-67890",),
    "format_form_number(digits)": ("12345-67890",),
    "survey/backups.py:name": ("pg_dump",),
    "campaign.name": ("Khảo sát quý 1",),
    "len(secret_key)": ("20",),
    "error": ("Single '}' encountered in format string", "expected '}' before end of string"),
    "name": ("agency.name",),
    "self.max_segments": ("0",),
    "', '.join(('{' + n + '}' for n in missing))": ("{link}",),
    "', '.join(self.variables) or 'no variables'": ("agency, link", "no variables"),
    "', '.join((repr(n) for n in unknown))": ("'deadline'",),
    "count.segments": ("3",),
    "count.units": ("320",),
    "count.encoding.value": ("ucs2",),
    "action": ("pg_dump", "pg_restore"),
    "path": ("/var/backups/sipas-2026-03-01.db",),
    "source_path": ("/var/lib/sipas/sipas.db",),
    "verdict": ("('*** in database main ***\\nPage 5 is never used',)",),
    "shown": ("campaign, invitation, response", "a, b, c, d, e, ..."),
    # A campaign's status is draft, active or closed (its contacts' purge is a separate date).
    "campaign.status": ("draft", "closed"),
    "survey/purge.py:campaign.status": ("draft", "active"),
    "previous": ("queued", "sending", "sent", "delivered"),
    "kind": ("invitation", "reminder"),
    "agency": ("Sở Tư pháp",),
    "parts": ("2",),
    "max_parts": ("1",),
    "len(digits)": ("9",),
    "unknown[0]": ("17",),
    "channel": ("fax",),
    "part": ("4",),
    "len(canonical)": ("5",),
    "ch": ("O",),
    "_wait_text(wait)": ("45 seconds", "15 minutes"),
    "entry": ("10.1.2.300",),
    "by": ("colour",),
    "value": ("yaml",),
    "settings.sms_gateway": ("pigeon",),
    "others": ("4, 7",),
    "', '.join(map(str, others))": ("4, 7",),
}

# Messages this reader cannot follow: (file, source of the argument) -> why it needs no entry.
PASSED_THROUGH: dict[tuple[str, str], str] = {
    ("survey/errors.py", "msg"): "the error's own message, collected at each raise site",
    ("survey/backups.py", "detail"): "pg_dump's or pg_restore's own error output",
    ("survey/backups.py", "str(source_path)"): "a file path",
    ("survey/backups.py", "str(error)"): "SQLite's own error text about the file",
    ("survey/outbox.py", "str(error)"): "a TemplateError: its messages are collected (WRAPPED)",
    ("survey/outbox.py", "campaign.status"): "a campaign status code: see STATUS_WORDS",
    ("survey/invitations.py", "campaign.status"): "a campaign status code: see STATUS_WORDS",
    ("survey/data_entry/keying_form.py", "problems"): "KeyingInvalid's problems (no message)",
    ("survey/data_entry/entry.py", "msg"): "KeyingRefused's message, collected at its raise sites",
    ("survey/rate_limits.py", "msg"): "SignInLocked's message, collected at its raise sites",
    ("survey/sms/templates.py", "message"): "TemplateError's message, collected at its raise sites",
    ("survey/users.py", "reason"): "the password policy's reasons (see _extra_messages)",
}

# Sentences raised here and in another area, said by that area's module.
SHARED: dict[str, str] = {
    "questionnaire 17 does not exist": "campaigns",
    "closed": "campaigns",
}

# A problem whose message is only a campaign's status code (the field named is "status").
STATUS_WORDS = ("draft", "active", "closed")


@dataclass(frozen=True)
class Message:
    """One example of a raised message: where it is raised and its text."""

    where: str
    text: str


def _area_files(area: str) -> list[Path]:
    files: list[Path] = []
    for entry in AREAS[area]:
        path = ROOT / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return files


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _error_classes() -> dict[str, int | None]:
    """The error tree's classes by name, each with the position of its ``msg`` argument (None:
    the class gives its own message)."""
    bases = {"SipasError", "InvalidInput", "NotFound", "PermissionDenied", "NotAuthenticated"}
    bases |= {"Conflict", "TooManyRequests"}
    found: dict[str, str] = {name: "survey.errors" for name in bases}
    trees = [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in (ROOT / "survey").rglob("*.py")]
    grew = True
    while grew:
        grew = False
        for path, tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in found:
                    names = {b.id for b in node.bases if isinstance(b, ast.Name)}
                    if names & found.keys():
                        found[node.name] = _module_name(path)
                        grew = True
    positions: dict[str, int | None] = {"Problem": 1}
    for name, module in found.items():
        cls = getattr(importlib.import_module(module), name)
        parameters = [p.name for p in inspect.signature(cls).parameters.values()]
        positions[name] = parameters.index("msg") if "msg" in parameters else None
    positions.update(dict.fromkeys(WRAPPED, 0))
    return positions


ERROR_CLASSES = _error_classes()


class _Reader:
    """The messages of one survey module, with example values."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path.relative_to(ROOT))
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.module: ModuleType = importlib.import_module(_module_name(path))
        self.functions = {
            n.name: n
            for n in self.tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.unfollowed: list[str] = []

    def calls(self) -> Iterator[tuple[ast.expr, ast.AST | None]]:
        """(message argument, enclosing function) of every error or Problem made here."""
        yield from self._calls(self.tree, None, None)

    def _calls(
        self, node: ast.AST, function: ast.AST | None, error_class: str | None
    ) -> Iterator[tuple[ast.expr, ast.AST | None]]:
        for child in ast.iter_child_nodes(node):
            inner_function = function
            inner_class = error_class
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner_function = child
            if isinstance(child, ast.ClassDef):
                inner_class = child.name if child.name in ERROR_CLASSES else None
            if isinstance(child, ast.Call):
                argument = self._message_argument(child, error_class)
                if argument is not None:
                    yield argument, function
            yield from self._calls(child, inner_function, inner_class)

    @staticmethod
    def _message_argument(call: ast.Call, error_class: str | None) -> ast.expr | None:
        func = call.func
        if (
            error_class is not None
            and isinstance(func, ast.Attribute)
            and func.attr == "__init__"
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "super"
        ):
            position: int | None = 0
        else:
            name = func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute):
                name = func.attr
            if name not in ERROR_CLASSES:
                return None
            position = ERROR_CLASSES[name]
        for keyword in call.keywords:
            if keyword.arg == "msg":
                return keyword.value
        if position is None or position >= len(call.args):
            return None
        return call.args[position]

    def texts(self, expr: ast.expr, function: ast.AST | None) -> list[str] | None:
        """Example texts of ``expr`` as raised in ``function``; None when not followed."""
        followed = self._followed(expr, function)
        return followed if followed is not None else self._example(expr)

    def _followed(self, expr: ast.expr, function: ast.AST | None) -> list[str] | None:
        if isinstance(expr, ast.Constant):
            return [expr.value] if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            pieces: list[list[str]] = []
            for part in expr.values:
                if isinstance(part, ast.Constant):
                    pieces.append([str(part.value)])
                    continue
                assert isinstance(part, ast.FormattedValue)
                values = self._placeholder(part, function)
                if values is None:
                    self.unfollowed.append(ast.unparse(part.value))
                    return None
                pieces.append(values)
            return ["".join(p) for p in itertools.islice(itertools.product(*pieces), 64)]
        if isinstance(expr, ast.IfExp):
            body, orelse = self.texts(expr.body, function), self.texts(expr.orelse, function)
            return None if body is None or orelse is None else body + orelse
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self.texts(expr.left, function), self.texts(expr.right, function)
            if left is None or right is None:
                return None
            return [a + b for a, b in itertools.product(left, right)]
        if isinstance(expr, ast.Name):
            return self._name(expr.id, function)
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
            return self._dict_values(expr.value.id, function)
        if isinstance(expr, ast.Call):
            func = expr.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Name)
            ):
                return self._dict_values(func.value.id, function)
            if isinstance(func, ast.Name) and func.id in self.functions:
                return self._returns(self.functions[func.id])
        return None

    def _placeholder(self, part: ast.FormattedValue, function: ast.AST | None) -> list[str] | None:
        spec = ast.unparse(part.format_spec)[2:-1] if part.format_spec is not None else ""
        try:
            value = eval(compile(ast.Expression(part.value), self.where, "eval"), vars(self.module))
        except NameError:
            pass
        else:
            return [repr(value) if part.conversion == ord("r") else format(value, spec)]
        followed = self.texts(part.value, function)
        if followed is None:
            return None
        return [repr(v) if part.conversion == ord("r") else v for v in followed]

    def _example(self, expr: ast.expr) -> list[str] | None:
        source = ast.unparse(expr)
        examples = EXAMPLES.get(f"{self.where}:{source}") or EXAMPLES.get(source)
        if examples is not None:
            return list(examples)
        if re.search(r"(^|[._])id$|_id$", source):
            return ["17"]
        return None

    def _assigned(self, name: str, scope: ast.AST) -> list[ast.expr] | None:
        values: list[ast.expr] = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    values.append(node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
                and node.value is not None
            ):
                values.append(node.value)
            elif isinstance(node, ast.For | ast.arg) and name in _bound_names(node):
                return None  # a loop variable or a parameter: not followed
        return values or None

    def _name(self, name: str, function: ast.AST | None) -> list[str] | None:
        values = self._assigned(name, function) if function is not None else None
        if values is None and function is None:
            values = self._assigned(name, self.tree)
        if values is None:
            return None
        texts: list[str] = []
        for value in values:
            if isinstance(value, ast.Constant) and value.value is None:
                continue
            found = self.texts(value, function)
            if found is None:
                return None
            texts += found
        return texts

    def _dict_values(self, name: str, function: ast.AST | None) -> list[str] | None:
        scopes = [function, self.tree] if function is not None else [self.tree]
        for scope in scopes:
            assert scope is not None
            for value in self._assigned(name, scope) or []:
                if isinstance(value, ast.Dict):
                    texts: list[str] = []
                    for item in value.values:
                        found = self.texts(item, function)
                        if found is None:
                            return None
                        texts += found
                    return texts
        return None

    def _returns(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str] | None:
        texts: list[str] = []
        for node in ast.walk(function):
            if isinstance(node, ast.Return) and node.value is not None:
                if isinstance(node.value, ast.Constant) and node.value.value is None:
                    continue
                found = self.texts(node.value, function)
                if found is None:
                    return None
                texts += found
        return texts or None


def _bound_names(node: ast.For | ast.arg) -> set[str]:
    if isinstance(node, ast.arg):
        return {node.arg}
    return {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}


def _extra_messages(where: str) -> list[str]:
    """Messages that come from outside the module's source: the password policy's reasons."""
    if where == "survey/users.py":
        return [
            *password_problems("kort"),
            *password_problems("x" * 201),
            *password_problems("password1234"),
            *password_problems("nguyenvanan12", user_inputs=["nguyenvanan"]),
        ]
    if where == "survey/outbox.py":
        return list(STATUS_WORDS)
    return []


def collect(area: str) -> tuple[list[Message], list[str]]:
    """The example messages raised in ``area``'s survey modules, and what could not be read."""
    messages: list[Message] = []
    unread: list[str] = []
    for path in _area_files(area):
        reader = _Reader(path)
        for argument, function in reader.calls():
            key = (reader.where, ast.unparse(argument))
            if key in PASSED_THROUGH:
                continue
            reader.unfollowed.clear()
            texts = reader.texts(argument, function)
            if texts is None:
                where = f"{reader.where}:{argument.lineno}"
                detail = ", ".join(reader.unfollowed) or ast.unparse(argument)
                unread.append(f"{where}: {detail}")
                continue
            messages += [Message(f"{reader.where}:{argument.lineno}", t) for t in texts]
        messages += [Message(reader.where, t) for t in _extra_messages(reader.where)]
    return messages, unread


def entries(area: str) -> tuple[tuple[str, str], ...]:
    """The ENTRIES of catalogue module ``area``."""
    module = importlib.import_module(f"api.problem_catalogue.{area}")
    found: tuple[tuple[str, str], ...] = module.ENTRIES
    return found


ALL_ENTRIES = [(area, p, t) for area in AREAS for p, t in entries(area)]
COMPILED = [(area, re.compile(p, re.DOTALL), t) for area, p, t in ALL_ENTRIES]
# The whole catalogue in the order api.problem_text tries it: a message must be caught first by
# an entry of these modules, not by another area's broader pattern.
MERGED = [(e.module, re.compile(e.pattern, re.DOTALL)) for e in catalogue_entries()]


def first_entry(text: str) -> tuple[str, re.Match[str]] | None:
    """The catalogue module and match of the first entry that says ``text``."""
    for module, pattern in MERGED:
        match = pattern.fullmatch(text)
        if match is not None:
            return module, match
    return None


def kept(name: str, value: str) -> str:
    """How a quoted value reads in the Vietnamese (roles and statuses by their names)."""
    if name == "role":
        return role_name(value, "vi")
    if name == "roles":
        return role_name(value.split(" or ")[0], "vi")
    if name == "status":
        return status_name(value)
    return value


@pytest.mark.parametrize(("area", "pattern", "template"), ALL_ENTRIES)
def test_every_entry_is_well_formed(area: str, pattern: str, template: str) -> None:
    groups = set(re.compile(pattern).groupindex)
    used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    assert used <= groups, f"{area}: the template uses {used - groups}, not groups of {pattern}"
    assert groups <= used | {"rest"}, f"{area}: {pattern} captures {groups - used}, never shown"
    assert template == template.strip(), f"{area}: {template!r} has spaces at an end"


@pytest.mark.parametrize("area", list(AREAS))
def test_every_raised_message_reads_in_vietnamese(area: str) -> None:
    messages, unread = collect(area)
    assert not unread, (
        f"messages this test cannot follow (add EXAMPLES or PASSED_THROUGH): {unread}"
    )
    missing: list[str] = []
    for message in messages:
        text = message.text.strip()
        first = first_entry(text)
        if first is None:
            missing.append(f"{message.where}: {text!r}")
            continue
        module, match = first
        # A sentence two areas share (a questionnaire's pages) is said once, in either module.
        assert module in AREAS or SHARED.get(text) == module, (
            f"{message.where}: {text!r} is caught by {module}.py first"
        )
        said = problem_text(text, "vi")
        assert said != text, f"{message.where}: {text!r} is not translated"
        for name, value in match.groupdict().items():
            assert kept(name, value) in said, f"{message.where}: {said!r} lost {name}={value!r}"
    assert not missing, f"{len(missing)} messages have no entry:\n" + "\n".join(missing)


def test_every_entry_says_a_raised_message() -> None:
    texts = [m.text.strip() for area in AREAS for m in collect(area)[0]]
    unused = [c.pattern for _, c, _ in COMPILED if not any(c.fullmatch(t) for t in texts)]
    assert not unused, f"entries for no message raised today: {unused}"


def test_the_reader_finds_the_known_messages() -> None:
    # The reader itself: a message of each kind it must follow (literal, f-string with a module
    # constant, a local variable, a helper's return, a dictionary's values, a subclass).
    texts = {m.text for area in AREAS for m in collect(area)[0]}
    assert "the username is empty" in texts
    assert "give a whole number from 1 to 10" in texts or any(
        t.startswith("give a whole number from 1 to ") for t in texts
    )
    assert "case 17 cannot be assigned: there is no phone number to call" in texts
    assert "the session has expired after a long time without use: sign in again" in texts
    assert "type 1 to 5, 0 for 'not applicable', or 9 if it was left blank" in texts
    assert "the server is busy checking other sign-ins: try again in a few seconds" in texts
    assert "some keyed values are not possible on this form" in texts


def _page_text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_staff_pages_show_these_refusals_in_vietnamese(
    settings: Settings, session: Session
) -> None:
    # The refusals a staff page does not word itself reach the error page (api.pages.coordinator
    # StaffRoute), which says the message and its problems through the catalogue.
    campaign_id = build_fieldwork(session, n=3).campaign.id
    staff = f"/staff/campaigns/{campaign_id}"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "admin")
        cases = [
            (f"{staff}/purge", {}, 409, "campaign", "hãy đóng đợt khảo sát trước khi xoá"),
            (f"{staff}/messages/999/requeue", {}, 422, "say why", "hãy ghi lý do có thể gửi lại"),
            (
                f"{staff}/messages/999/requeue",
                {"reason": "the gateway lost it"},
                404,
                "does not exist",
                "không có tin nhắn số 999",
            ),
            (
                f"{staff}/backchecks/999/outcome",
                {"outcome": "confirmed"},
                404,
                "not found",
                "không có phiếu phúc tra 999 trong đợt khảo sát",
            ),
        ]
        for url, data, status, english, vietnamese in cases:
            page = client.post(url, data={"csrf": csrf, **data})
            shown = _page_text(page.text)
            assert page.status_code == status, (url, shown)
            assert vietnamese in shown and english not in shown, (url, shown)
        entry = _page_text(client.get("/staff/entry/disagreements/999").text)
        assert "không có lượt nhập phiếu giấy số 999" in entry and "does not exist" not in entry
        _signed_in(client, session, settings, "interviewer")
        case = client.get("/staff/interviews/999")
        assert case.status_code == 404
        shown = _page_text(case.text)
        assert "cuộc phỏng vấn 999 không có trong danh sách của bạn" in shown
        assert "hãy mở trường hợp từ danh sách gọi" in shown and "your list" not in shown
        english = _page_text(client.get("/staff/interviews/999?lang=en").text)
        assert "interview 999 is not on your list" in english


def _signed_in(client: TestClient, session: Session, settings: Settings, role: str) -> str:
    user = make_user(session, role, f"{role}-catalogue")
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="catalogue test")
    client.cookies.set("sipas_session", token)
    return csrf_token(settings, token)
