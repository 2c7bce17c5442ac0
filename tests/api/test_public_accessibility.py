"""The public site and the analyst dashboard pass axe-core's WCAG 2.1 AA rules in Chromium.

axe-core comes from the npm registry (``npm pack axe-core@4``) into ``.cache/axe/`` outside git,
the first time the test runs; it is injected into each page with ``execute_script`` and run on
the whole document. Every public page (the list, an agency release with its previous round, a
province release, a superseded release) and the analyst dashboard (signed in as an analyst)
are checked in Vietnamese and English in the real headless Chromium, at a phone's 360x640 and
a desktop's 1280x800; any violation, or a page scrolling sideways on the phone, fails the
test, named with its rule, the elements and the fix axe suggests. Full-page screenshots go
to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import Session

from api.app import create_app
from survey.db import make_engine
from survey.models import IndexRelease
from survey.releases import correct_release, publish_release, submit_release
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import make_user
from tests.survey.share_fixtures import publish_share_release
from tests.survey.test_public_releases import publish, two_rounds

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
AXE_CACHE = ROOT / ".cache" / "axe"
AXE_SPEC = "axe-core@4"
VIEWPORTS = ((360, 640, True), (1280, 800, False))
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then(r => done(JSON.stringify(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})))))
  .catch(e => done(JSON.stringify([{id: "axe-error", help: String(e), nodes: []}])));
"""


def axe_source() -> str:
    """axe.min.js, packed from the npm registry into the cache the first time."""
    found = sorted(AXE_CACHE.glob("axe-core-*/package/axe.min.js"))
    if not found:
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", AXE_SPEC, "--silent", "--pack-destination", str(AXE_CACHE)],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        tgz = AXE_CACHE / packed.stdout.strip().splitlines()[-1]
        target = AXE_CACHE / tgz.name.removesuffix(".tgz")
        with tarfile.open(tgz) as archive:
            archive.extract("package/axe.min.js", target, filter="data")
        found = [target / "package" / "axe.min.js"]
    return found[-1].read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A server on a database with published releases; yields its URL and the pages to check
    (path, session cookie: the dashboard is checked signed in as an analyst)."""
    path = tmp_path / "public.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", development=True)
    engine = make_engine(settings)
    with Session(engine) as session:
        old_id, new_id = two_rounds(session)
        latest = session.get(IndexRelease, new_id)
        assert latest is not None
        province = publish(session, latest.campaign_id, "Theo tỉnh", by=("province_code",))
        maker = make_user(session, "analyst", "a11y-analyst")
        reviewer = make_user(session, "publisher", "a11y-publisher")
        correction = correct_release(
            session=session, release_id=old_id, reason="Phiếu nhập muộn", actor=maker
        )
        assert correction.id is not None
        submit_release(session=session, release_id=correction.id, actor=maker)
        publish_release(session=session, release_id=correction.id, actor=reviewer)
        # A form that publishes judgement and expectation shares (their sections and tables).
        _, shares = publish_share_release(session)
        analyst = make_user(session, "analyst", "a11y-dashboard")
        assert analyst.id is not None
        token = create_api_token(session=session, user_id=analyst.id, name="a11y")
        pages = [
            (f"/staff/dashboard?release={new_id}&domain=AG-A", token),
            ("/public", ""),
            (f"/public/releases/{new_id}", ""),
            (f"/public/releases/{province.id}", ""),
            (f"/public/releases/{old_id}", ""),
            (f"/public/releases/{shares.id}", ""),
            (f"/staff/dashboard?release={shares.id}", token),
        ]
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
    yield f"http://127.0.0.1:{port}", pages
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _viewport(driver: WebDriver, width: int, height: int, mobile: bool) -> None:
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def _screenshot(driver: WebDriver, name: str, width: int) -> None:
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
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


def _violations(driver: WebDriver, axe: str) -> list[dict[str, Any]]:
    driver.execute_script(axe)
    result: list[dict[str, Any]] = json.loads(driver.execute_async_script(RUN_AXE, WCAG_TAGS))
    return result


def test_public_pages_and_dashboard_pass_axe_wcag21_aa(
    served: tuple[str, list[tuple[str, str]]], browser: WebDriver
) -> None:
    base_url, pages = served
    axe = axe_source()
    failures: list[str] = []
    checked = 0
    for width, height, mobile in VIEWPORTS:
        _viewport(browser, width, height, mobile)
        for path, cookie in pages:
            if cookie:
                # The analyst dashboard: the same check, signed in as an analyst.
                browser.get(f"{base_url}/static/staff.css")
                browser.add_cookie({"name": "sipas_session", "value": cookie})
            for lang in ("vi", "en"):
                page = f"{path}{'&' if '?' in path else '?'}lang={lang}"
                browser.get(f"{base_url}{page}")
                assert browser.find_element("css selector", "html").get_attribute("lang") == lang
                # Every chart was served and decoded (a broken image is no chart at all).
                images = browser.execute_script(
                    "return [...document.images].map(i => [i.src, i.complete && i.naturalWidth])"
                )
                assert all(loaded for _, loaded in images), images
                for violation in _violations(browser, axe):
                    targets = "; ".join(
                        f"{n['target']}: {n.get('summary', '')}" for n in violation["nodes"][:3]
                    )
                    failures.append(
                        f"{page} at {width}x{height}: {violation['id']} "
                        f"({violation['help']}) {targets}"
                    )
                checked += 1
                slug = path.split("?")[0].strip("/").replace("/", "-")
                _screenshot(browser, f"{slug}-{lang}-{width}x{height}", width)
                if mobile:
                    scroll = browser.execute_script("return document.documentElement.scrollWidth")
                    if scroll > width:
                        failures.append(f"{page} scrolls sideways at {width}px")
    assert checked == len(VIEWPORTS) * len(pages) * 2
    assert not failures, "\n".join(failures)
