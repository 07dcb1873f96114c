"""Tokens keep their offsets and carry lookup lemmas."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from assistant.nlu.lemma_tokenizer import LemmaTokenizer


def test_tokens_have_offsets_and_lemmas() -> None:
    tokenizer = LemmaTokenizer(LemmaTokenizer.get_default_config())
    text = "My rashes can't be swelling"
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [t.text for t in tokens] == ["My", "rashes", "ca", "n't", "be", "swelling"]
    assert [t.lemma for t in tokens] == ["my", "rash", "can", "not", "be", "swell"]
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_empty_text_has_no_tokens() -> None:
    tokenizer = LemmaTokenizer(LemmaTokenizer.get_default_config())
    assert tokenizer.tokenize(Message(data={"text": ""}), "text") == []
