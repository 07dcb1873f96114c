"""A patient's thumbs-down in the widget, then a reviewer finds it in the staff console: the
rating lives in the conversation on the server (the browser keeps nothing about it), survives a
reload, and the console's inbox filtered on "not helpful" leads to the transcript showing it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Locator, Page, expect

from assistant.console import schema
from tests.browser.conftest import ask, demo_url, open_chat
from tests.browser.console_fixtures import log_in, serving_console
from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
REVIEWER = "rosa.reviewer"
REVIEWER_PASSWORD = "feedback browser test 7391"
QUESTION = "what is immunotherapy exactly? my dad starts it next week"
COMMENT = "didn\u2019t say if it\u2019s like chemo, will he lose his hair?"
ANSWER_START = "uses the body's own immune system"


def widget_storage(page: Page) -> Dict[str, Any]:
    return dict(
        page.evaluate(
            "() => ({local: Object.assign({}, localStorage),"
            " session: Object.assign({}, sessionStorage), cookie: document.cookie})"
        )
    )


def last_answer(page: Page) -> Locator:
    return page.locator("[data-role=bot]").filter(has_text=ANSWER_START).last


def conversation_id(db_url: str, sender_id: str) -> int:
    engine = sa.create_engine(db_url, future=True)
    try:
        table = schema.conversations
        with engine.begin() as connection:
            found = connection.execute(
                sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)
            ).scalar()
    finally:
        engine.dispose()
    assert found is not None, "the rated conversation was not indexed"
    return int(found)


def inbox_ids(page: Page) -> List[int]:
    hrefs = page.locator("table.inbox tbody a[href^='/conversations/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [int(h.rsplit("/", 1)[1]) for h in hrefs]


def test_a_thumbs_down_in_the_widget_is_found_by_a_reviewer_in_the_console(
    browser: Browser, assistant: RunningAssistant, tmp_path: Path
) -> None:
    # -- the patient -----------------------------------------------------------------------
    patient = browser.new_context(viewport={"width": 390, "height": 780})  # a phone
    page = patient.new_page()
    page.goto(demo_url(assistant))
    open_chat(page)
    before = widget_storage(page)
    ask(page, QUESTION)
    answer = last_answer(page)
    expect(answer).to_be_visible()
    helpful = answer.get_by_role("button", name="Helpful", exact=True)
    not_helpful = answer.get_by_role("button", name="Not helpful", exact=True)
    expect(helpful).to_have_attribute("aria-pressed", "false")
    not_helpful.click()
    expect(not_helpful).to_have_attribute("aria-pressed", "true")
    comment = answer.get_by_label("What was missing? (optional)")
    expect(comment).to_be_focused()
    comment.fill(COMMENT)
    answer.get_by_role("button", name="Send").click()
    expect(answer.get_by_test_id("cc-rate-note")).to_have_text("Thanks for your feedback.")
    expect(comment).to_have_count(0)

    # Nothing about the rating is kept in the browser: storage is as it was before.
    after = widget_storage(page)
    assert after == before, (before, after)
    assert after["local"] == {} and after["cookie"] == ""
    assert "hair" not in str(after)
    # The rating comes back from the server after a reload.
    page.reload()
    reloaded = last_answer(page)
    expect(reloaded.get_by_role("button", name="Not helpful", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(reloaded.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    (session,) = [c for c in patient.cookies() if c["name"] == "cc_session"]
    sender_id = "web-" + str(session["value"]).split(".")[0]
    patient.close()

    # -- the reviewer ----------------------------------------------------------------------
    db_url = f"sqlite:///{assistant.tracker_db}"
    account = (REVIEWER, "reviewer", REVIEWER_PASSWORD)
    with serving_console(db_url, tmp_path, *account) as (console, _process, _log):
        reviewer = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=console)
        review = reviewer.new_page()
        review.set_default_timeout(15_000)
        log_in(review, REVIEWER, REVIEWER_PASSWORD)
        review.get_by_label("Not helpful", exact=True).check()
        review.get_by_role("button", name="Apply").click()
        review.wait_for_url(re.compile(r"/inbox\?.*feedback=not_helpful"))
        rated = conversation_id(db_url, sender_id)
        assert rated in inbox_ids(review)

        review.locator(f"table.inbox a[href='/conversations/{rated}']").first.click()
        review.wait_for_url(f"**/conversations/{rated}")
        # The thumbs-down is recorded at once, and again with the comment once it is sent:
        # the latest rating of the answer is the one shown.
        expect(review.locator(".feedback")).to_have_count(1)
        feedback = review.locator(".feedback[data-rating=not_helpful]").filter(
            has_text="like chemo, will he lose his hair?"
        )
        expect(feedback).to_have_count(1)
        expect(feedback).to_contain_text("Not helpful")
        # Next to the answer it rates: in that message's block, or right after it.
        beside = feedback.evaluate(
            """(el, text) => [el.closest('article'), el.previousElementSibling,
                el.parentElement && el.parentElement.previousElementSibling]
                .some(n => n && n.innerText.includes(text))""",
            ANSWER_START,
        )
        assert beside, review.locator("main").inner_html()
        reviewer.close()
