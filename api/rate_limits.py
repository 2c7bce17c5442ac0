"""Per-address rate limits on the citizen's pages (``/r/...``, ``/m/...``) and the SMS callbacks.

A pure ASGI middleware, so that other paths pay nothing. Counters live in the database
(:mod:`survey.rate_limits`), shared by every process. The citizen limit is generous (120 a
minute by default) so a household or office behind one NAT address is not blocked; a refused
citizen gets a short Vietnamese/English page with 429 and ``Retry-After``, a refused gateway the
JSON error. Sign-in is limited in its use case (per account and per address), not here.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import rate_limits_of
from api.errors import sipas_error_response
from api.i18n import choose_language, texts
from survey.errors import TooManyRequests

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
# Answer pages and the short links of printed letters, which lead to them.
CITIZEN_PREFIX = ("/r/", "/m/")
CALLBACK_PREFIX = "/sms/"
# The citizen's submission counts its hit itself, first thing in the worker thread of its work
# and on the connection it checks out for it (api.pages.answer.submit): the busiest POST of a
# campaign then pays one thread-pool hop and one pool checkout, not two.
COUNTED_IN_ROUTE = re.compile(r"/r/[^/]+/submit")


def counted_in_route(scope: Scope) -> bool:
    """Whether the route counts this request's hit itself (see :data:`COUNTED_IN_ROUTE`)."""
    return scope.get("method") == "POST" and COUNTED_IN_ROUTE.fullmatch(scope["path"]) is not None


def wait_words(seconds: int, lang: str) -> str:
    """ "45 giây" / "3 minutes": how long to wait, in the page's language."""
    words = texts(lang)
    if seconds < 120:
        return words["wait_seconds"].format(n=seconds)
    return words["wait_minutes"].format(n=-(-seconds // 60))


def citizen_refusal(request: Request, error: TooManyRequests) -> Response:
    """The 429 page of a citizen's link, in their language (``?lang=`` or the cookie)."""
    from api.pages.answer import TEXT  # the answer pages' own words (service name, switch)

    lang = choose_language(request)
    words = {**TEXT[lang], **texts(lang)}
    response = TEMPLATES.TemplateResponse(
        request,
        "answer/too_many.html",
        {
            "lang": lang,
            "t": words,
            "other_lang": "en" if lang == "vi" else "vi",
            "errors": {},
            "wait": wait_words(error.retry_after, lang),
        },
        status_code=429,
    )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


class RateLimitMiddleware:
    """Counts ``/r/...`` and ``/sms/...`` requests per client address before the app sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        citizen = path.startswith(CITIZEN_PREFIX)
        if (
            not (citizen or path.startswith(CALLBACK_PREFIX))
            or not scope.get("client")
            or (citizen and counted_in_route(scope))
        ):
            await self.app(scope, receive, send)
            return
        address = str(scope["client"][0])
        limits = rate_limits_of(scope["app"])
        hit = limits.hit_citizen_page if citizen else limits.hit_callback
        try:
            await run_in_threadpool(hit, address=address)
        except TooManyRequests as error:
            request = Request(scope, receive)
            refusal = citizen_refusal(request, error) if citizen else sipas_error_response(error)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
