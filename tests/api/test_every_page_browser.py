"""Every staff and citizen page, as each role sees it, in Vietnamese and English, on a phone and
on a desktop, in a real browser.

A small demo world (``survey.demo.build_demo`` with a few hundred dossiers, plus an interviewer's
cases, paper forms keyed twice with a disagreement, a printed short code and citizens at each
step of the answer flow) is served by uvicorn once for the module; one headless Chromium walks
every GET page route of the app (enumerated from ``app.routes``: pages are the routes left out
of the OpenAPI schema or answering HTML) for every role whose policy lets it through. Each page
is loaded with ``?lang=vi`` and ``?lang=en`` at 360x640 (mobile emulation) and 1280x800 and must

- answer 200 (the navigation's own status) at the page asked for, with ``<html lang>`` right;
- not scroll sideways (``scrollWidth <= innerWidth + 1``; a wide table scrolls in its own box);
- log no console error (CSP violations are console errors in Chromium);
- in Vietnamese, show none of :data:`ENGLISH_WORDS` and no English catalogue phrase (api/i18n.py
  and the pages' own word tables) in its visible text, codes, numbers and user names aside;
- in English, show no Vietnamese word of the catalogues outside the data (agency, procedure and
  place names, campaign and release names, people's names).

A full-page PNG of each goes to ``artifacts/screenshots/pages/<role>-<page>-<lang>-<size>.png``.
A new page route that is neither walked (:data:`PAGE_PARAMS`) nor listed in :data:`SKIPPED`
fails :func:`test_every_page_route_is_walked_or_skipped_with_a_reason`.
"""

from __future__ import annotations

import base64
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.responses import HTMLResponse
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import Session, col, select

import api.i18n
import api.pages.answer
import api.pages.fieldwork
import api.pages.releases
from api.app import create_app
from api.policy import OpenPolicy, Policy, app_routes, route_policies
from survey.data_entry import keying_fields
from survey.data_entry.entry import key_form, list_disagreements
from survey.db import make_engine
from survey.demo import (
    DEMO_COMMENTS,
    DEMO_USERS,
    PROCEDURE_FIELDS,
    PROVINCES,
    DemoSummary,
    build_demo,
)
from survey.interviews import assign_cases
from survey.invitations import invitation_token
from survey.models import (
    Campaign,
    Design,
    Dossier,
    Frame,
    IndexRelease,
    InterviewAssignment,
    Invitation,
    PaperEntry,
    Questionnaire,
    SampleUnit,
    StaffUser,
)
from survey.paper_forms import issue_form_numbers
from survey.responses import start_or_resume
from survey.settings import Settings
from survey.short_links import register_short_codes
from survey.users import Scope, create_api_token, user_scope
from tests.api.fast_users import make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots" / "pages"
REPORT = ROOT / "artifacts" / "every-page-problems.txt"
N_DOSSIERS = 300
SIZES = ((360, 640, True), (1280, 800, False))
LANGS = ("vi", "en")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

