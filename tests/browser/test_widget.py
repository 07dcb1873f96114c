"""The chat widget in a real (headless) browser: conversation, continuity, safety, a11y."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import REPORTS, ask, demo_url, open_chat
from tests.support.assistant_servers import RunningAssistant, start_assistant

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def bot_texts(page: Page) -> str:
    return "\n".join(page.locator("[data-role=bot]").all_inner_texts())


def test_ask_a_question_and_read_the_answer(page: Page) -> None:
    open_chat(page)
    ask(page, "what is immunotherapy?")
    assert "uses the body's own immune system" in bot_texts(page)
    log = page.get_by_test_id("cc-log")
    assert log.get_attribute("role") == "log"
    assert "what is immunotherapy?" in page.locator("[data-role=user]").last.inner_text()
    assert page.locator("[data-role=bot] time").count() >= 1


def test_quick_reply_buttons(page: Page) -> None:
    open_chat(page)
    ask(page, "hello")
    replies = page.get_by_test_id("cc-quick-reply")
    side_effects = replies.filter(has_text="Side effects").last
    count = page.locator("[data-role=bot]").count()
    side_effects.click()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-role=bot]').length > n", arg=count
    )
    assert "Fatigue" in bot_texts(page)
    assert "Side effects" in page.locator("[data-role=user]").last.inner_text()
    # The chosen set is spent; the newest answer's buttons are live.
    assert side_effects.is_disabled() or side_effects.get_attribute("aria-disabled") == "true"
    assert replies.filter(has_text="Rash").last.is_enabled()


def test_reload_and_new_page_show_the_history(page: Page) -> None:
    open_chat(page)
    ask(page, "when is the infusion center open")
    page.reload()
    page.get_by_test_id("cc-log").wait_for(state="attached")
    page.wait_for_function("() => document.querySelectorAll('[data-role=bot]').length >= 2")
    assert "24 hours a day" in bot_texts(page)
    second = page.context.new_page()  # another page of the site, same browser session
    second.goto(page.url)
    second.wait_for_function("() => document.querySelectorAll('[data-role=user]').length >= 1")
    assert (
        "when is the infusion center open" in second.locator("[data-role=user]").first.inner_text()
    )


def test_a_stolen_session_id_receives_nothing(browser: Browser, assistant: RunningAssistant):
    victim = browser.new_context()
    page = victim.new_page()
    page.goto(demo_url(assistant))
    open_chat(page)
    ask(page, "my mom has a rash from immunotherapy")
    cookie = next(c for c in victim.cookies() if c["name"] == "cc_session")
    session_id = cookie["value"].split(".")[0]
    thief = browser.new_context()
    thief.add_cookies([{**cookie, "value": session_id}])
    thief_page = thief.new_page()
    thief_page.goto(demo_url(assistant))
    open_chat(thief_page)
    thief_page.wait_for_timeout(1500)
    assert "rash" not in thief_page.get_by_test_id("cc-log").inner_text().lower()
    status = thief_page.evaluate(
        "async () => (await fetch('/webhooks/web/history?sid=" + session_id + "', "
        "{credentials: 'include', headers: {'X-Session-Id': '" + session_id + "'}})).status"
    )
    assert status in (200, 401)
    body = thief_page.evaluate(
        "async () => (await fetch('/webhooks/web/history', {credentials: 'include'})).text()"
    )
    assert "rash" not in body.lower()
    victim.close()
    thief.close()


@pytest.fixture(scope="module")
def xss_assistant(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningAssistant]:
    """An assistant whose 'thank you' answer was edited to carry script payloads."""
    knowledge = tmp_path_factory.mktemp("xss") / "knowledge"
    shutil.copytree(ROOT / "data" / "knowledge", knowledge)
    path = knowledge / "conversation.yml"
    path.write_text(
        path.read_text().replace(
            "You're welcome. Is there anything else I can help with?",
            "You're welcome <img src=x onerror=\"window.__xss='img'\"> "
            "[click me](javascript:window.__xss='link') <script>window.__xss='script'</script>",
        )
    )
    running = start_assistant(tmp_path_factory.mktemp("xss-run"), trained_model, knowledge)
    yield running
    running.stop()


def test_xss_in_user_text_and_bot_answer_stays_inert(
    browser: Browser, xss_assistant: RunningAssistant
) -> None:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(demo_url(xss_assistant))
    open_chat(page)
    ask(page, "<img src=x onerror=\"window.__xss='user'\"><script>window.__xss='s'</script>")
    ask(page, "thank you so much")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__xss") is None
    log = page.get_by_test_id("cc-log")
    assert log.locator("img, script, iframe").count() == 0
    hrefs = log.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(h.split(":")[0] in ("http", "https", "tel", "mailto") for h in hrefs if h)
    assert "<img src=x" in page.locator("[data-role=user]").first.inner_text()
    assert dialogs == []
    context.close()


def test_a_whole_conversation_by_keyboard(page: Page) -> None:
    toggle = page.get_by_test_id("cc-toggle")
    for _ in range(40):  # Tab until the toggle has focus
        page.keyboard.press("Tab")
        if toggle.evaluate("el => el === document.activeElement"):
            break
    assert toggle.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    input_box = page.get_by_test_id("cc-input")
    expect(input_box).to_be_focused()
    page.keyboard.type("what are the side effects")
    count = page.locator("[data-role=bot]").count()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-role=bot]').length > n", arg=count
    )
    expect(input_box).to_be_focused()
    # Reach a quick reply by keyboard and press it.
    rash = page.get_by_test_id("cc-quick-reply").filter(has_text="Rash").last
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if rash.evaluate("el => el === document.activeElement"):
            break
    assert rash.evaluate("el => el === document.activeElement")
    outline = rash.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    count = page.locator("[data-role=bot]").count()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-role=bot]').length > n", arg=count
    )
    assert "Rash is one of the possible side effects" in bot_texts(page)
    page.keyboard.press("Escape")
    expect(toggle).to_be_focused()


def test_axe_finds_no_serious_or_critical_violations(page: Page, assistant: RunningAssistant):
    open_chat(page)
    ask(page, "what are the side effects")
    page.add_script_tag(url=assistant.url.replace("/rest/webhook", "/web/vendor/axe.min.js"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize(("width", "height", "zoom"), [(320, 640, 1), (1280, 800, 2)])
def test_small_screens_and_200_percent_zoom(
    browser: Browser, assistant: RunningAssistant, width: int, height: int, zoom: int
) -> None:
    context = browser.new_context(
        viewport={"width": width // zoom, "height": height // zoom}, device_scale_factor=zoom
    )
    page = context.new_page()
    page.goto(demo_url(assistant))
    open_chat(page)
    ask(page, "hi")
    send = page.get_by_test_id("cc-send").bounding_box()
    call = page.get_by_test_id("cc-call").bounding_box()
    viewport = page.viewport_size
    assert send and call and viewport
    for box in (send, call):
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
    overflow = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow
    context.close()


def test_screenshots_for_review(browser: Browser, assistant: RunningAssistant) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", (1280, 800)), ("mobile", (375, 740))):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = context.new_page()
        page.goto(demo_url(assistant))
        open_chat(page)
        ask(page, "what are the side effects of immunotherapy")
        path = REPORTS / f"widget-{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        context.close()


def test_server_down_then_reconnect(browser: Browser, trained_model: Path, tmp_path: Path) -> None:
    running = start_assistant(tmp_path, trained_model)
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo_url(running))
    open_chat(page)
    ask(page, "hello")
    running.stop()
    page.get_by_test_id("cc-input").fill("what is immunotherapy")
    page.get_by_test_id("cc-send").click()
    status = page.get_by_test_id("cc-status")
    expect(status).to_contain_text("1-800-CEDARS-1", timeout=15000)
    restarted = start_assistant(tmp_path, trained_model, ports=running.ports)
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-role=bot]')]"
            ".some(m => m.innerText.includes('immune system'))",
            timeout=60000,
        )
        users = page.locator("[data-role=user]").all_inner_texts()
        assert sum("what is immunotherapy" in u for u in users) == 1
        page.reload()
        page.wait_for_function("() => document.querySelectorAll('[data-role=user]').length >= 2")
        users = page.locator("[data-role=user]").all_inner_texts()
        assert sum("what is immunotherapy" in u for u in users) == 1
    finally:
        context.close()
        restarted.stop()


def test_emergency_shows_the_banner(page: Page) -> None:
    open_chat(page)
    ask(page, "my dad collapsed and is not breathing")
    banner = page.get_by_test_id("cc-emergency")
    expect(banner).to_be_visible()
    assert banner.get_attribute("role") == "alert"
    assert banner.locator("a[href='tel:911']").count() == 1


def test_end_chat_leaves_nothing_for_the_next_person_at_the_computer(page: Page) -> None:
    open_chat(page)
    ask(page, "my rash is itchy, what are the side effects")
    end = page.get_by_role("button", name="End chat")
    expect(end).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/webhooks/web/end")) as ended:
        end.click()
    assert ended.value.status == 200
    assert page.locator("[data-role]").count() == 0
    expect(page.get_by_test_id("cc-notice")).to_contain_text("Chat ended")
    expect(page.get_by_test_id("cc-input")).to_be_focused()
    page.wait_for_function(
        "() => !Object.keys(sessionStorage).some(k => k.startsWith('cc-'))", timeout=5000
    )
    assert not [c for c in page.context.cookies() if c["name"].endswith("cc_session")]
    with page.expect_response(lambda r: r.url.endswith("/webhooks/web/history")) as history:
        page.reload()
    assert history.value.json() == {"messages": []}
    open_chat(page)
    assert page.locator("[data-role]").count() == 0
    assert "rash" not in page.get_by_test_id("cc-panel").inner_text().lower()
    ask(page, "when is the infusion center open")  # a new conversation
    users = page.locator("[data-role=user]").all_inner_texts()
    assert len(users) == 1 and "infusion center" in users[0]


def test_input_is_limited_and_a_double_send_is_sent_once(page: Page) -> None:
    open_chat(page)
    box = page.get_by_test_id("cc-input")
    box.fill("a" * 1500)
    assert len(box.input_value()) <= 1000
    box.fill("is the infusion center open at night")
    page.get_by_test_id("cc-send").dblclick()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-role=bot]').length >= 2")
    page.wait_for_timeout(1500)
    users = page.locator("[data-role=user]").all_inner_texts()
    assert sum("is the infusion center open at night" in u for u in users) == 1
