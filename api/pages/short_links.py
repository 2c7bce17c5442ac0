"""The short link of a printed letter: ``/m/ABCD-EFGH-...`` opens the citizen's answer page.

The 26-character code (130 bits, :mod:`survey.short_links`) is read case-insensitively, with or
without dashes and spaces; a known code redirects (303) to the invitation's answer page
``/r/<token>``, which then applies every rule of the link (completed, revoked, expired...). A
person who typed only ``/m`` gets a box to type the code in; a mistyped or unknown code gets that
box again with the reason, never a 500. Like ``/r/``, these pages are rate-limited per address
(api/rate_limits.py) and refused to a browser signed in as staff.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.i18n import SHORT_LINK_TEXT, choose_language, remember_language, requested_language
from api.pages.answer import TEMPLATES, TEXT
from api.policy import Citizen
from survey.errors import InvalidInput
from survey.short_links import SHORT_CODE_CHARS, token_for_short_code

router = APIRouter(prefix="/m", include_in_schema=False, dependencies=[Depends(Citizen)])


def _page(request: Request, *, code: str = "", error: str = "", status_code: int = 200) -> Response:
    lang = choose_language(request)
    words = {**TEXT[lang], **SHORT_LINK_TEXT[lang]}
    page = TEMPLATES.TemplateResponse(
        request,
        "answer/short_link.html",
        {
            "lang": lang,
            "t": words,
            "other_lang": "en" if lang == "vi" else "vi",
            "errors": {"code": error} if error else {},
            "error_links": [{"href": "#code", "text": error}] if error else [],
            "code": code[:64],
            "chars": SHORT_CODE_CHARS,
        },
        status_code=status_code,
    )
    # The code opens an answer page: no caching, no referrer, no indexing.
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"
    page.headers["X-Robots-Tag"] = "noindex"
    remember_language(request, page)
    return page


def _follow(request: Request, session: SessionDep, settings: SettingsDep, code: str) -> Response:
    words = SHORT_LINK_TEXT[choose_language(request)]
    try:
        token = token_for_short_code(session=session, settings=settings, code=code)
    except InvalidInput:
        return _page(request, code=code, error=words["malformed"], status_code=422)
    if token is None:
        return _page(request, code=code, error=words["unknown"], status_code=404)
    # A language asked for on the short link is the answer page's too.
    lang = requested_language(request)
    response = RedirectResponse(f"/r/{token}" + (f"?lang={lang}" if lang else ""), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("", response_class=HTMLResponse)
def enter_code(request: Request, code: str | None = None) -> Response:
    """A box to type the code printed on the letter; what is typed goes on to ``/m/<code>``
    (the rate-limited path: this page never looks a code up)."""
    if code is None or not code.strip():
        return _page(request)
    return RedirectResponse(f"/m/{quote(code.strip(), safe='')}", status_code=303)


@router.get("/{code}", response_class=HTMLResponse)
def open_code(request: Request, code: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The printed short link: redirect to the answer page, or say what is wrong."""
    return _follow(request, session, settings, code)