# Page routes not walked, and why. Everything else that is a page must be in PAGE_PARAMS.
SKIPPED: Mapping[str, str] = {
    "/docs": "Swagger UI, a third-party English tool for the JSON API (test_csp_browser.py)",
    "/": "redirects to /staff or the sign-in page, both walked",
    "/staff/frames/mapping/{staging_id}": "needs a file staged by a web upload with unknown "
    "columns (tests/api/test_frame_mapping_form.py)",
}
# Which demo value fills each path parameter, per route (the token of a citizen at the right
# step, a published release for the public site, a form not yet keyed for the clerk...).
PAGE_PARAMS: Mapping[str, Mapping[str, str]] = {
    "/staff/sign-in": {},
    "/staff": {},
    "/staff/frames": {},
    "/staff/frames/upload": {},
    "/staff/frames/{frame_id}": {"frame_id": "frame"},
    "/staff/designs": {},
    "/staff/designs/new": {},
    "/staff/designs/{design_id}": {"design_id": "design"},
    "/staff/draws": {},
    "/staff/draws/{draw_id}": {"draw_id": "draw"},
    "/r/{token}": {"token": "token_new"},
    "/r/{token}/p/{number}": {"token": "token_started", "number": "one"},
    "/r/{token}/review": {"token": "token_started"},
    "/r/{token}/thanks": {"token": "token_done"},
    "/r/{token}/opt-out": {"token": "token_new"},
    "/api/campaigns/{campaign_id}/letters": {"campaign_id": "campaign"},
    "/m": {},
    "/m/{code}": {"code": "short_code"},
    "/staff/campaigns": {},
    "/staff/campaigns/{campaign_id}": {"campaign_id": "campaign"},
    "/staff/entry": {},
    "/staff/entry/forms/{form_number}": {"form_number": "form_to_key"},
    "/staff/entry/campaigns": {},
    "/staff/entry/campaigns/{campaign_id}": {"campaign_id": "campaign"},
    "/staff/entry/disagreements/{entry_id}": {"entry_id": "disagreement"},
    "/staff/interview-assignments/{campaign_id}": {"campaign_id": "campaign"},
    "/staff/interviews": {},
    "/staff/interviews/{assignment_id}": {"assignment_id": "assignment"},
    "/staff/interviews/{assignment_id}/p/{number}": {
        "assignment_id": "assignment",
        "number": "one",
    },
    "/staff/interviews/{assignment_id}/review": {"assignment_id": "assignment"},
    "/staff/campaigns/{campaign_id}/backchecks": {"campaign_id": "campaign"},
    "/staff/releases": {},
    "/staff/releases/{release_id}": {"release_id": "release"},
    "/staff/dashboard": {},
    "/staff/audit": {},
    "/public": {},
    "/public/releases/{release_id}": {"release_id": "published_release"},
}
# A coordinator scoped to Bắc Ninh sees the province release, not the one by agency (its rows
# cover agencies of every province: 404 for them, as for anything outside a scope).
WALKER_IDS: Mapping[str, Mapping[str, str]] = {"coordinator_bn": {"release": "published_release"}}
# Pages in one language whatever the reader's: letters are printed for citizens in Vietnamese.
ONLY_IN = {"/api/campaigns/{campaign_id}/letters": ("vi",)}
# Where a page legitimately sends the browser: the short link opens the answer page.
LANDS_ON = {"/m/{code}": "/r/"}
NOT_PAGES = re.compile(r"\.(svg|csv|xlsx|pdf|json|\{fmt\})$")

