"""Deterministic term and emergency matching over the knowledge synonyms."""

from __future__ import annotations

import pytest

from assistant.knowledge import KnowledgeBase
from assistant.nlu.terms import TermIndex, edit_distance, lemma_key


@pytest.fixture
def index(knowledge: KnowledgeBase) -> TermIndex:
    return TermIndex(knowledge)


EMERGENCIES = [
    "I can't breathe",
    "i cant breath",
    "my throat is really swelling up",
    "swelling in my throat after the infusion",
    "her lips are swollen",
    "chest pian",
    "pain in my chest",
    "she had a seizre",
    "my husband passed out",
    "HE WONT WAKE UP",
    "he is bleeding heavily from the port",
    "EMERGENCY",
    "this is an emergancy",
    "we need an ambulance",
]
SELF_HARM = [
    "i want to kill myself",
    "i dont wanna be alive anymore",
    "my brother says he wants to hurt himself",
    "im suicidal",
]
NOT_EMERGENCIES = [
    "what are the side effects of immunotherapy",
    "can I paint during treatment",
    "is it a good fit for me",
    "can i go on vacation during treatment",
    "i want to live a normal life",
    "does the pill cause a rash",
    "is the infusion center open on weekends",
    "can my wife sit with me",
    "Can I end my treatment early",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_medical_emergencies_are_caught(index: TermIndex, text: str) -> None:
    matches = [m for m in index.find(text) if m.emergency]
    assert matches, text
    assert all(m.entry_id == "safety.emergency" for m in matches)


@pytest.mark.parametrize("text", SELF_HARM)
def test_self_harm_is_caught_as_self_harm(index: TermIndex, text: str) -> None:
    matches = [m for m in index.find(text) if m.emergency]
    assert [(m.entity, m.value) for m in matches] == [("emergency", "self_harm")]


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_ordinary_questions_are_not_emergencies(index: TermIndex, text: str) -> None:
    assert [m.text for m in index.find(text) if m.emergency] == []


def test_entities_are_found_in_order_with_offsets(index: TermIndex) -> None:
    text = "does the pill cause a rash or diarrea?"
    found = [(m.entity, m.value, m.text) for m in index.find(text)]
    assert found == [
        ("treatment_form", "pill", "pill"),
        ("side_effect", "rash", "rash"),
        ("side_effect", "diarrhea", "diarrea"),
    ]
    for match in index.find(text):
        assert text[match.start : match.end] == match.text


def test_longest_match_wins(index: TermIndex) -> None:
    matches = index.find("do the recliner chairs have dvds")
    assert [(m.entity, m.value, m.text) for m in matches] == [
        ("amenity", "recliner", "recliner chairs"),
        ("amenity", "recliner", "dvds"),
    ]


def test_new_synonym_in_knowledge_is_matched(knowledge: KnowledgeBase) -> None:
    entry = knowledge.get("side_effects.fatigue")
    changed = entry.copy(update={"synonyms": [*entry.synonyms, "zonked"]})
    entries = [changed if e.id == entry.id else e for e in knowledge.entries]
    index = TermIndex(KnowledgeBase(entries, knowledge.contacts))
    assert [(m.entity, m.value) for m in index.find("i feel zonked")] == [
        ("side_effect", "fatigue")
    ]


def test_long_input_is_handled(index: TermIndex) -> None:
    assert index.find("x" * 10_000) == []
    assert index.find("can't breathe " * 500)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("seizure", "seizre", 1), ("pain", "pian", 1), ("breathe", "breathe", 0), ("abc", "xyz", 3)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=3) == distance


def test_lemma_key_spells_out_contractions() -> None:
    assert [lemma_key(w) for w in ["ca", "n't", "wo", "Swelling", "rashes", "wanna"]] == [
        "can",
        "not",
        "will",
        "swell",
        "rash",
        "want",
    ]


def test_remembered_corrections_give_the_same_matches(
    index: TermIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second time a misspelt message comes, the answer is the same and comes from the
    memory; a full memory starts over instead of growing."""
    texts = ["chest pian", "she had a seizre", "this is an emergancy", "side efects of the drug"]
    first = [index.find(text) for text in texts]
    searched: list[str] = []
    closest = index._closest
    monkeypatch.setattr(index, "_closest", lambda key: searched.append(key) or closest(key))
    assert [index.find(text) for text in texts] == first
    assert searched == []
    monkeypatch.setattr("assistant.nlu.terms.MAX_REMEMBERED_CORRECTIONS", 1)
    index._corrections.clear()
    assert index.find("chest pian") == first[0]
    assert len(index._corrections) == 1
