"""Security headers on every response; pages and /docs need nothing the CSP refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.security_headers import CONTENT_SECURITY_POLICY
from survey.invitations import create_invitations
from survey.settings import Settings
from tests.api.helpers import auth_headers
from tests.survey.campaign_factory import NOW, build_fieldwork

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "templates"


def _assert_hardened(response: object, *, cached: bool = False) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    url = response.url  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff", url
    assert headers["x-frame-options"] == "DENY", url
    assert headers["referrer-policy"] == "no-referrer", url
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp, url
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
    if cached:
        assert "no-store" not in headers.get("cache-control", ""), url
    else:
        assert headers["cache-control"] == "no-store", url


def test_policy_allows_no_inline_script_and_no_framing() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_every_kind_of_response_is_hardened(settings: Settings, session: Session) -> None:
    fw = build_fieldwork(session, n=3)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    admin = auth_headers(session, "admin")
    campaign = f"/api/campaigns/{fw.campaign.id}"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        responses = [
            client.get("/staff/sign-in"),  # staff page
            client.get("/staff"),  # redirect to sign-in
            client.get("/api/frames"),  # 401 JSON
            client.get("/api/frames", headers=admin),  # API JSON
            client.get("/no/such/page"),  # 404
            client.get("/openapi.json"),
            client.get("/docs"),
            client.get(f"{campaign}/letters?channel=all", headers=admin),  # personal links
            client.get(f"{campaign}/exports/dispositions.csv", headers=admin),  # export
            client.get("/sms/kannel/dlr?message_id=1&sig=x&status=1"),  # 403 callback
        ]
        for response in responses:
            assert response.status_code < 500, response.url
            _assert_hardened(response)
        assert responses[7].status_code == 200 and "/r/" in responses[7].text
        citizen = client.get("/r/" + "x" * 43)  # a citizen's link keeps its stricter policy
        _assert_hardened(citizen)
        assert citizen.headers["content-security-policy"].startswith("default-src 'none'")
        static = client.get("/static/staff.css")
        assert static.status_code == 200
        _assert_hardened(static, cached=True)


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_need_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    for pattern, what in _INLINE:
        assert not pattern.search(text), f"{template.relative_to(TEMPLATES)} has an {what}"


def test_letters_need_no_inline_style(settings: Settings, session: Session) -> None:
    fw = build_fieldwork(session, n=2, without_phone=(0, 1))
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    admin = auth_headers(session, "admin")
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/api/campaigns/{fw.campaign.id}/letters", headers=admin)
        assert page.status_code == 200
        assert page.text.count('class="letter"') == 2
        for pattern, what in _INLINE:
            assert not pattern.search(page.text), what
        assert "<svg" in page.text  # the QR codes: inline SVG elements, not data: images
        stylesheet = client.get("/static/letters.css")
        assert stylesheet.status_code == 200 and ".qr svg" in stylesheet.text


def test_docs_are_served_from_this_server(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        scripts = re.findall(r"<script[^>]*>", page.text)
        assert scripts == [
            '<script src="/static/swagger-ui-bundle.js">',
            '<script src="/static/swagger-init.js">',
        ]
        assert "http" not in page.text  # nothing from another host
        assert 'data-openapi-url="/openapi.json"' in page.text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js"):
            response = client.get(f"/static/{asset}")
            assert response.status_code == 200, asset
        bundle = client.get("/static/swagger-ui-bundle.js").text
        assert "SwaggerUIBundle" in bundle and len(bundle) > 500_000
        assert client.get("/redoc").status_code == 404