# Short English words that betray an untranslated string on a Vietnamese page. Words that are
# also Vietnamese syllables written without marks ("an", "in", "no", "on") are left out.
ENGLISH_WORDS = frozenset(
    (
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "with",
        "ready",
        "draft",
        "warning",
        "error",
        "seed",
        "all",
        "active",
        "none",
        "total",
        "rate",
        "status",
        "page",
        "next",
        "back",
        "sign",
        "download",
        "for",
        "from",
        "this",
        "that",
        "your",
        "you",
        "please",
        "submit",
        "save",
        "cancel",
        "search",
        "file",
        "name",
        "date",
        "yes",
        "not",
        "open",
        "closed",
        "when",
        "has",
        "have",
        "been",
        "will",
        "was",
        "were",
        "there",
        "which",
        "what",
        "who",
        "view",
        "edit",
        "delete",
        "new",
        "create",
        "upload",
        "show",
        "hide",
        "more",
        "less",
        "per",
        "each",
        "every",
        "other",
        "previous",
        "required",
        "optional",
        "invalid",
        "missing",
        "left",
        "right",
        "agency",
        "province",
        "channel",
        "level",
        "field",
        "sample",
        "draw",
        "design",
        "frame",
        "campaign",
        "release",
        "response",
        "responses",
        "answer",
        "question",
        "questions",
        "index",
        "published",
        "submitted",
        "reviewed",
        "superseded",
        "pending",
        "queued",
        "sent",
        "delivered",
        "failed",
        "rejected",
        "importing",
        "users",
        "user",
        "role",
        "roles",
        "token",
        "tokens",
        "audit",
        "log",
        "letters",
        "letter",
        "print",
        "interview",
        "interviews",
        "clerk",
        "form",
        "forms",
        "entry",
        "disagreement",
        "summary",
        "overview",
        "help",
        "home",
        "language",
    )
)
# A staff or public page may name a language in that language.
LANGUAGE_NAMES = ("Tiếng Việt", "English")
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
VIETNAMESE_MARKS = re.compile(r"[^\x00-\x7f]")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def page_routes() -> dict[str, Any]:
    """GET routes that render a page: left out of the OpenAPI schema or answering HTML."""
    app = create_app(Settings(development=True))
    pages: dict[str, Any] = {}
    for route in app_routes(app):
        path = getattr(route, "path", "")
        if "GET" not in (getattr(route, "methods", None) or set()) or NOT_PAGES.search(path):
            continue
        html = getattr(route, "response_class", None)
        html = getattr(html, "value", html)
        if not getattr(route, "include_in_schema", True) or html is HTMLResponse:
            pages[path] = route
    return pages


def test_every_page_route_is_walked_or_skipped_with_a_reason() -> None:
    routes = set(page_routes())
    unlisted = sorted(routes - set(PAGE_PARAMS) - set(SKIPPED))
    assert not unlisted, f"walk these pages (PAGE_PARAMS) or list them in SKIPPED: {unlisted}"
    stale = sorted((set(PAGE_PARAMS) | set(SKIPPED)) - routes)
    assert not stale, f"these are no longer page routes of the app: {stale}"
    assert not set(PAGE_PARAMS) & set(SKIPPED)


# ---------------------------------------------------------------------------------------------
# The words the pages may use


def _catalogues() -> list[Mapping[str, Any]]:
    """Every word table with a ``vi`` and an ``en`` side: api.i18n's and the pages' own."""
    found: list[Mapping[str, Any]] = []
    for module in (api.i18n, api.pages.answer, api.pages.fieldwork, api.pages.releases):
        for value in vars(module).values():
            if (
                isinstance(value, Mapping)
                and {"vi", "en"} <= set(value)
                and all(isinstance(side, Mapping) for side in (value["vi"], value["en"]))
            ):
                found.append(value)
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [s for v in value for s in _strings(v)]
    return []


@dataclass(frozen=True)
class Vocabulary:
    english_phrases: re.Pattern[str]
    vietnamese_words: frozenset[str]


def vocabulary() -> Vocabulary:
    """English phrases that differ from their Vietnamese side (longer than 3 characters, no
    placeholders), and the Vietnamese words with marks that no English phrase uses."""
    phrases: set[str] = set()
    vi_words: set[str] = set()
    en_words: set[str] = set()
    for table in _catalogues():
        vi, en = table["vi"], table["en"]
        for key, english in en.items():
            texts_en = _strings(english)
            texts_vi = _strings(vi.get(key, ""))
            for text in texts_en:
                en_words.update(WORD.findall(text))
                if (
                    len(text) > 3
                    and text not in texts_vi
                    and not re.search(r"[{}%<>]", text)
                    and WORD.search(text)
                    and not text.isupper()
                ):
                    phrases.add(text.strip())
        for value in vi.values():
            for text in _strings(value):
                vi_words.update(w for w in WORD.findall(text) if VIETNAMESE_MARKS.search(w))
    alternation = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True) if p)
    return Vocabulary(
        english_phrases=re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"),
        vietnamese_words=frozenset(w.lower() for w in vi_words - en_words),
    )


