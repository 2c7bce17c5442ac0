"""The use cases' problems and refusals in the reader's language.

The use cases write their problems in English (the API's default, stored with the frame); the
catalogue (:mod:`api.problem_catalogue`, one module per area) recognises each sentence by its shape
and says it in Vietnamese, keeping the values it quotes. On web pages the command-line hints
(``--map 'A=field'``, ``--accept-valid-rows``) become the upload form's own fields. A sentence
the catalogue does not know is shown as written, and :func:`known` lets a test find one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from functools import cache
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from api.i18n import frame_import_texts, role_name, state_name, texts
from api.problem_catalogue import entries, status_name
from survey.frame_problem_exports import ProblemSheetWords


def _roles(value: str, lang: str) -> str:
    joiner = " hoặc " if lang == "vi" else " or "
    return joiner.join(role_name(r, lang) for r in value.split(" or "))


def _field(value: str, lang: str) -> str:
    # A platform field is named in words, its code beside it (the column mapping uses the code).
    name = frame_import_texts(lang).get(f"field_{value.strip(chr(39))}")
    return f"{name} ({value})" if name else value


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(e.pattern, re.DOTALL), e.template) for e in entries())


# An error summary names the place of a problem it cannot link to: "row.17: <message>".
_WHERE = re.compile(r"(?P<where>[\w.\[\]-]+): (?P<message>.+)", re.DOTALL)


def _match(message: str) -> tuple[re.Match[str], str] | None:
    text = message.strip()
    for pattern, template in _compiled():
        found = pattern.fullmatch(text)
        if found is not None:
            return found, template
    return None


def known(message: str) -> bool:
    """Whether the catalogue says ``message`` in Vietnamese."""
    return _match(message) is not None


def _vietnamese(message: str) -> str | None:
    found = _match(message)
    if found is None:
        return None
    match, template = found
    values: dict[str, Any] = dict(match.groupdict())
    if values.get("roles"):
        values["roles"] = _roles(values["roles"], "vi")
    if values.get("role"):
        values["role"] = role_name(values["role"], "vi")
    if values.get("field"):
        values["field"] = _field(values["field"], "vi")
    if values.get("status"):
        values["status"] = status_name(values["status"])
    return template.format(**values)


# Web pages have no command line: the flags become the upload form's fields.
_MAP_FLAG = re.compile(r"--map '([^']*)'")
_WEB_HINTS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"map one with --map 'COLUMN=(\w+)'"),
        lambda m: f"write 'column header={m.group(1)}' in the column mapping box",
    ),
    (_MAP_FLAG, lambda m: f"write {m.group(1)} in the column mapping box"),
    (
        re.compile(r"\(accept the report: --accept-valid-rows\)"),
        lambda m: "(tick 'import the valid rows' on the upload form)",
    ),
)


def for_web(message: str) -> str:
    """``message`` (English) with the command-line hints replaced by the upload form's."""
    for pattern, replace in _WEB_HINTS:
        message = pattern.sub(replace, message)
    return message


def problem_text(message: str, lang: str) -> str:
    """A problem or refusal in ``lang``: Vietnamese from the catalogue, else English for the
    web (the sentence as written when the catalogue does not know it).

    A message prefixed by its place (``row.17: ...``, as an error summary writes it) keeps the
    place and has the rest said in Vietnamese."""
    if lang == "vi":
        said = _vietnamese(message)
        if said is not None:
            return said
        where = _WHERE.fullmatch(message.strip())
        if where is not None:
            rest = _vietnamese(where.group("message"))
            if rest is not None:
                return f"{where.group('where')}: {rest}"
    return for_web(message)


def accept_language(header: str | None) -> str:
    """``vi`` when an ``Accept-Language`` header prefers Vietnamese, else ``en`` (the API's
    default)."""
    best, best_q = "en", 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in ("vi", "en") and q > best_q:
            best, best_q = lang, q
    return best


def _lang(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else "vi"


@pass_context
def _problem_filter(context: Context, message: str) -> str:
    return problem_text(str(message), _lang(context))


@pass_context
def _role_filter(context: Context, role: str) -> str:
    return role_name(str(role), _lang(context))


@pass_context
def _state_filter(context: Context, state: str) -> str:
    return state_name(str(state), _lang(context))


def install(filters: MutableMapping[str, Any]) -> None:
    """Give a template set's filters ``problem``, ``role`` and ``state``."""
    filters["problem"] = _problem_filter
    filters["role"] = _role_filter
    filters["state"] = _state_filter


def problem_sheet_words(lang: str) -> ProblemSheetWords:
    """The headings and severity words of a problems download in ``lang``."""
    staff = texts(lang)
    words = frame_import_texts(lang)
    return ProblemSheetWords(
        headings=(
            staff["row"],
            words["file_column"],
            staff["field"],
            staff["severity"],
            staff["message"],
        ),
        severities={s: state_name(s, lang) for s in ("error", "warning")},
        sheet_name=words["problems_sheet"],
    )
