"""The benchmark's load sends English and Spanish conversations, seeded, and splits what it
measured by the conversation's language."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from assistant.channels.rest import PatientRestInput
from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES, META_LANGUAGE
from assistant.language.detect import detect
from assistant.language.vocabulary import Vocabulary
from assistant.ops.evaluate_nlu import read_examples
from bench import load
from bench.common import HELDOUT_ES
from bench.load_messages import PHRASES, conversation, pick_language, user_rng
from tests.support.sanic_server import serving

TOKEN = "bench-test-token-0123456789abcdef"


def _languages(seed: str, users: int, per_user: int, share: float) -> List[str]:
    drawn = []
    for user in range(users):
        rng = user_rng(seed, user)
        for _ in range(per_user):
            language = pick_language(rng, share)
            conversation(rng, language)
            drawn.append(language)
    return drawn


def test_the_same_seed_sends_the_same_conversations() -> None:
    def script(seed: str) -> List[List[str]]:
        rng = user_rng(seed, 3)
        return [conversation(rng, pick_language(rng, 0.4)) for _ in range(20)]

    assert script("issue-16") == script("issue-16")
    assert script("issue-16") != script("another seed")


def test_about_four_conversations_in_ten_are_spanish() -> None:
    counts = Counter(_languages("mix", users=8, per_user=250, share=0.4))
    assert 0.36 <= counts[LANGUAGE_ES] / 2000 <= 0.44
    assert set(_languages("mix", 2, 50, 0.0)) == {LANGUAGE_EN}
    assert set(_languages("mix", 2, 50, 1.0)) == {LANGUAGE_ES}


@pytest.mark.parametrize("language", [LANGUAGE_EN, LANGUAGE_ES])
def test_a_conversation_stays_in_its_language(language: str) -> None:
    rng = user_rng("one language", 0)
    for _ in range(30):
        greeting, topic, side_effect, thanks = conversation(rng, language)
        phrases = PHRASES[language]
        assert greeting in phrases.greetings and topic in phrases.topics
        assert side_effect in phrases.side_effects and thanks in phrases.thanks


@pytest.mark.parametrize("language", [LANGUAGE_EN, LANGUAGE_ES])
def test_the_detector_reads_each_phrase_in_its_language(
    language: str, vocabulary: Vocabulary
) -> None:
    # One-word messages ("hola", "thanks") are undecided by design. The questions must be read
    # as their language, or the per-language rows would not measure what they say; a greeting
    # or thanks may be undecided ("hello there" has one known word), never the other language.
    phrases = PHRASES[language]
    for text in (*phrases.topics, *phrases.side_effects):
        assert detect(text, vocabulary).language == language, text
    for text in (*phrases.greetings, *phrases.thanks):
        assert detect(text, vocabulary).language in (language, None), text


def test_no_spanish_load_phrase_is_a_held_out_example() -> None:
    held_out = {text.casefold() for text, _ in read_examples(HELDOUT_ES)}
    spanish = [text for group in PHRASES[LANGUAGE_ES] for text in group]
    assert not [text for text in spanish if text.casefold() in held_out]


def test_the_replies_language_is_the_one_they_all_carry() -> None:
    assert load.reply_language([{"text": "hola", META_LANGUAGE: "es"}] * 2) == "es"
    assert load.reply_language([{META_LANGUAGE: "es"}, {META_LANGUAGE: "en"}]) is None
    assert load.reply_language([{META_LANGUAGE: "es"}, {"text": "sin marca"}]) is None
    assert load.reply_language([]) is None
    assert load.reply_language(["not a message"]) is None


def test_the_summary_splits_latency_and_errors_by_language() -> None:
    recorder = load.Recorder(measure_from=10.0, measure_until=20.0)
    recorder.add(5.0, 5.5, "ok", LANGUAGE_ES, LANGUAGE_ES)  # warm-up: not counted
    for index in range(10):
        start = 11.0 + index * 0.1
        recorder.add(start, start + 0.01 * (index + 1), "ok", LANGUAGE_EN, LANGUAGE_EN)
    recorder.add(12.0, 12.3, "ok", LANGUAGE_ES, LANGUAGE_ES)
    recorder.add(12.5, 12.6, "ok", LANGUAGE_ES, LANGUAGE_EN)  # answered in English
    recorder.add(13.0, 13.2, "technical_error", LANGUAGE_ES, LANGUAGE_ES)
    recorder.add(13.5, 13.9, "timeout", LANGUAGE_ES, None)
    split = load.summarize(recorder, 8, 10.0, 10.0, 2500.0)["by_language"]
    assert split[LANGUAGE_EN]["requests"] == 10 and split[LANGUAGE_EN]["errors"] == 0
    assert split[LANGUAGE_EN]["latency_ms"]["p99"] == 100.0
    assert split[LANGUAGE_EN]["answered_in_language"] == 1.0
    assert split[LANGUAGE_ES]["requests"] == 4 and split[LANGUAGE_ES]["errors"] == 2
    assert split[LANGUAGE_ES]["latency_ms"]["p50"] == 200.0
    assert split[LANGUAGE_ES]["latency_ms"]["p99"] == 400.0
    assert split[LANGUAGE_ES]["answered_in_language"] == 0.5


def test_a_language_that_was_not_sent_is_left_out() -> None:
    recorder = load.Recorder(measure_from=0.0, measure_until=5.0)
    recorder.add(1.0, 1.2, "ok", LANGUAGE_EN, LANGUAGE_EN)
    assert set(load.summarize(recorder, 1, 5.0, 0.0, 2500.0)["by_language"]) == {LANGUAGE_EN}


async def test_spanish_conversations_reach_the_server_and_the_spanish_apology_is_an_error(
    knowledge_copy: Path,
) -> None:
    spanish = {text for group in PHRASES[LANGUAGE_ES] for text in group}
    received: List[str] = []

    async def answer(message: UserMessage) -> None:
        received.append(str(message.text))
        text = (
            "Lo siento, algo falló de nuestro lado." if "tratamiento" in str(message.text) else "ok"
        )
        await message.output_channel.send_text_message(
            message.sender_id, text, **{META_LANGUAGE: LANGUAGE_ES}
        )

    channel = PatientRestInput.from_settings(
        {"knowledge_dir": str(knowledge_copy)}, {"REST_TOKEN": TOKEN}
    )
    app = Sanic("bench_load_spanish")
    app.blueprint(channel.blueprint(answer), url_prefix="/webhooks/rest")
    markers = ("Sorry, something went wrong on our side", "Lo siento, algo falló de nuestro lado")
    async with serving(app) as base:
        result: Dict[str, Any] = await load.run(
            f"{base}/webhooks/rest/webhook",
            2,
            1.5,
            0.0,
            5,
            60,
            "t",
            markers,
            token=TOKEN,
            spanish_share=1.0,
        )
    assert received and set(received) <= spanish
    split = result["by_language"]
    assert set(split) == {LANGUAGE_ES} and split[LANGUAGE_ES]["requests"] == result["requests"]
    assert split[LANGUAGE_ES]["answered_in_language"] == 1.0
    apologies = sum("tratamiento" in text for text in received)
    assert apologies > 0 and result["requests"] == len(received)
    assert result["error_kinds"] == {"technical_error": apologies}
    assert split[LANGUAGE_ES]["errors"] == apologies
    assert result["spanish_share"] == 1.0
