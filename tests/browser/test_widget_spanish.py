"""The chat widget in Spanish, in a real (headless) browser: the UI language from the page,
the header toggle that relabels everything, `lang` on the panel and the bubbles, the language
fields each message sends, and an axe scan of the Spanish UI.

The host pages are served by Playwright at the assistant's own origin (so the widget talks to
the real server). Where a test needs a Spanish answer, ``/message`` is answered by a stand-in
with the Spanish text of a knowledge entry and ``language: "es"``, as the channel sends it,
and ``/feedback`` by one that takes the rating.
``test_the_languages_reach_the_conversation_on_the_server`` goes to the real bot.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, Route, expect

from assistant.dialogue_names import META_LANGUAGE_CHOICE, META_PAGE_LANGUAGE
from assistant.knowledge import WEB, KnowledgeBase, KnowledgeStore
from tests.browser.conftest import ROOT, ask, open_chat
from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow
ANSWERED_ENTRY = "immunotherapy.overview"  # has buttons; its Spanish is current


def origin(assistant: RunningAssistant) -> str:
    return assistant.url.split("/webhooks/")[0]


def host_page(html_lang: Optional[str], data_lang: Optional[str], widget: str) -> str:
    lang = f' lang="{html_lang}"' if html_lang else ""
    data = f' data-lang="{data_lang}"' if data_lang else ""
    return (
        f"<!doctype html><html{lang}><head><meta charset='utf-8'><title>Inmunoterapia</title>"
        "</head><body><main><h1>Inmunoterapia</h1><p>Centro de cáncer.</p></main>"
        f'<script src="{widget}"{data} defer></script></body></html>'
    )


class Site:
    """Host pages at the assistant's origin, and (``answer_in_spanish``) a stand-in for
    ``POST /message`` that records each body and answers in Spanish."""

    def __init__(self, page: Page, assistant: RunningAssistant, knowledge: KnowledgeBase) -> None:
        self.page = page
        self.origin = origin(assistant)
        self.knowledge = knowledge
        self.sent: List[Dict[str, Any]] = []

    def open(self, html_lang: Optional[str], data_lang: Optional[str] = None) -> None:
        body = host_page(html_lang, data_lang, f"{self.origin}/webhooks/web/widget.js")
        self.page.route(
            f"{self.origin}/host-page",
            lambda route: route.fulfill(status=200, content_type="text/html", body=body),
        )
        self.page.goto(f"{self.origin}/host-page")
        self.page.get_by_test_id("cc-toggle").wait_for(state="visible")

    def answer_in_spanish(self) -> None:
        self.page.route(f"{self.origin}/webhooks/web/message", self._answer)
        self.page.route(f"{self.origin}/webhooks/web/feedback", self._rated)

    @staticmethod
    def _rated(route: Route) -> None:  # the stand-in's answers are not in the tracker
        asked = json.loads(route.request.post_data or "{}")
        route.fulfill(status=200, content_type="application/json", body=json.dumps(asked))

    def _answer(self, route: Route) -> None:
        self.sent.append(json.loads(route.request.post_data or "{}"))
        rendered = self.knowledge.render(ANSWERED_ENTRY, WEB, language="es")
        message = {
            "role": "bot",
            "text": rendered.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in rendered.buttons],
            "timestamp": time.time(),
            "emergency": False,
            "kb_entry": ANSWERED_ENTRY,
            "rateable": True,
            "language": rendered.language,
            "client_id": None,
        }
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"messages": [message]})
        )


@pytest.fixture
def knowledge() -> KnowledgeBase:
    base = KnowledgeStore(ROOT / "data" / "knowledge", check_interval_s=0).current()
    assert base.render(ANSWERED_ENTRY, WEB, language="es").language == "es", "translation stale"
    return base


@pytest.fixture
def site(browser: Browser, assistant: RunningAssistant, knowledge: KnowledgeBase) -> Iterator[Site]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield Site(context.new_page(), assistant, knowledge)
    context.close()


def root_lang(page: Page) -> Optional[str]:
    return page.locator("#cc-chat-root").get_attribute("lang")


def expect_spanish(page: Page) -> None:
    assert root_lang(page) == "es"
    expect(page.get_by_test_id("cc-toggle")).to_have_attribute("aria-label", "Cerrar el chat")
    expect(page.locator("#cc-title")).to_have_text("Pregunte sobre la inmunoterapia")
    expect(page.get_by_test_id("cc-send")).to_have_text("Enviar")
    expect(page.get_by_test_id("cc-end")).to_have_text("Terminar el chat")
    expect(page.get_by_test_id("cc-call")).to_contain_text("Llamar al 1-800-CEDARS-1")
    expect(page.get_by_label("Escriba su pregunta")).to_be_visible()
    expect(page.get_by_test_id("cc-log")).to_have_attribute("aria-label", "Conversación")
    toggle_text = page.get_by_test_id("cc-lang").locator(".cc-lang-text")
    expect(toggle_text).to_have_attribute("lang", "en")
    expect(toggle_text).to_contain_text("English")
    expect(page.get_by_role("button", name="English (show the chat in English)")).to_be_visible()


def expect_english(page: Page) -> None:
    assert root_lang(page) == "en"
    expect(page.get_by_test_id("cc-toggle")).to_have_attribute("aria-label", "Close chat")
    expect(page.locator("#cc-title")).to_have_text("Ask about immunotherapy")
    expect(page.get_by_test_id("cc-send")).to_have_text("Send")
    expect(page.get_by_test_id("cc-end")).to_have_text("End chat")
    expect(page.get_by_test_id("cc-call")).to_contain_text("Call 1-800-CEDARS-1")
    expect(page.get_by_label("Type your question")).to_be_visible()
    expect(page.get_by_test_id("cc-log")).to_have_attribute("aria-label", "Conversation")
    toggle_text = page.get_by_test_id("cc-lang").locator(".cc-lang-text")
    expect(toggle_text).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Español (ver el chat en español)")).to_be_visible()


@pytest.mark.parametrize(
    ("html_lang", "data_lang", "spanish"),
    [
        ("es", None, True),
        ("es-MX", None, True),
        ("es-419", None, True),
        ("fr", None, False),
        (None, None, False),
        ("en", "es", True),  # the widget's data-lang wins over the page
        ("es", "en", False),
    ],
)
def test_the_ui_language_comes_from_the_page_or_the_widget_tag(
    site: Site, html_lang: Optional[str], data_lang: Optional[str], spanish: bool
) -> None:
    site.open(html_lang, data_lang)
    closed = "Abrir el chat" if spanish else "Open chat"
    expect(site.page.get_by_test_id("cc-toggle")).to_have_attribute("aria-label", closed)
    open_chat(site.page)
    (expect_spanish if spanish else expect_english)(site.page)


def test_the_toggle_switches_both_ways_relabels_and_tells_the_server(site: Site) -> None:
    page = site.page
    site.answer_in_spanish()
    site.open("es")
    open_chat(page)
    ask(page, "q es la inmunoterapia? mi mama empieza el lunes")
    user, bot = (
        page.locator("[data-role=user] .cc-bubble"),
        page.locator("[data-role=bot] .cc-bubble"),
    )
    expect(user.last).to_have_attribute("lang", "es")
    expect(bot.last).to_have_attribute("lang", "es")
    expect(page.locator("[data-role=user] .cc-sr-only").last).to_have_text("Usted dijo: ")
    expect(page.get_by_role("button", name="Me sirvió", exact=True)).to_be_visible()
    quick = page.get_by_test_id("cc-quick-reply").first
    expect(quick).to_have_attribute("lang", "es")
    stamp = page.locator("[data-role=bot] time").last
    spanish_time = stamp.inner_text()
    assert spanish_time == page.evaluate(
        "t => new Intl.DateTimeFormat('es-US', {hour: 'numeric', minute: '2-digit'})"
        ".format(new Date(t))",
        stamp.get_attribute("datetime"),
    )

    page.get_by_test_id("cc-lang").click()  # to English
    expect_english(page)
    expect(page.get_by_test_id("cc-notice")).to_have_text("The chat is now in English.")
    expect(page.get_by_test_id("cc-lang")).to_be_focused()
    expect(page.locator("[data-role=user] .cc-sr-only").last).to_have_text("You said: ")
    expect(page.locator("[data-role=user] .cc-sr-only").last).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Suggested replies")).to_be_visible()
    assert stamp.inner_text() != spanish_time  # "3:05 p. m." became "3:05 PM"
    expect(user.last).to_have_attribute("lang", "es")  # a message keeps its own language
    expect(bot.last).to_have_attribute("lang", "es")

    ask(page, "what are the side effects")  # the choice goes out once, with this message
    expect(user.last).to_have_attribute("lang", "en")
    ask(page, "ok thx")
    page.reload()  # the choice lasts for the session
    page.get_by_test_id("cc-input").wait_for(state="visible")  # the panel is reopened
    expect_english(page)

    page.get_by_test_id("cc-lang").click()  # and back to Spanish
    expect_spanish(page)
    ask(page, "gracias")
    languages = [(m.get(META_PAGE_LANGUAGE), m.get(META_LANGUAGE_CHOICE)) for m in site.sent]
    assert languages == [("es", None), ("en", "en"), ("en", None), ("es", "es")]


def test_axe_finds_nothing_in_the_spanish_ui(site: Site, assistant: RunningAssistant) -> None:
    page = site.page
    site.answer_in_spanish()
    site.open("es")
    open_chat(page)
    ask(page, "tengo sarpullido, es normal con la inmunoterapia??")
    page.get_by_role("button", name="No me sirvió", exact=True).click()
    expect(page.get_by_label("¿Qué información le faltó? (opcional)")).to_be_visible()
    page.add_script_tag(url=f"{origin(assistant)}/webhooks/web/vendor/axe.min.js")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in results["violations"]
    ]
    assert found == []


def test_the_languages_reach_the_conversation_on_the_server(
    site: Site, assistant: RunningAssistant
) -> None:
    page = site.page
    site.open("es")
    open_chat(page)
    ask(page, "hola")
    page.get_by_test_id("cc-lang").click()
    ask(page, "hello, what is immunotherapy")
    expect(page.locator("[data-role=user] .cc-bubble").last).to_have_attribute("lang", "en")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "cc_session"]
    sender_id = "web-" + str(cookie["value"]).split(".")[0]
    engine = sa.create_engine(f"sqlite:///{assistant.tracker_db}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
            {"s": sender_id},
        ).all()
    engine.dispose()
    metadata = [json.loads(row[0]).get("metadata") or {} for row in rows]
    assert [(m.get(META_PAGE_LANGUAGE), m.get(META_LANGUAGE_CHOICE)) for m in metadata] == [
        ("es", None),
        ("en", "en"),
    ]


@pytest.mark.parametrize(("width", "height", "zoom"), [(320, 640, 1), (1280, 800, 2)])
def test_the_longer_spanish_labels_fit_small_screens_and_200_percent_zoom(
    browser: Browser, assistant: RunningAssistant, width: int, height: int, zoom: int
) -> None:
    context = browser.new_context(
        viewport={"width": width // zoom, "height": height // zoom}, device_scale_factor=zoom
    )
    page = context.new_page()
    page.goto(f"{origin(assistant)}/webhooks/web/demo?lang=es")  # the demo's Spanish widget
    open_chat(page)
    expect_spanish(page)
    viewport = page.viewport_size
    assert viewport
    for test_id in ("cc-call", "cc-lang", "cc-end", "cc-close", "cc-send"):
        box = page.get_by_test_id(test_id).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, test_id
    overflow = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow
    context.close()
