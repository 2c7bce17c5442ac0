"""A real phone-sized browser completes the questionnaire by clicks.

The app runs under uvicorn on a free loopback port with a SQLite database; Debian's headless
Chromium (``/usr/bin/chromium`` driven through ``/usr/bin/chromedriver`` by Selenium) emulates a
360x640 phone. A full-page PNG of each kind of step goes to ``artifacts/screenshots/``.
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
from survey.models import Response
from survey.questionnaires import answer_pages
from survey.settings import Settings
from tests.survey.responses_fixtures import AGENCY_NAME, Fieldwork, build_fieldwork

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
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
def served(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, Settings, Fieldwork]]:
    path = tmp_path / "browser.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", development=True)
    engine = make_engine(settings)
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, settings.secret_key, n=2)
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
    yield f"http://127.0.0.1:{port}", settings, fieldwork
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield driver
    driver.quit()


def _screenshot(driver: WebDriver, name: str) -> None:
    """A full-page PNG at the phone's width."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": PHONE["width"], "height": height, "scale": 1},
        },
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def _fits(driver: WebDriver, width: int) -> None:
    overflow = driver.execute_script("return document.documentElement.scrollWidth")
    assert overflow <= width, f"{driver.current_url} scrolls sideways at {width}px"


def _click_label(driver: WebDriver, input_id: str) -> None:
    # Selenium clicks the middle of the label: the whole row must select the answer.
    driver.find_element(By.CSS_SELECTOR, f'label[for="{input_id}"]').click()
    assert driver.find_element(By.ID, input_id).is_selected()


def _continue(driver: WebDriver) -> None:
    """Press the page's one button and wait for the next page to load."""
    # A marker on the old window object disappears once the browser has loaded the next page;
    # waiting on a stale element instead races with Chromium's own navigation bookkeeping.
    driver.execute_script("window.__sipasOldPage = true")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "return window.__sipasOldPage === undefined && document.readyState === 'complete'"
        )
    )


def test_a_phone_completes_the_questionnaire_by_clicks(
    served: tuple[str, Settings, Fieldwork], browser: WebDriver
) -> None:
    base_url, settings, fieldwork = served
    token = fieldwork.tokens[0]
    pages = answer_pages(fieldwork.definition)

    browser.get(f"{base_url}/r/{token}")
    assert AGENCY_NAME in browser.page_source
    _fits(browser, 360)
    _screenshot(browser, "01-welcome")
    _continue(browser)

    assert browser.current_url.endswith(f"/r/{token}/p/1")
    assert "Phần 1/6" in browser.find_element(By.TAG_NAME, "legend").text
    _screenshot(browser, "02-element-page")
    _continue(browser)  # nothing chosen: the error page
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert "Có lỗi" in summary.text
    assert browser.title.startswith("Lỗi: ")
    _screenshot(browser, "03-error-page")
    summary.find_element(By.CSS_SELECTOR, "a").click()  # jumps to the first field
    assert browser.current_url.endswith("#access_q15")

    for index, page in enumerate(pages):
        if page.kind == "element":
            for k, code in enumerate(page.item_codes):
                _click_label(browser, f"{code}-{5 - k % 3}")
        else:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": 320})
            _fits(browser, 320)
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
            _click_label(browser, "harassment")
            _click_label(browser, "extra_payment-some")
            _click_label(browser, "preferred_channel-online")
            _click_label(browser, "preferred_channel-postal")
            browser.find_element(By.ID, "comments").send_keys("Cán bộ nhiệt tình, chu đáo.")
            _screenshot(browser, "04-extra-questions")
        _fits(browser, 360)
        _continue(browser)
        expected = f"/p/{index + 2}" if index + 1 < len(pages) else "/review"
        assert browser.current_url.endswith(expected), browser.current_url

    assert "Kiểm tra câu trả lời" in browser.page_source
    _fits(browser, 360)
    _screenshot(browser, "05-review")
    _continue(browser)
    assert browser.current_url.endswith(f"/r/{token}/thanks")
    assert "Cảm ơn ông/bà" in browser.page_source
    _screenshot(browser, "06-thank-you")

    engine = make_engine(settings)
    with Session(engine) as session:
        rows = session.exec(select(Response)).all()
    engine.dispose()
    assert len(rows) == 1 and rows[0].status == "completed"
    answers = rows[0].answers
    assert (answers["access_q15"], answers["access_q16"], answers["access_q17"]) == (5, 4, 3)
    assert answers["harassment"] == "none" and answers["extra_payment"] == "some"
    assert answers["preferred_channel"] == ["online", "postal"]
    assert answers["comments"] == "Cán bộ nhiệt tình, chu đáo."
