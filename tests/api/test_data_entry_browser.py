"""Two clerks key a paper form in a real browser with the keyboard only (no mouse, no script).

The app runs under uvicorn on a loopback port with a SQLite database; headless Chromium types
the form number and Enter, then each value followed by Tab from the autofocused first field,
then Enter on the button. A PNG of the keying page goes to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait
from sqlmodel import Session, select

from api.app import create_app
from survey.data_entry import keying_fields
from survey.db import make_engine
from survey.models import Response
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import make_user
from tests.api.test_answer_browser import CHROMEDRIVER, CHROMIUM, FLAGS, SHOTS, _free_port
from tests.survey.data_entry_fixtures import (
    PaperFieldwork,
    build_paper_fieldwork,
    keyed_form,
    paper_answers,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def served(
    sqlite_template: Path, tmp_path: Path
) -> Iterator[tuple[str, Settings, PaperFieldwork, list[str]]]:
    path = tmp_path / "entry.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", development=True)
    engine = make_engine(settings)
    with Session(engine) as session:
        work = build_paper_fieldwork(session, settings.secret_key, 1)
        tokens = []
        for name in ("lan", "minh"):
            user = make_user(session, "clerk", name)
            assert user.id is not None
            tokens.append(create_api_token(session=session, user_id=user.id, name="browser"))
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
    yield f"http://127.0.0.1:{port}", settings, work, tokens
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag.replace("360,640", "1280,900"))
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _press(driver: WebDriver, keys: str) -> None:
    """Type into whatever has the focus and wait for the page a submission loads."""
    driver.execute_script("window.__sipasOldPage = true")
    driver.switch_to.active_element.send_keys(keys)
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "return window.__sipasOldPage === undefined && document.readyState === 'complete'"
        )
    )


def _key_by_keyboard(driver: WebDriver, base_url: str, token: str, work: PaperFieldwork) -> str:
    driver.delete_all_cookies()
    driver.get(base_url + "/staff/sign-in")
    driver.add_cookie({"name": "sipas_session", "value": token, "path": "/"})
    driver.get(base_url + "/staff/entry")
    assert driver.switch_to.active_element.get_attribute("id") == "f-form_number"
    _press(driver, work.numbers[0] + Keys.ENTER)
    assert driver.current_url.endswith(f"/staff/entry/forms/{work.numbers[0]}")
    fields = keying_fields(work.definition)
    form = keyed_form(work.definition, paper_answers(0))
    assert driver.switch_to.active_element.get_attribute("id") == f"f-{fields[0].code}"
    for field in fields:
        focused = driver.switch_to.active_element
        # Tab order is the printed order: each Tab lands on the next question.
        assert focused.get_attribute("name") == field.code
        focused.send_keys(form[field.code] + Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("type") == "submit"
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "data-entry-keying.png"))
    _press(driver, Keys.ENTER)
    return driver.find_element(By.CSS_SELECTOR, "p.notice").text


def test_two_clerks_key_a_form_with_the_keyboard_only(
    served: tuple[str, Settings, PaperFieldwork, list[str]], browser: WebDriver
) -> None:
    base_url, settings, work, tokens = served
    first = _key_by_keyboard(browser, base_url, tokens[0], work)
    assert "lần nhập thứ nhất" in first
    second = _key_by_keyboard(browser, base_url, tokens[1], work)
    assert "hai lần nhập khớp nhau" in second
    engine = make_engine(settings)
    with Session(engine) as session:
        (response,) = session.exec(select(Response)).all()
        assert response.mode == "paper" and response.invitation_id is None
        assert response.answers["comments"] == paper_answers(0)["comments"]
    engine.dispose()
