"""Every message the use cases give an error or a ``Problem``, read from the source (the AST).

A raise site is a call of one of the platform's error classes (``InvalidInput``, ``NotFound`` ...
and their subclasses anywhere in ``survey/``) or of ``Problem(loc, msg)``; in the pure libraries
it is a call of the errors that ``survey.designs.sampling_problem`` and
``survey.release_pipeline.design.estimation_error`` (and the questionnaire check) pass on with
``str(error)``. Its message is a string literal or an f-string; an f-string becomes an example by
putting a plausible value in each placeholder (a number for ids and counts, a date for dates, a
quoted word for ``!r``). A message held in a local variable or returned by a helper of the same
module is followed to where it is written; what cannot be followed (``str(error)`` of a library
error, a parameter) is a *dynamic* site, whose producer is walked where it is written.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_BASE_ERRORS = {
    "SipasError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "NotAuthenticated",
    "Conflict",
    "TooManyRequests",
}
# The library errors whose text reaches a user through the survey layer.
LIBRARY_ERRORS = {
    "sampling": {"SamplingError", "FrameError", "DesignError"},
    "analysis": {
        "DesignError",
        "CalibrationError",
        "LonelyPsuError",
        "WeightingError",
        "IndexInputError",
        "QuestionnaireTreeError",
    },
}


@dataclass(frozen=True)
class RaiseSite:
    """One message of one call: where it is written and an example of it (``None``: dynamic)."""

    path: str
    line: int
    source: str
    example: str | None
    alternatives: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.example if self.example else self.source}"


class _Dynamic(Exception):
    """The message cannot be followed to a literal."""


def _numeric(text: str) -> bool:
    words = re.split(r"[^a-z]+", text.lower())
    numeric = {"id", "ids", "n", "count", "size", "total", "number", "row", "line", "version"}
    numeric |= {"max", "min", "length", "limit", "colno", "lineno", "seconds", "days", "cost"}
    return (
        bool(numeric.intersection(words))
        or text.startswith(("len(", "int(", "round(", "sum("))
        or any(w.startswith(("n_", "max", "min")) for w in re.split(r"[^a-z_]+", text.lower()))
        or any(
            w.endswith(("_id", "_n", "_count", "_size", "_seconds", "_days", "_number"))
            for w in re.split(r"[^a-z_]+", text.lower())
        )
    )


def placeholder_example(value: ast.FormattedValue) -> str:
    """A plausible value for one ``{...}`` of an f-string."""
    text = ast.unparse(value.value)
    spec = "".join(
        str(part.value)
        for part in (
            value.format_spec.values if isinstance(value.format_spec, ast.JoinedStr) else []
        )
        if isinstance(part, ast.Constant)
    )
    lowered = text.lower()
    joined = value.value
    if (
        isinstance(joined, ast.Call)
        and isinstance(joined.func, ast.Attribute)
        and joined.func.attr == "join"
        and isinstance(joined.func.value, ast.Constant)
    ):
        return f"a{joined.func.value.value!s}b"  # see placeholder_candidates for others
    if "join" in lowered:
        return "'A', 'B'" if value.conversion == ord("r") or "!r" in text else "A, B"
    if re.search(r"%[YmdHMSbB]", spec):
        return datetime(2025, 7, 1, 8, 30, tzinfo=UTC).strftime(spec)
    if "f" in spec or "%" in spec:
        return "0.05" if "%" not in spec else "5.0%"
    if spec or _numeric(text):
        return "12"
    if any(w in lowered for w in ("date", "day", "start", "end", "_at", "period", "since")):
        return "2025-07-01"
    if value.conversion == ord("r"):
        return "'x1'"
    # Most placeholders are ids and counts; a pattern for a word accepts a number as well.
    return "12"


# Placeholders whose value is one word of a vocabulary: the message is covered when the
# catalogue says it for one of them (an entry per status is the usual way to word them).
_STATUSES = [
    *("draft", "active", "closed", "submitted", "published", "superseded", "ready", "rejected"),
    *("importing", "failed", "unknown", "queued", "sending", "sent", "delivered", "completed"),
    *("assigned", "pending", "refused", "cancelled", "expired", "open", "answered", "partial"),
    *("decided", "excluded", "passed"),
]
_ROLES = ["analyst", "coordinator", "admin", "publisher", "interviewer", "clerk"]
_WAITS = ["5 minutes", "1 minute", "30 seconds", "1 hour", "2 hours", "12 seconds"]


def placeholder_candidates(value: ast.FormattedValue) -> list[str]:
    """The values one ``{...}`` is tried with (the first is the plausible example)."""
    text = ast.unparse(value.value).lower()
    quote = (lambda w: repr(w)) if value.conversion == ord("r") else (lambda w: w)
    last = re.split(r"[^a-z_]+", text.rstrip(")]"))[-1] if text else ""
    if last.endswith("status") or last == "state":
        return [quote(w) for w in _STATUSES]
    if last.endswith("role"):
        return [quote(w) for w in _ROLES]
    if "wait" in text or "retry" in text:
        return _WAITS
    joined = value.value
    if (
        isinstance(joined, ast.Call)
        and isinstance(joined.func, ast.Attribute)
        and joined.func.attr == "join"
        and isinstance(joined.func.value, ast.Constant)
    ):
        return joined_examples(str(joined.func.value.value))
    return [placeholder_example(value)]


def joined_examples(sep: str) -> list[str]:
    """Values a ``sep.join(...)`` of words, ids or codes (``2.11``) is tried with."""
    return [f"a{sep}b", f"1{sep}2", f"'a'{sep}'b'", f"1.1{sep}2.1", "a"]


Message = tuple[str, ...]  # one message: the example and its alternatives


def _join(left: list[Message], right: list[Message]) -> list[Message]:
    return [tuple(a + b for a in m for b in n)[:64] for m in left for n in right][:64]


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, []).append(node)
        self.constants: dict[str, object] = {}
        for statement in self.tree.body:
            target = None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            if isinstance(target, ast.Name):
                with contextlib.suppress(ValueError):
                    self.constants[target.id] = ast.literal_eval(value)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    def scope_of(self, node: ast.AST) -> ast.AST:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return self.tree

    def examples(self, node: ast.expr, depth: int = 0) -> list[Message]:
        """Every example the expression can be (raises :class:`_Dynamic`)."""
        if depth > 4:
            raise _Dynamic
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [(node.value,)]
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, depth)
        if isinstance(node, ast.IfExp):
            return self.examples(node.body, depth + 1) + self.examples(node.orelse, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _join(self.examples(node.left, depth + 1), self.examples(node.right, depth + 1))
        if isinstance(node, ast.Name):
            # A local variable's sentences, or those the module's callers pass a helper
            # (``_invalid(loc, "the category is empty")``).
            found = self._assigned(node, depth) or self._passed(node, depth)
            if found:
                return found
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "join":
            sep = getattr(getattr(node.func, "value", None), "value", ", ")
            return self._joined_constant(node) or [tuple(joined_examples(str(sep)))]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            returned = self._returned(node.func.id, depth)
            if returned:
                return returned
        raise _Dynamic

    def _fstring(self, node: ast.JoinedStr, depth: int) -> list[Message]:
        # A placeholder holding a word the module writes ("computed" or "submitted", a step
        # passed by its callers) makes a message per word; any other takes plausible values.
        messages: list[Message] = [("",)]
        for part in node.values:
            if isinstance(part, ast.Constant):
                options: list[Message] = [(str(part.value),)]
            elif isinstance(part, ast.FormattedValue):
                options = []
                if (
                    isinstance(part.value, ast.Name)
                    and part.conversion == -1
                    and not part.format_spec
                ):
                    options = self._assigned(part.value, depth + 1) + self._passed(
                        part.value, depth + 1
                    )
                constant = (
                    self.constants.get(part.value.id) if isinstance(part.value, ast.Name) else None
                )
                if not options and isinstance(constant, str | int | float):
                    options = [(repr(constant) if part.conversion == ord("r") else str(constant),)]
                if not options:
                    options = self._joined_constant(part.value)
                options = options or [tuple(placeholder_candidates(part))]
            else:
                continue
            messages = _join(messages, options)
        return messages

    def _joined_constant(self, node: ast.expr) -> list[Message]:
        """``", ".join(CODES)`` (or of ``sorted(CODES)``) over a module constant: its text."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant)
            and len(node.args) == 1
        ):
            return []
        argument = node.args[0]
        if isinstance(argument, ast.Call) and _called(argument) == "sorted" and argument.args:
            argument = argument.args[0]
        value = self.constants.get(argument.id) if isinstance(argument, ast.Name) else None
        if not isinstance(value, tuple | list | frozenset | set):
            return []
        items = sorted(map(str, value)) if isinstance(value, frozenset | set) else value
        return [(str(node.func.value.value).join(map(str, items)),)]

    def _passed(self, name: ast.Name, depth: int) -> list[Message]:
        """The string literals the module's callers pass for a parameter ``name``."""
        scope = self.scope_of(name)
        if not isinstance(scope, ast.FunctionDef):
            return []
        params = [a.arg for a in scope.args.args + scope.args.kwonlyargs]
        if name.id not in params:
            return []
        positional = [a.arg for a in scope.args.args]
        index = positional.index(name.id) if name.id in positional else None
        found: list[Message] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _called(node) == scope.name:
                given = [k.value for k in node.keywords if k.arg == name.id]
                # ``self._too_big(what)``: the call does not pass ``self``.
                shift = int(positional[:1] in (["self"], ["cls"]))
                if index is not None and 0 <= index - shift < len(node.args):
                    given.append(node.args[index - shift])
                for argument in given:
                    try:
                        found += self.examples(argument, depth + 1)
                    except _Dynamic:
                        continue
        return found

    def _assigned(self, name: ast.Name, depth: int) -> list[Message]:
        found: list[Message] = []
        for node in ast.walk(self.scope_of(name)):
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            if value is None or not any(
                isinstance(t, ast.Name) and t.id == name.id for t in targets
            ):
                continue
            try:
                found.extend(self.examples(value, depth + 1))
            except _Dynamic:
                continue
        return found

    def _returned(self, function: str, depth: int) -> list[Message]:
        found: list[Message] = []
        for definition in self.functions.get(function, []):
            for node in ast.walk(definition):
                if isinstance(node, ast.Return) and node.value is not None:
                    try:
                        found.extend(self.examples(node.value, depth + 1))
                    except _Dynamic:
                        continue
        return found


