"""Playwright (Python) driving Debian's headless chromium against the real servers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.assistant_servers import RunningAssistant

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports" / "widget"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is needed: scripts/ensure_chromium.sh installs it"
    return path


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break the asyncio-based tests that run after the browser tests.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def demo_url(assistant: RunningAssistant) -> str:
    return assistant.url.replace("/rest/webhook", "/web/demo")


@pytest.fixture
def page(browser: Browser, assistant: RunningAssistant) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(demo_url(assistant))
    yield page
    context.close()


def open_chat(page: Page) -> None:
    page.get_by_test_id("cc-toggle").click()
    page.get_by_test_id("cc-input").wait_for(state="visible")


def ask(page: Page, text: str) -> None:
    count = page.locator("[data-role=bot]").count()
    page.get_by_test_id("cc-input").fill(text)
    page.get_by_test_id("cc-send").click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-role=bot]').length > n", arg=count, timeout=20000
    )
