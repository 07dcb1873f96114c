"""The Clinical review page: the safety texts awaiting the clinical team's sign-off, over a
small knowledge folder whose review states each test sets; the dashboard's line; the nav."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import AsyncIterator, Dict

import pytest
from argon2 import PasswordHasher

from assistant.console import accounts
from assistant.console.app import create_app
from assistant.console.clinical_review import ReviewKnowledge, entry_files, pending_review
from assistant.console.settings import ConsoleSettings
from assistant.knowledge import load_knowledge
from bench.console_harness import Console, ConsoleClient
from tests.assistant.console.builders import escaped
from tests.assistant.console.knowledge_folder import console_over, spanish, write_folder

SCRIPT = '<script>alert("answer")</script>'
ES_HTML = "<img src=x onerror=alert(1)>"


def _citation(section: str) -> Dict[str, object]:
    return {"section": section, "quotes": [f"Quoted from {section}."]}


def write_knowledge(
    directory: Path,
    emergency: str = "pending",
    fever: str = "approved",
    emergency_answer: str = f"**Call 911 now.** {SCRIPT}\n\nThen call {{support_link}}.",
) -> Path:
    """A knowledge folder of three entries: the emergency answer (with Spanish), the fever
    symptom report (no Spanish) and an ordinary answer without a review state."""
    safety = {
        "entries": [
            spanish(
                {
                    "id": "safety.emergency",
                    "intents": ["emergency"],
                    "answer": emergency_answer,
                    "sms": "If this is an emergency, call 911 now. Support line: {support_phone}.",
                    "source": {
                        "section": "Infusion Center",
                        "red_flags": _citation("Call 911"),
                    },
                    "last_reviewed": "2026-11-28",
                    "clinical_review": emergency,
                },
                answer=f"**Llame al 911 ahora.** {ES_HTML}",
                sms="Si es una emergencia, llame al 911 ahora.",
            ),
        ]
    }
    triage = {
        "entries": [
            {
                "id": "triage.fever",
                "intents": ["symptom_report"],
                "answer": "A fever of 100.4 F or higher: call your care team now.",
                "sms": "A fever of 100.4 F or higher: call your care team now.",
                "source": {"section": "Side effects", "red_flags": _citation("Fever")},
                "last_reviewed": "2026-11-27",
                "clinical_review": fever,
            },
        ]
    }
    info = {
        "entries": [
            {
                "id": "info.hours",
                "intents": ["ask_hours"],
                "answer": "We are open {support_hours}.",
                "sms": "We are open {support_hours}.",
                "source": {"section": "Need Help?"},
                "last_reviewed": "2026-11-26",
            },
        ]
    }
    files = {"safety": safety, "triage": triage, "info": info}
    return write_folder(directory, {name: data["entries"] for name, data in files.items()})


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", hasher)


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    return write_knowledge(tmp_path / "knowledge")


@pytest.fixture
async def console(knowledge_dir: Path, tmp_path: Path) -> AsyncIterator[Console]:
    async with console_over(knowledge_dir, tmp_path) as started:
        yield started


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


def section_of(page: str, entry_id: str) -> str:
    start = page.index(f'id="entry-{entry_id}"')
    return page[start : page.index("</section>", start)]


# -- the pure part ------------------------------------------------------------------------


def test_pending_review_selects_the_pending_entries(knowledge_dir: Path) -> None:
    knowledge = load_knowledge(knowledge_dir)

    summary = pending_review(knowledge, entry_files(knowledge_dir))

    assert [text.entry_id for text in summary.pending] == ["safety.emergency"]
    assert summary.approved == 1
    (text,) = summary.pending
    assert (text.file, text.tiers, text.intents) == ("safety.yml", ("emergency",), ("emergency",))
    assert text.answer.startswith("**Call 911 now.** " + SCRIPT)
    assert "[1-800-CEDARS-1](tel:+18002332771)" in text.answer  # the web text, filled in
    assert text.sms.endswith("Support line: 1-800-CEDARS-1 (1-800-233-2771).")
    assert text.has_spanish and text.es_sms == "Si es una emergencia, llame al 911 ahora."
    assert text.red_flags_section == "Call 911"
    assert text.red_flags_quotes == ("Quoted from Call 911.",)
    assert text.last_reviewed.isoformat() == "2026-11-28"


def test_pending_texts_come_highest_tier_first(tmp_path: Path) -> None:
    directory = write_knowledge(tmp_path / "k", emergency="pending", fever="pending")

    summary = pending_review(load_knowledge(directory))

    assert [t.entry_id for t in summary.pending] == ["safety.emergency", "triage.fever"]
    assert summary.approved == 0
    fever = summary.pending[1]
    assert fever.tiers == ("symptom_report",) and fever.file == ""
    assert not fever.has_spanish and fever.es_answer is None and fever.es_sms is None


def test_an_approval_is_picked_up_live(knowledge_dir: Path) -> None:
    source = ReviewKnowledge(knowledge_dir, check_interval_s=0)
    assert source.state().pending_count == 1

    path = knowledge_dir / "safety.yml"
    path.write_text(
        path.read_text().replace("clinical_review: pending", "clinical_review: approved")
    )

    state = source.state()
    assert state.pending_count == 0 and state.summary is not None
    assert state.summary.approved == 2 and state.error is None


def test_a_folder_that_does_not_load_is_an_error_then_recovers(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    source = ReviewKnowledge(directory, check_interval_s=0)

    broken = source.state()

    assert broken.summary is None and broken.pending_count == 0
    assert broken.error is not None and "not found" in broken.error
    write_knowledge(directory)
    assert source.state().pending_count == 1


def test_a_bad_edit_keeps_the_last_good_version(knowledge_dir: Path) -> None:
    source = ReviewKnowledge(knowledge_dir, check_interval_s=0)
    source.state()

    (knowledge_dir / "triage.yml").write_text("entries: [{id: triage.fever}]\n")

    state = source.state()
    assert state.pending_count == 1 and state.error is None
    assert state.reload_error is not None and "triage.fever" in state.reload_error


# -- where the console finds the knowledge ------------------------------------------------


def test_the_knowledge_dir_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    assert ConsoleSettings.from_env({}).knowledge_dir == Path("data/knowledge")
    assert ConsoleSettings().knowledge_dir == Path("data/knowledge")
    assert ConsoleSettings.from_env({"KNOWLEDGE_DIR": "/k"}).knowledge_dir == Path("/k")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path))
    assert ConsoleSettings().knowledge_dir == tmp_path

    app = create_app(ConsoleSettings(knowledge_dir=tmp_path), name=f"c_{uuid.uuid4().hex[:8]}")
    assert app.ctx.knowledge.directory == tmp_path


# -- the page -----------------------------------------------------------------------------


async def test_page_lists_the_pending_entry_not_the_approved_one(reviewer: ConsoleClient) -> None:
    reply = await reviewer.get("/clinical-review")

    assert reply.status_code == 200
    page = reply.text
    assert "Go-live needs the clinical team's sign-off of every pending text" in page
    assert "<code>clinical_review: pending</code> to <code>clinical_review: approved</code>" in page
    assert "picked up live" in page
    assert "<strong>1</strong> text awaits sign-off; <strong>1</strong> approved." in page
    assert "triage.fever" not in page and "info.hours" not in page
    entry = section_of(page, "safety.emergency")
    assert '<span class="tag">emergency</span>' in entry
    assert "<code>safety.yml</code>" in entry
    assert "<td>2026-11-28</td>" in entry
    assert "If this is an emergency, call 911 now. Support line: 1-800-CEDARS-1" in entry
    assert "<strong>Yes.</strong>" in entry
    assert "Si es una emergencia, llame al 911 ahora." in entry
    assert "Section: <strong>Call 911</strong>" in entry
    assert "Quoted from Call 911." in entry


async def test_page_shows_answers_as_escaped_text(reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/clinical-review")).text

    for html in (SCRIPT, ES_HTML):
        assert html not in page
        assert escaped(html) in page
    assert "**Call 911 now.**" in page  # markdown stays text, not <strong>
    # The answer's paragraphs stay paragraphs.
    answer = page[page.index('class="answer-web"') : page.index('class="answer-sms"')]
    assert answer.count("<p>") == 2


async def test_every_pending_entry_is_listed(tmp_path: Path) -> None:
    directory = write_knowledge(tmp_path / "k", emergency="pending", fever="pending")
    async with console_over(directory, tmp_path) as console:
        client = await console.logged_in("ada", "admin")
        page = (await client.get("/clinical-review")).text

    assert "<strong>2</strong> texts await sign-off; <strong>0</strong> approved." in page
    fever = section_of(page, "triage.fever")
    assert "No Spanish text" in fever and '<span class="tag">symptom_report</span>' in fever
    assert page.index('id="entry-safety.emergency"') < page.index('id="entry-triage.fever"')


async def test_nothing_pending(tmp_path: Path) -> None:
    directory = write_knowledge(tmp_path / "k", emergency="approved", fever="approved")
    async with console_over(directory, tmp_path) as console:
        client = await console.logged_in("rita")
        page = (await client.get("/clinical-review")).text
        dashboard = (await client.get("/dashboard")).text

    assert "<strong>0</strong> texts await sign-off; <strong>2</strong> approved." in page
    assert "No text awaits clinical sign-off." in page
    assert 'id="clinical-signoff"' not in dashboard


async def test_knowledge_that_does_not_load_shows_the_error(tmp_path: Path) -> None:
    directory = write_knowledge(tmp_path / "k")
    path = directory / "triage.yml"
    path.write_text(path.read_text().replace("  intents:", "  <b>typo</b>: 1\n  intents:"))
    async with console_over(directory, tmp_path) as console:
        client = await console.logged_in("rita")
        reply = await client.get("/clinical-review")
        dashboard = (await client.get("/dashboard")).text

    assert reply.status_code == 200
    assert "The knowledge did not load" in reply.text
    assert "<b>typo</b>" not in reply.text
    assert escaped("<b>typo</b>") in reply.text and "triage.fever" in reply.text
    assert "Go-live needs the clinical team" in reply.text
    assert 'id="clinical-signoff"' in dashboard and "did not load" in dashboard


async def test_page_needs_a_login(console: Console) -> None:
    reply = await console.client().get("/clinical-review")

    assert reply.status_code == 302
    assert reply.headers["location"] == "/login?next=%2Fclinical-review"


@pytest.mark.parametrize("role", ["reviewer", "admin"])
async def test_reviewers_and_admins_may_read_it(console: Console, role: str) -> None:
    client = await console.logged_in(f"user_{role}", role)

    reply = await client.get("/clinical-review")

    assert reply.status_code == 200 and "safety.emergency" in reply.text


async def test_nav_links_to_the_page(reviewer: ConsoleClient) -> None:
    inbox = (await reviewer.get("/inbox")).text
    page = (await reviewer.get("/clinical-review")).text

    assert '<a href="/clinical-review">Clinical review</a>' in inbox
    assert '<a href="/clinical-review" aria-current="page">Clinical review</a>' in page


# -- the dashboard's line -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("emergency", "fever", "line"),
    [
        ("pending", "approved", "1 safety text awaits clinical sign-off"),
        ("pending", "pending", "2 safety texts await clinical sign-off"),
    ],
)
async def test_dashboard_counts_the_texts_awaiting_sign_off(
    tmp_path: Path, emergency: str, fever: str, line: str
) -> None:
    directory = write_knowledge(tmp_path / "k", emergency=emergency, fever=fever)
    async with console_over(directory, tmp_path) as console:
        client = await console.logged_in("rita")
        page = (await client.get("/dashboard")).text

    assert f'<p class="notice" id="clinical-signoff"><a href="/clinical-review">{line}</a></p>' in (
        page
    )
