"""An interviewer on a 360x640 phone with JavaScript switched off records an attempt and
conducts a whole interview by clicks, and the interview becomes a phone-mode response.

Same set-up as ``test_answer_browser.py`` (uvicorn on loopback, SQLite, Debian's headless
Chromium through Selenium), with the content setting that blocks scripts. Full-page PNGs go to
``artifacts/screenshots/interview-*.png``.
"""

from __future__ import annotations

import base64
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait
from sqlmodel import Session, select

from api.app import create_app
from survey.db import make_engine
from survey.interviews import assign_cases
from survey.models import Response
from survey.questionnaires import answer_pages
from survey.settings import Settings
from survey.users import Scope, create_api_token
from tests.api.fast_users import make_user
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers, page_form

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=360,640",
]
PHONE = {"width": 360, "height": 640, "deviceScaleFactor": 1, "mobile": True}

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(
    sqlite_template: Path, tmp_path: Path
) -> Iterator[tuple[str, Settings, Fieldwork, str, int]]:
    path = tmp_path / "interview-browser.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", development=True)
    engine = make_engine(settings)
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, settings.secret_key, n=1)
        coordinator = make_user(session, "coordinator", "dieu-phoi")
        lan = make_user(session, "interviewer", "dtv-lan")
        (case,) = assign_cases(
            session=session,
            campaign_id=fieldwork.campaign_id,
            invitation_ids=fieldwork.invitation_ids,
            interviewer_id=lan.id or 0,
            mode="phone",
            actor=coordinator,
            scope=Scope.everything(),
        )
        token = create_api_token(session=session, user_id=lan.id or 0, name="browser")
        assignment_id = case.id or 0
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
    yield f"http://127.0.0.1:{port}", settings, fieldwork, token, assignment_id
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    # No JavaScript at all: every step must be a plain link or form.
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield driver
    driver.quit()


def _width(driver: WebDriver) -> float:
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    return float(metrics["cssContentSize"]["width"])


def _screenshot(driver: WebDriver, name: str) -> None:
    height = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": PHONE["width"], "height": height, "scale": 1},
        },
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"interview-{name}.png").write_bytes(base64.b64decode(shot["data"]))


def _choose(driver: WebDriver, name: str, value: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]')
    # The label covers the row: clicking it selects the answer.
    driver.find_element(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]').click()
    assert box.is_selected()


def _submit(driver: WebDriver, selector: str) -> None:
    """Press a form's button and wait for the page it leads to (post/redirect/get)."""
    before = driver.current_url
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url != before)


def test_an_interview_on_a_phone_without_javascript(
    served: tuple[str, Settings, Fieldwork, str, int], browser: WebDriver
) -> None:
    base, settings, fieldwork, token, assignment_id = served
    browser.get(f"{base}/staff/sign-in")
    browser.add_cookie({"name": "sipas_session", "value": token, "path": "/"})
    browser.get(f"{base}/staff/interviews")
    assert "Danh sách phỏng vấn của tôi" in browser.page_source
    assert _width(browser) <= PHONE["width"]
    _screenshot(browser, "list")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/staff/interviews/{assignment_id}"]').click()
    _screenshot(browser, "case")
    # A first call nobody picks up.
    _choose(browser, "code", "3.13")
    _submit(browser, 'form[action$="/attempts"] button')
    assert browser.current_url.endswith("/staff/interviews")
    assert "1/6" in browser.page_source
    # The second call: the interview.
    browser.find_element(By.CSS_SELECTOR, f'a[href="/staff/interviews/{assignment_id}"]').click()
    browser.find_element(By.LINK_TEXT, "Bắt đầu phỏng vấn").click()
    answers = full_answers(fieldwork.definition)
    for page in answer_pages(fieldwork.definition):
        summary = browser.find_elements(By.CSS_SELECTOR, ".error-summary")
        assert browser.current_url.endswith(f"/p/{page.index + 1}"), (
            browser.current_url,
            summary[0].text if summary else "",
        )
        assert "Đọc:" in browser.page_source
        assert _width(browser) <= PHONE["width"], f"page {page.index + 1} scrolls sideways"
        if page.index == 0:
            _screenshot(browser, "page")
        for code, value in page_form(fieldwork.definition, page.index, answers).items():
            if isinstance(value, list):
                for one in value:
                    _choose(browser, code, one)
            elif browser.find_elements(By.CSS_SELECTOR, f'textarea[name="{code}"]'):
                browser.find_element(By.CSS_SELECTOR, f'textarea[name="{code}"]').send_keys(value)
            else:
                _choose(browser, code, value)
        _submit(browser, "form button[type=submit].button")
    assert browser.current_url.endswith("/review")
    _screenshot(browser, "review")
    _submit(browser, 'form[action$="/complete"] button')
    assert "Phỏng vấn đã được ghi nhận" in browser.page_source
    engine = make_engine(settings)
    with Session(engine) as session:
        responses = session.exec(select(Response)).all()
    engine.dispose()
    assert [(r.mode, r.status) for r in responses] == [("phone", "completed")]
    assert responses[0].answers == answers
