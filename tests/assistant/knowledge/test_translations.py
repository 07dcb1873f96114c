"""The Spanish translations: every entry has one that translates its English as it is now
(this test lists the stale and missing ones), the stamp tool records the English a translation
was written from, and a change to the English makes the Spanish stale."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.knowledge import ES, SMS, WEB, KnowledgeBase, KnowledgeError, load_knowledge
from assistant.knowledge.models import english_fingerprint, fold_to_gsm7, placeholders_in
from assistant.knowledge.translations import (
    CURRENT,
    MISSING,
    STALE,
    not_current,
    stamp_file,
    translation_report,
)


def test_every_entry_has_a_current_spanish_translation(knowledge: KnowledgeBase) -> None:
    """The gate: no Spanish answer without a current English original. To mend a failure,
    update the Spanish, then write `translates: new` and run
    `python -m assistant.knowledge.translations stamp`."""
    assert [f"{s.state} {s.entry_id}" for s in not_current(knowledge)] == []


def test_translations_use_the_same_placeholders_and_buttons(knowledge: KnowledgeBase) -> None:
    for entry in knowledge.entries:
        assert entry.es is not None, entry.id
        assert placeholders_in(entry.es.answer) == placeholders_in(entry.answer), entry.id
        assert placeholders_in(entry.es.sms) == placeholders_in(entry.sms), entry.id
        assert len(entry.es.buttons) == len(entry.buttons), entry.id


def test_spanish_renders_with_spanish_hours(knowledge: KnowledgeBase) -> None:
    text = knowledge.render("support.handoff_open", WEB, None, ES).text
    assert "hora del Pacífico" in text and "Pacific time" not in text
    assert knowledge.render("support.handoff_open", SMS, None, ES).language == ES


def _rewrite(path: Path, entry_id: str, **changes: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        if entry["id"] == entry_id:
            for key, value in changes.items():
                if key.startswith("es_"):
                    entry["es"][key[3:]] = value
                else:
                    entry[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_changing_the_english_makes_the_spanish_stale(knowledge_copy: Path) -> None:
    _rewrite(knowledge_copy / "infusion_center.yml", "infusion.hours", sms="New hours soon.")
    knowledge = load_knowledge(knowledge_copy)
    report = translation_report(knowledge)
    assert report[0].entry_id == "infusion.hours" and report[0].state == STALE
    assert {s.state for s in report[1:]} == {CURRENT}
    rendered = knowledge.render("infusion.hours", SMS, None, ES)
    assert rendered.text == "New hours soon." and rendered.language == "en"
    assert rendered.note == knowledge.render("conversation.translation_pending", SMS, None, ES).text


def test_a_button_title_counts_as_english_text(knowledge_copy: Path) -> None:
    path = knowledge_copy / "immunotherapy.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["buttons"][0]["title"] = "Kinds of immunotherapy"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    states = {s.entry_id: s.state for s in translation_report(load_knowledge(knowledge_copy))}
    assert states[data["entries"][0]["id"]] == STALE


def test_an_entry_without_spanish_is_missing_and_answers_in_english(knowledge_copy: Path) -> None:
    path = knowledge_copy / "other_pages.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry_id = data["entries"][0]["id"]
    del data["entries"][0]["es"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    knowledge = load_knowledge(knowledge_copy)
    assert [(s.entry_id, s.state, s.review) for s in not_current(knowledge)] == [
        (entry_id, MISSING, None)
    ]
    rendered = knowledge.render(entry_id, WEB, None, ES)
    assert rendered.language == "en" and rendered.note


def test_stamp_records_the_english_fingerprint(knowledge_copy: Path) -> None:
    path = knowledge_copy / "infusion_center.yml"
    _rewrite(path, "infusion.hours", sms="New hours soon.", es_translates="new")
    assert stamp_file(path) == 1
    entry = load_knowledge(knowledge_copy).get("infusion.hours")
    assert entry.es is not None and entry.spanish_is_current
    titles = [button.title for button in entry.buttons]
    assert entry.es.translates == english_fingerprint(entry.answer, entry.sms, titles)
    assert stamp_file(path) == 0


def test_stamp_refuses_a_mark_outside_es_translates(tmp_path: Path) -> None:
    path = tmp_path / "topic.yml"
    path.write_text("entries:\n  - id: x\n    translates: new\n", encoding="utf-8")
    with pytest.raises(ValueError, match="translates: new"):
        stamp_file(path)


def test_a_translation_needs_one_title_per_button(knowledge_copy: Path) -> None:
    _rewrite(knowledge_copy / "immunotherapy.yml", "immunotherapy.overview", es_buttons=["Tipos"])
    with pytest.raises(
        KnowledgeError, match=r"immunotherapy.yml: entry 'immunotherapy.overview'.*es"
    ):
        load_knowledge(knowledge_copy)


def test_a_translation_needs_a_review_state(knowledge_copy: Path) -> None:
    _rewrite(knowledge_copy / "immunotherapy.yml", "immunotherapy.overview", es_review="maybe")
    with pytest.raises(KnowledgeError, match="review"):
        load_knowledge(knowledge_copy)


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("¿Qué es la inmunoterapia? Sí", "¿Qué es la inmunoterapia? Si"),
        ("Llame al 911 también; el niño está aquí", "Llame al 911 también; el niño esta aqui"),
        ("Reply HELP", "Reply HELP"),
        ("Información ÚTIL", "Informacion UTIL"),
    ],
)
def test_fold_to_gsm7_keeps_what_gsm7_has(text: str, sent: str) -> None:
    assert fold_to_gsm7(text) == sent


def test_a_reply_button_sends_its_spanish_title(knowledge: KnowledgeBase) -> None:
    """A button that sends its title as text ("Morning" for the callback time) sends the
    Spanish title in Spanish, so the confirmation repeats "Por la mañana", not "Morning"."""
    buttons = knowledge.render("callback.ask_time", WEB, None, ES).buttons
    assert [b.payload for b in buttons] == [b.title for b in buttons]
    assert "Morning" not in [b.payload for b in buttons]
    assert {b.payload for b in buttons} <= set(knowledge.button_payloads())
    intents = knowledge.render("immunotherapy.overview", WEB, None, ES).buttons
    assert all(b.payload.startswith("/") for b in intents)