def _without(text: str, values: list[str]) -> str:
    """``text`` with each of ``values`` (whole words, longest first) blanked out."""
    for value in sorted({v.strip() for v in values if v.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return text


def _without_codes(text: str, names: frozenset[str] = frozenset()) -> str:
    """The text without what is written the same in every language: codes, numbers, ids,
    hashes, file names, placeholders, addresses, abbreviations and the user ``names``."""
    kept = []
    for chunk in text.split():
        core = chunk.strip(".,;:()[]«»\"'!?…")
        if re.search(r"\d|[_/@=#{}*]|\w[.\-:]\w", core):
            continue  # a code, number, id, path, hash, file name, placeholder or address
        if len(core) >= 2 and core.isupper():
            continue  # SIPAS, CSV, PDF, AAPOR, RR1, an agency's abbreviation
        if core in names:
            continue
        kept.append(chunk)
    return " ".join(kept)


def untranslated(text: str, lang: str, vocab: Vocabulary) -> list[str]:
    """What on a page of ``lang`` belongs to the other language, each with its context (the
    text is a page's, without its codes and the data shown in Vietnamese on every page)."""
    found: list[str] = []
    if lang == "vi":
        for match in vocab.english_phrases.finditer(text):
            found.append(_context(text, match.start(), match.end()))
        for match in WORD.finditer(text):
            if match.group().lower() in ENGLISH_WORDS:
                found.append(_context(text, match.start(), match.end()))
    else:
        for match in WORD.finditer(text):
            if match.group().lower() in vocab.vietnamese_words:
                found.append(_context(text, match.start(), match.end()))
    return sorted(set(found))


def _context(text: str, start: int, end: int) -> str:
    return f"{text[max(0, start - 30) : start]}[[{text[start:end]}]]{text[end : end + 30]}"


def test_the_untranslated_text_check_finds_english_and_vietnamese_leftovers() -> None:
    vocab = vocabulary()
    vi_page = _without_codes("Khung mẫu 01.SCT: Ready, 3 hồ sơ (đang dùng) — Download CSV {agency}")
    assert [f for f in untranslated(vi_page, "vi", vocab) if "[[Ready]]" in f]
    assert [f for f in untranslated(vi_page, "vi", vocab) if "[[Download]]" in f]
    assert not [f for f in untranslated(vi_page, "vi", vocab) if "agency" in f]
    assert not untranslated(_without_codes("Tổng cộng 1.234 hồ sơ, mã 01.SCT"), "vi", vocab)
    en_page = _without("Frames of Sở Tư pháp: Tổng cộng, Administrator", ["Sở Tư pháp", "admin"])
    assert [f for f in untranslated(en_page, "en", vocab) if "[[Tổng]]" in f]
    assert "Administrator" in en_page
    assert not untranslated(_without("Frames of Sở Tư pháp", ["Sở Tư pháp"]), "en", vocab)


# ---------------------------------------------------------------------------------------------
# The world


@dataclass
class World:
    base_url: str
    ids: dict[str, str]
    cookies: dict[str, str]  # role -> session cookie ("" for nobody)
    scopes: dict[str, bool]  # role -> limited scope
    roles: dict[str, str]  # walker -> role
    data: list[str] = field(default_factory=list)  # names shown as data, in Vietnamese
    usernames: list[str] = field(default_factory=list)


def _untouched(session: Session, campaign_id: int) -> list[Invitation]:
    """Invitations nobody has touched: not opened, keyed or assigned (the demo keys some forms
    and interviews some people itself; it prints a form number for nearly everyone)."""
    keyed = select(PaperEntry.invitation_id)
    assigned = select(InterviewAssignment.invitation_id)
    return list(
        session.exec(
            select(Invitation)
            .where(
                col(Invitation.campaign_id) == campaign_id,
                col(Invitation.first_opened_at).is_(None),
                col(Invitation.started_at).is_(None),
                col(Invitation.opted_out_at).is_(None),
                col(Invitation.revoked_at).is_(None),
                col(Invitation.phone_e164).is_not(None),
                col(Invitation.id).not_in(keyed),
                col(Invitation.id).not_in(assigned),
            )
            .order_by(col(Invitation.id))
        ).all()
    )


def _keyed(definition: dict[str, Any], variant: int) -> dict[str, str]:
    """What a clerk types: a scale value (varied by ``variant``) or the first option."""
    form: dict[str, str] = {}
    for item in keying_fields(definition):
        if item.kind == "text":
            form[item.code] = ""
        elif item.kind == "scale":
            form[item.code] = str(4 + variant % 2)
        else:
            form[item.code] = item.options[0].key
    return form


def _build_world(session: Session, settings: Settings, summary: DemoSummary) -> dict[str, Any]:
    """Beside the demo: an interviewer's case, a form keyed twice differently, one to key, a
    printed short code, a citizen who started and one who finished; ids and sign-ins."""
    assert summary.fieldwork is not None and len(summary.fieldwork.release_ids) == 2
    campaign_id = summary.fieldwork.campaign_id
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    definition = session.get(Questionnaire, campaign.questionnaire_id)
    assert definition is not None
    users = {u.username: u for u in session.exec(select(StaffUser)).all()}
    interviewer = make_user(session, "interviewer", "dtv-walk")
    clerks = [make_user(session, "clerk", name) for name in ("clerk-lan", "clerk-minh")]
    free = _untouched(session, campaign_id)
    # The form in disagreement is in the scoped coordinator's provinces, so they may open it.
    bn_provinces = {code for kind, code in DEMO_USERS[3][4] if kind == "province"}
    in_scope = {
        invitation_id
        for invitation_id, province in session.exec(
            select(Invitation.id, Dossier.province_code)
            .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
            .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
            .where(col(Invitation.campaign_id) == campaign_id)
        ).all()
        if province in bn_provinces
    }
    disputed = next(i for i in free if i.id in in_scope)
    free = [i for i in free if i.id != disputed.id]
    assert len(free) >= 6, "the demo left too few untouched invitations"
    new, started, interviewed, to_key, letter = free[:5]
    start_or_resume(session=session, invitation=started)
    done = session.exec(
        select(Invitation)
        .where(
            col(Invitation.campaign_id) == campaign_id, col(Invitation.completed_at).is_not(None)
        )
        .order_by(col(Invitation.id))
    ).first()
    assert done is not None
    (assignment,) = assign_cases(
        session=session,
        campaign_id=campaign_id,
        invitation_ids=[interviewed.id or 0],
        interviewer_id=interviewer.id or 0,
        mode="phone",
        actor=users["coordinator"],
        scope=Scope.everything(),
    )
    numbers = issue_form_numbers(
        session=session, invitation_ids=[disputed.id or 0, to_key.id or 0, letter.id or 0]
    )
    for variant, clerk in enumerate(clerks):
        outcome = key_form(
            session=session,
            form_number=numbers[disputed.id or 0],
            clerk=clerk,
            scope=user_scope(session=session, user=clerk),
            form=_keyed(definition.definition, variant),
        )
    assert outcome.status == "disagreement", outcome
    (entry_id,) = (
        row.entry_id
        for row in list_disagreements(
            session=session, campaign_id=campaign_id, scope=Scope.everything()
        )
        if row.form_number == numbers[disputed.id or 0]
    )
    codes = register_short_codes(session, settings, [(letter.id or 0, letter.token_salt)])
    session.commit()
    frame = session.exec(select(Frame)).first()
    design = session.exec(select(Design)).first()
    assert frame is not None and design is not None
    agency_release, published = summary.fieldwork.release_ids
    ids = {
        "frame": str(frame.id),
        "design": str(design.id),
        "draw": str(summary.draw_id),
        "campaign": str(campaign_id),
        "release": str(agency_release),
        "published_release": str(published),
        "token_new": invitation_token(settings, new),
        "token_started": invitation_token(settings, started),
        "token_done": invitation_token(settings, done),
        "short_code": codes[letter.id or 0],
        "form_to_key": numbers[to_key.id or 0],
        "disagreement": str(entry_id),
        "assignment": str(assignment.id),
        "one": "1",
    }
    walkers = {
        "admin": "admin",
        "coordinator": "coordinator",
        "coordinator_bn": "coordinator",
        "analyst": "analyst",
        "publisher": "publisher",
        "dtv-walk": "interviewer",
        "clerk-lan": "clerk",
    }
    cookies = {"public": ""}
    scopes = {"public": False}
    everyone = {**users, "dtv-walk": interviewer, "clerk-lan": clerks[0]}
    for name in walkers:
        user = everyone[name]
        assert user.id is not None
        cookies[name] = create_api_token(session=session, user_id=user.id, name="page walk")
        scopes[name] = user_scope(session=session, user=user).limited
    names = [
        *session.exec(select(Dossier.agency_name).distinct()).all(),
        *session.exec(select(Dossier.procedure_field).distinct()).all(),
        *(n for n in session.exec(select(Campaign.name)).all()),
        *(n for n in session.exec(select(Frame.name)).all()),
        *(n for n in session.exec(select(Design.name)).all()),
        *(n for n in session.exec(select(IndexRelease.name)).all()),
        *(u.full_name for u in everyone.values()),
        *(q.title_vi for q in session.exec(select(Questionnaire)).all()),
        *PROCEDURE_FIELDS,
        *DEMO_COMMENTS,
        *(name for _, name, _ in PROVINCES),
        *(commune for _, _, communes in PROVINCES for _, _, commune in communes),
    ]
    return {
        "ids": ids,
        "cookies": cookies,
        "scopes": scopes,
        "roles": {"public": "", **walkers},
        "data": [n for n in names if n],
        "usernames": [u for u, *_ in DEMO_USERS] + ["dtv-walk", "clerk-lan", "clerk-minh"],
    }


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("every-page")
    path = directory / "walk.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(
        database_url=f"sqlite:///{path}",
        development=True,
        citizen_limit_per_address="100000/minute",
    )
    engine = make_engine(settings)
    summary = build_demo(
        engine=engine, data_dir=directory, n_dossiers=N_DOSSIERS, settings=settings
    )
    with Session(engine) as session:
        built = _build_world(session, settings, summary)
    engine.dispose()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield World(
        base_url=f"http://127.0.0.1:{port}",
        ids=built["ids"],
        cookies=built["cookies"],
        scopes=built["scopes"],
        roles=built["roles"],
        data=built["data"],
        usernames=built["usernames"],
    )
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


# ---------------------------------------------------------------------------------------------
# The walk


def _allowed(route: Any, role: str, limited: bool) -> bool:
    (policy,) = route_policies(route)
    if isinstance(policy, Policy):
        return bool(role) and policy.allows(role, limited=limited)
    assert isinstance(policy, OpenPolicy)
    return not role  # public and citizen pages: walked signed out (citizen pages refuse staff)


def _slug(path: str) -> str:
    slug = re.sub(r"\{[^}]+\}", "x", path).strip("/").replace("/", "-")
    return slug or "root"


PAGE_STATE = """
const width = arguments[0];
const nav = performance.getEntriesByType("navigation")[0];
// Codes, and text marked as the other language (the bilingual method note of a release).
const other = `body [lang]:not([lang="${document.documentElement.lang}"])`;
const codes = [...document.querySelectorAll(`code, pre, kbd, samp, [translate=no], ${other}`)]
  .map(e => e.innerText);
const scroll = Math.max(document.documentElement.scrollWidth, window.innerWidth);
return {
  status: nav ? nav.responseStatus : 0,
  path: location.pathname,
  lang: document.documentElement.lang,
  scroll: scroll,
  height: document.documentElement.scrollHeight,
  text: document.title + "\\n" + document.body.innerText,
  codes: codes,
  // What sticks out, looked for only when something does (it measures every element); a
  // phone zooms a too-wide page out, so innerWidth grows with it and cannot be the yardstick.
  wide: scroll <= width + 1 ? [] :
    [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => e.parentElement.getBoundingClientRect().right <= width + 1)
    .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
      + " in " + e.parentElement.tagName.toLowerCase()
      + (e.parentElement.className ? "." + e.parentElement.className : "")
      + " " + Math.round(e.getBoundingClientRect().right) + "px"),
};
"""


def _screenshot(driver: WebDriver, name: str, width: int, height: int) -> None:
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def _sign_in(driver: WebDriver, base_url: str, cookie: str) -> None:
    """Only this walker's session cookie (none for the public), set without loading a page."""
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    if cookie:
        driver.execute_cdp_cmd(
            "Network.setCookie",
            {"name": "sipas_session", "value": cookie, "url": base_url, "path": "/"},
        )


def test_every_page_fits_speaks_one_language_and_logs_no_error(
    world: World, browser: webdriver.Chrome
) -> None:
    routes = page_routes()
    vocab = vocabulary()
    failures: list[str] = []
    walked = 0
    started = time.monotonic()
    for width, height, mobile in SIZES:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        for walker, role in world.roles.items():
            _sign_in(browser, world.base_url, world.cookies[walker])
            for path, params in PAGE_PARAMS.items():
                if not _allowed(routes[path], role, world.scopes[walker]):
                    continue
                ids = {
                    **world.ids,
                    **{k: world.ids[v] for k, v in WALKER_IDS.get(walker, {}).items()},
                }
                url = path.format(**{k: ids[v] for k, v in params.items()})
                for lang in ONLY_IN.get(path, LANGS):
                    failures += _check_page(
                        browser, world, vocab, walker, path, url, lang, (width, height)
                    )
                    walked += 1
    elapsed = time.monotonic() - started
    print(f"walked {walked} pages x languages x sizes in {elapsed:.0f} s")
    REPORT.write_text("\n".join(failures) + "\n", encoding="utf-8")
    # Every role saw its home, and the walk covered both sizes and languages of each page.
    assert walked >= 4 * (len(PAGE_PARAMS) - len(ONLY_IN))
    assert not failures, f"{len(failures)} problems (all in {REPORT}):\n" + "\n".join(failures)


def _check_page(
    driver: webdriver.Chrome,
    world: World,
    vocab: Vocabulary,
    walker: str,
    path: str,
    url: str,
    lang: str,
    size: tuple[int, int],
) -> list[str]:
    width, height = size
    where = f"{walker} {url}?lang={lang} at {width}x{height}"
    driver.get(f"{world.base_url}{url}?lang={lang}")
    state: dict[str, Any] = driver.execute_script(PAGE_STATE, width)
    problems: list[str] = []
    expected = LANDS_ON.get(path, url)
    if state["status"] != 200 or not state["path"].startswith(expected):
        problems.append(f"{where}: answered {state['status']} at {state['path']}")
    if state["lang"] != lang:
        problems.append(f"{where}: <html lang={state['lang']!r}>")
    if state["scroll"] > width + 1:
        problems.append(
            f"{where}: {state['scroll']}px wide, scrolls sideways: " + "; ".join(state["wide"])
        )
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"{where}: console error {entry['message']}")
    shown = [*state["codes"], *world.data, *LANGUAGE_NAMES]
    text = _without_codes(_without(state["text"], shown), frozenset(world.usernames))
    for leftover in untranslated(text, lang, vocab):
        problems.append(f"{where}: {'English' if lang == 'vi' else 'Vietnamese'} {leftover!r}")
    name = f"{walker}-{_slug(path)}-{lang}-{width}x{height}"
    _screenshot(driver, name, width, min(int(state["height"]), 12000))
    return problems
