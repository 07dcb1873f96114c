"""Shaping the bot's messages into SMS parts: plain text, numbered menu, GSM-7, split, capped."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from assistant.channels.sms.reply import SmsReply, plain, shape_reply
from assistant.channels.sms.segments import MAX_BODY_CHARS, fold_for_sms, is_gsm7, segment_count
from assistant.dialogue_names import ENTRY_SMS_MENU, ENTRY_SMS_MENU_CHOICE
from assistant.knowledge import EN, ES, SMS, KnowledgeBase, load_knowledge

Message = Dict[str, Any]

BUTTONS = [
    {"title": "Side effects", "payload": "/ask_side_effects"},
    {"title": "Costs", "payload": "/ask_cost"},
    {"title": "Talk to a person", "payload": "/handoff"},
]
LONG = " ".join(
    f"Sentence {i} explains one more detail about immunotherapy infusions." for i in range(40)
)


def texts_of(reply: SmsReply) -> str:
    return "\n".join(reply.parts)


def assert_fits(reply: SmsReply, max_segments: int = 2) -> None:
    assert all(part.strip() for part in reply.parts), reply.parts
    assert all(segment_count(part) <= max_segments for part in reply.parts), reply.parts
    assert sum(len(part) for part in reply.parts) <= MAX_BODY_CHARS


# --- plain text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[911](tel:911)", "911"),
        ("Call [911](tel:911) now.", "Call 911 now."),
        (
            "Call [1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771).",
            "Call 1-800-CEDARS-1 (1-800-233-2771).",
        ),
        ("**If this is an emergency, call 911.**", "If this is an emergency, call 911."),
        ("This is __important__.", "This is important."),
        ("* first\n* second", "- first\n- second"),
    ],
)
def test_plain_removes_markdown(markdown: str, expected: str) -> None:
    assert plain(markdown) == expected


def test_markdown_in_bot_text_becomes_plain(knowledge: KnowledgeBase) -> None:
    reply = shape_reply(
        [{"text": "**If this is an emergency, call [911](tel:911) now.**"}],
        knowledge,
        allow_unicode=False,
    )
    assert reply.parts == ["If this is an emergency, call 911 now."]
    assert reply.menu == []


# --- numbered menu -------------------------------------------------------------------------


def test_buttons_become_a_numbered_menu(knowledge: KnowledgeBase) -> None:
    reply = shape_reply(
        [{"text": "What would you like to know?", "buttons": BUTTONS[:2]}],
        knowledge,
        allow_unicode=False,
    )
    assert reply.menu == ["/ask_side_effects", "/ask_cost"]
    assert reply.parts == ["What would you like to know?\nReply 1 for Side effects, 2 for Costs."]


def test_menu_text_is_rendered_from_the_sms_entries(knowledge: KnowledgeBase) -> None:
    choices = ", ".join(
        knowledge.render("sms.menu_choice", SMS, {"number": str(i), "title": b["title"]}).text
        for i, b in enumerate(BUTTONS, start=1)
    )
    expected = knowledge.render("sms.menu", SMS, {"choices": choices}).text
    assert expected == "Reply 1 for Side effects, 2 for Costs, 3 for Talk to a person."
    reply = shape_reply([{"text": "Choose:", "buttons": BUTTONS}], knowledge, allow_unicode=False)
    assert reply.parts[-1].endswith(expected)
    assert reply.menu == [b["payload"] for b in BUTTONS]


def test_edited_menu_wording_is_used(knowledge_copy: Path) -> None:
    path = knowledge_copy / "sms.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        if entry["id"] == "sms.menu":
            entry["sms"] = "Text back {choices}."
        if entry["id"] == "sms.menu_choice":
            entry["sms"] = "{number}={title}"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    edited = load_knowledge(knowledge_copy)
    reply = shape_reply([{"text": "Choose:", "buttons": BUTTONS[:2]}], edited, allow_unicode=False)
    assert reply.parts == ["Choose:\nText back 1=Side effects, 2=Costs."]


def test_only_the_last_message_with_buttons_makes_the_menu(knowledge: KnowledgeBase) -> None:
    messages: List[Message] = [
        {"text": "First question?", "buttons": [{"title": "Old", "payload": "/old"}]},
        {"text": "Second question?", "buttons": BUTTONS[1:]},
        {"text": "A closing note."},
    ]
    reply = shape_reply(messages, knowledge, allow_unicode=False)
    assert reply.menu == ["/ask_cost", "/handoff"]
    text = texts_of(reply)
    assert "Reply 1 for Costs, 2 for Talk to a person." in text
    assert "Old" not in text
    # the menu comes after every message
    assert text.index("A closing note.") < text.index("Reply 1 for")


SPANISH_BUTTONS = [
    {"title": "Efectos secundarios", "payload": "/ask_side_effects"},
    {"title": "Hablar con una persona", "payload": "/handoff"},
]


def menu_line(knowledge: KnowledgeBase, buttons: List[Dict[str, str]], language: str) -> str:
    """The menu line as the knowledge words it in ``language`` (it must have that wording)."""
    rendered = [
        knowledge.render(
            ENTRY_SMS_MENU_CHOICE, SMS, {"number": str(i), "title": b["title"]}, language
        )
        for i, b in enumerate(buttons, start=1)
    ]
    line = knowledge.render(
        ENTRY_SMS_MENU, SMS, {"choices": ", ".join(r.text for r in rendered)}, language
    )
    assert {r.language for r in rendered} | {line.language} == {language}
    return line.text


def test_a_spanish_reply_gets_the_menu_line_in_spanish(knowledge: KnowledgeBase) -> None:
    question = "¿Qué más quiere saber sobre la inmunoterapia?"
    reply = shape_reply(
        [{"text": question, "buttons": SPANISH_BUTTONS, "language": ES}], knowledge, False
    )
    spanish = menu_line(knowledge, SPANISH_BUTTONS, ES)
    assert spanish != menu_line(knowledge, SPANISH_BUTTONS, EN)
    assert reply.parts == [fold_for_sms(f"{question}\n{spanish}")]
    assert "Reply" not in reply.parts[0] and "Efectos secundarios" in reply.parts[0]
    assert reply.menu == ["/ask_side_effects", "/handoff"]


def test_the_latest_message_decides_the_menu_language(knowledge: KnowledgeBase) -> None:
    messages: List[Message] = [
        {"text": "Immunotherapy helps your immune system.", "language": EN},
        {"text": "¿Algo más?", "buttons": SPANISH_BUTTONS, "language": ES},
    ]
    reply = shape_reply(messages, knowledge, allow_unicode=False)
    assert texts_of(reply).endswith(fold_for_sms(menu_line(knowledge, SPANISH_BUTTONS, ES)))
    english = shape_reply([{**messages[1], "language": EN}], knowledge, allow_unicode=False)
    assert texts_of(english).endswith(
        "Reply 1 for Efectos secundarios, 2 for Hablar con una persona."
    )


def test_no_buttons_means_no_menu(knowledge: KnowledgeBase) -> None:
    reply = shape_reply(
        [{"text": "The infusion center is open daily."}, {"text": "Anything else?"}],
        knowledge,
        allow_unicode=False,
    )
    assert reply.menu == []
    assert "Reply 1" not in texts_of(reply)


def test_empty_button_list_means_no_menu(knowledge: KnowledgeBase) -> None:
    reply = shape_reply([{"text": "Hello.", "buttons": []}], knowledge, allow_unicode=False)
    assert reply.menu == []
    assert reply.parts == ["Hello."]


def test_buttons_on_a_message_without_text_still_make_the_menu(knowledge: KnowledgeBase) -> None:
    reply = shape_reply(
        [{"text": "Pick a topic."}, {"buttons": BUTTONS[:1]}], knowledge, allow_unicode=False
    )
    assert reply.menu == ["/ask_side_effects"]
    assert reply.parts == ["Pick a topic.\nReply 1 for Side effects."]


def test_no_messages_give_no_parts(knowledge: KnowledgeBase) -> None:
    assert shape_reply([], knowledge, allow_unicode=False) == SmsReply(parts=[], menu=[])


# --- order and merging ---------------------------------------------------------------------


def test_emergency_text_given_first_stays_at_the_start(knowledge: KnowledgeBase) -> None:
    emergency = knowledge.render("safety.emergency", SMS).text
    messages: List[Message] = [
        {"text": emergency},
        {"text": LONG},
        {"text": "Anything else?", "buttons": BUTTONS},
    ]
    reply = shape_reply(messages, knowledge, allow_unicode=False)
    assert reply.parts[0].startswith(emergency)
    assert reply.parts[0].startswith("If this is an emergency, call 911 now.")
    assert_fits(reply)


def test_message_order_is_kept(knowledge: KnowledgeBase) -> None:
    messages: List[Message] = [{"text": f"Message {i}."} for i in range(6)]
    reply = shape_reply(messages, knowledge, allow_unicode=False)
    text = texts_of(reply)
    positions = [text.index(f"Message {i}.") for i in range(6)]
    assert positions == sorted(positions)


def test_short_messages_are_merged_into_one_part(knowledge: KnowledgeBase) -> None:
    reply = shape_reply(
        [{"text": "Hello."}, {"text": "How can I help?"}], knowledge, allow_unicode=False
    )
    assert reply.parts == ["Hello.\nHow can I help?"]


# --- GSM-7 or not --------------------------------------------------------------------------

TYPOGRAPHIC = "We\u2019ll call you \u201csoon\u201d \u2014 within a day\u2026"
TYPOGRAPHIC_GSM = 'We\'ll call you "soon" - within a day...'


def test_curly_quotes_and_emoji_become_gsm7_when_unicode_is_not_allowed(
    knowledge: KnowledgeBase,
) -> None:
    reply = shape_reply(
        [{"text": TYPOGRAPHIC}, {"text": "See you then 😀 Información"}],
        knowledge,
        allow_unicode=False,
    )
    assert reply.parts == [f"{TYPOGRAPHIC_GSM}\nSee you then Informacion"]
    assert all(is_gsm7(part) for part in reply.parts)


def test_non_gsm_button_titles_become_gsm7(knowledge: KnowledgeBase) -> None:
    buttons = [{"title": "Costs \u2014 copay", "payload": "/ask_cost"}]
    reply = shape_reply([{"text": "Choose:", "buttons": buttons}], knowledge, allow_unicode=False)
    assert reply.parts == ["Choose:\nReply 1 for Costs - copay."]
    assert reply.menu == ["/ask_cost"]


def test_gsm_representable_text_becomes_gsm7_even_when_unicode_is_allowed(
    knowledge: KnowledgeBase,
) -> None:
    # Only typographic characters keep this text out of GSM-7; sending it as UCS-2 would cost
    # more than twice the segments for nothing.
    reply = shape_reply([{"text": TYPOGRAPHIC}], knowledge, allow_unicode=True)
    assert reply.parts == [TYPOGRAPHIC_GSM]


@pytest.mark.parametrize("text", ["Great news 😀", "我们会给您回电。"])
def test_non_gsm_text_is_kept_when_unicode_is_allowed(knowledge: KnowledgeBase, text: str) -> None:
    reply = shape_reply([{"text": text}], knowledge, allow_unicode=True)
    assert reply.parts == [text]
    assert not is_gsm7(reply.parts[0])


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("¿Necesita información sobre la infusión?", "¿Necesita informacion sobre la infusion?"),
        ("\u201cInformación\u201d \u2014 ok", '"Informacion" - ok'),
        ("ÁREA DE INFUSIÓN, mañana, pingüino, qué", "AREA DE INFUSION, mañana, pingüino, qué"),
    ],
)
@pytest.mark.parametrize("allow_unicode", [False, True])
def test_spanish_accents_are_folded_to_gsm7_either_way(
    knowledge: KnowledgeBase, text: str, sent: str, allow_unicode: bool
) -> None:
    reply = shape_reply([{"text": text, "language": "es"}], knowledge, allow_unicode)
    assert reply.parts == [sent]
    assert is_gsm7(reply.parts[0])


def test_accents_are_folded_but_another_script_is_kept(knowledge: KnowledgeBase) -> None:
    reply = shape_reply([{"text": "Gracias, 李明. La información llegó."}], knowledge, True)
    assert reply.parts == ["Gracias, 李明. La informacion llego."]


def test_gsm7_text_is_unchanged_either_way(knowledge: KnowledgeBase) -> None:
    text = "Call 1-800-CEDARS-1 (1-800-233-2771), 6 am - 9 pm. Emergency: 911! Prices in €."
    for allow_unicode in (False, True):
        reply = shape_reply([{"text": text}], knowledge, allow_unicode=allow_unicode)
        assert reply.parts == [text]


# --- sizes ---------------------------------------------------------------------------------


def test_long_text_is_split_into_parts_of_two_segments(knowledge: KnowledgeBase) -> None:
    reply = shape_reply([{"text": LONG}], knowledge, allow_unicode=False)
    assert len(reply.parts) > 1
    assert_fits(reply)
    assert " ".join(reply.parts).startswith("Sentence 0 explains")


def test_unicode_parts_fit_two_ucs2_segments(knowledge: KnowledgeBase) -> None:
    text = " ".join(f"信息 número {i} sobre la infusión." for i in range(30))
    reply = shape_reply([{"text": text}], knowledge, allow_unicode=True)
    assert len(reply.parts) > 1
    assert all(not is_gsm7(part) for part in reply.parts)
    assert_fits(reply)


def test_max_segments_is_passed_on(knowledge: KnowledgeBase) -> None:
    reply = shape_reply([{"text": LONG}], knowledge, allow_unicode=False, max_segments=1)
    assert len(reply.parts) > len(shape_reply([{"text": LONG}], knowledge, False).parts)
    assert_fits(reply, max_segments=1)


def test_total_length_is_capped(knowledge: KnowledgeBase) -> None:
    emergency = knowledge.render("safety.emergency", SMS).text
    messages: List[Message] = [{"text": emergency}] + [{"text": LONG} for _ in range(5)]
    reply = shape_reply(messages, knowledge, allow_unicode=False)
    assert sum(len(m["text"]) for m in messages) > 4 * MAX_BODY_CHARS
    assert_fits(reply)
    assert reply.parts[0].startswith(emergency)


def test_an_overlong_word_gives_no_empty_or_oversized_part(knowledge: KnowledgeBase) -> None:
    reply = shape_reply(
        [{"text": "https://example.org/" + "x" * 380}], knowledge, allow_unicode=False
    )
    assert reply.parts
    assert_fits(reply)