def _error_classes(paths: list[Path]) -> dict[str, int]:
    """The error classes (the base tree and every subclass) and the position of their message
    argument (``KeyingRefused(reason, msg, problems)`` takes it second)."""
    names = dict.fromkeys(_BASE_ERRORS, 0)
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in paths]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name in names:
                    continue
                bases = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                if not bases & set(names):
                    continue
                names[node.name] = next(iter(names[b] for b in bases if b in names))
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        params = [a.arg for a in item.args.args[1:]]
                        for word in ("msg", "message"):
                            if word in params:
                                names[node.name] = params.index(word)
                grew = True
    return names


def _called(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def _message_argument(node: ast.Call, index: int) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg in ("msg", "message"):
            return keyword.value
    return node.args[index] if len(node.args) > index else None


def _sites_of(path: Path, classes: dict[str, int], with_problem: bool) -> Iterator[RaiseSite]:
    module = _Module(path)
    relative = path.relative_to(ROOT).as_posix()
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name in classes:
            argument = _message_argument(node, classes[name])
        elif with_problem and name == "Problem":
            argument = _message_argument(node, 1)
        else:
            continue
        if argument is None:
            continue
        if isinstance(argument, ast.List | ast.Tuple | ast.ListComp | ast.Starred):
            continue  # a list of problems, not a message
        source = ast.unparse(argument)
        try:
            examples = module.examples(argument)
        except _Dynamic:
            yield RaiseSite(relative, node.lineno, source, None)
            continue
        for message in examples:
            yield RaiseSite(relative, node.lineno, source, message[0], message)


def survey_sites() -> list[RaiseSite]:
    """Every message given to an error class or a ``Problem`` under ``survey/``."""
    paths = sorted((ROOT / "survey").rglob("*.py"))
    classes = _error_classes(paths)
    return [s for p in paths for s in _sites_of(p, classes, with_problem=True)]


def _imported(path: Path, packages: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in packages:
            found.add(str(node.module))
    return found


def library_modules() -> list[Path]:
    """The library modules the survey layer runs: those it imports, and theirs (closure)."""
    packages = tuple(LIBRARY_ERRORS)
    todo = set().union(*(_imported(p, packages) for p in (ROOT / "survey").rglob("*.py")))
    done: set[str] = set()
    while todo:
        name = todo.pop()
        path = ROOT / (name.replace(".", "/") + ".py")
        if name in done or not path.exists():
            continue
        done.add(name)
        todo |= _imported(path, packages) - done
    return sorted(ROOT / (n.replace(".", "/") + ".py") for n in done)


def library_sites() -> list[RaiseSite]:
    """Every message of the library errors that the survey layer runs and passes on as a
    problem (``str(error)``)."""
    found: list[RaiseSite] = []
    for path in library_modules():
        classes = LIBRARY_ERRORS[path.relative_to(ROOT).parts[0]]
        found.extend(_sites_of(path, dict.fromkeys(classes, 0), with_problem=False))
    return found


# The command line prints to a terminal in English; the SMS gateway's callbacks are answered to
# the gateway, not to a person.
WEB_SKIPPED = ("api/cli/", "api/routers/sms_callbacks.py")


def web_sites() -> list[RaiseSite]:
    """Every message the web layer itself (routers, pages, dependencies) gives an error class
    or a ``Problem``, except those in :data:`WEB_SKIPPED`."""
    classes = _error_classes(sorted((ROOT / "survey").rglob("*.py")))
    found: list[RaiseSite] = []
    for path in sorted((ROOT / "api").rglob("*.py")):
        if not path.relative_to(ROOT).as_posix().startswith(WEB_SKIPPED):
            found.extend(_sites_of(path, classes, with_problem=True))
    return found


def _frame_message(node: ast.Call) -> ast.expr | None:
    # ``self.tally.add(row, field, message, severity)`` and ``bad.append((i, field, message))``.
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = ast.unparse(func.value)
    if func.attr == "add" and receiver.endswith("tally") and len(node.args) >= 3:
        return node.args[2]
    if func.attr == "append" and len(node.args) == 1 and isinstance(node.args[0], ast.Tuple):
        last = node.args[0].elts[-1] if node.args[0].elts else None
        if len(node.args[0].elts) >= 2 and not isinstance(last, ast.Name | ast.Tuple):
            return last
    return None


def frame_problem_sites() -> list[RaiseSite]:
    """Every problem a frame import records for a row or the file (``survey/frames.py``): the
    messages the import report, its downloads and the frame pages show."""
    path = ROOT / "survey" / "frames.py"
    module = _Module(path)
    found: list[RaiseSite] = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        argument = _frame_message(node)
        if argument is None:
            continue
        try:
            examples = module.examples(argument)
        except _Dynamic:
            found.append(RaiseSite("survey/frames.py", node.lineno, ast.unparse(argument), None))
            continue
        found += [
            RaiseSite("survey/frames.py", node.lineno, ast.unparse(argument), m[0], m)
            for m in examples
        ]
    return found
