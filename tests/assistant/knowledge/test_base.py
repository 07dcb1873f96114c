"""Entry selection and rendering per channel."""

from __future__ import annotations

import pytest

from assistant.knowledge import SMS, WEB, EntityMention, KnowledgeBase


def test_select_prefers_the_entry_the_entity_names(knowledge: KnowledgeBase) -> None:
    entry = knowledge.select("ask_side_effects", [EntityMention("side_effect", "diarrhea")])
    assert entry is not None and entry.id == "side_effects.diarrhea"


def test_select_uses_the_first_matching_entity_in_message_order(knowledge: KnowledgeBase) -> None:
    mentions = [EntityMention("side_effect", "fatigue"), EntityMention("side_effect", "rash")]
    entry = knowledge.select("ask_side_effects", mentions)
    assert entry is not None and entry.id == "side_effects.fatigue"


def test_select_falls_back_to_the_general_entry(knowledge: KnowledgeBase) -> None:
    entry = knowledge.select("ask_side_effects", [EntityMention("amenity", "recliner")])
    assert entry is not None and entry.id == "side_effects.overview"


def test_entity_of_another_topic_does_not_hijack_the_intent(knowledge: KnowledgeBase) -> None:
    entry = knowledge.select("ask_infusion_hours", [EntityMention("side_effect", "rash")])
    assert entry is not None and entry.id == "infusion.hours"


def test_unknown_intent_has_no_entry(knowledge: KnowledgeBase) -> None:
    assert knowledge.select("ask_weather") is None


def test_web_text_links_the_phone_number(knowledge: KnowledgeBase) -> None:
    text = knowledge.render("support.handoff_open", WEB).text
    assert "[1-800-CEDARS-1](tel:+18002332771)" in text
    assert "6 am - 9 pm" in text


def test_sms_text_is_plain(knowledge: KnowledgeBase) -> None:
    text = knowledge.render("support.handoff_open", SMS).text
    assert "tel:" not in text and "](" not in text
    assert "1-800-CEDARS-1 (1-800-233-2771)" in text


def test_render_fills_params_and_requires_them(knowledge: KnowledgeBase) -> None:
    text = knowledge.render("support.handoff_closed", WEB, {"next_open": "6:00 AM on Monday"}).text
    assert "6:00 AM on Monday" in text
    with pytest.raises(ValueError, match="needs params"):
        knowledge.render("support.handoff_closed", WEB)


def test_button_payloads_include_entity_buttons(knowledge: KnowledgeBase) -> None:
    payloads = knowledge.button_payloads()
    assert "/request_human" in payloads
    assert '/ask_side_effects{"side_effect": "rash"}' in payloads
