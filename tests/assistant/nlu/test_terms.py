"""Deterministic term and red-flag matching over the knowledge synonyms, per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.knowledge import KnowledgeBase, load_knowledge
from assistant.nlu.terms import BilingualTermIndex, TermIndex, lemma_key
from assistant.triage.tiers import Tier

ROOT = Path(__file__).resolve().parents[3]


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
    assert [(m.entry_id, m.tiers) for m in matches] == [
        ("safety.self_harm", frozenset({Tier.SELF_HARM}))
    ]


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("no chest pain, just a question about parking", True),
        ("I don't have chest pain", True),
        ("he has no fever or chills", True),
        ("no fever but my chest hurts", False),
        ("I'm not sure if it's chest pain", False),
        ("I can't stop coughing", False),
        ("he is not breathing", False),
    ],
)
def test_negation_in_the_same_clause_is_marked(index: TermIndex, text: str, negated: bool):
    triage = [m for m in index.find(text) if m.tiers]
    assert triage, text
    assert triage[-1].negated is negated


def test_negated_phrases_are_not_emergencies(index: TermIndex) -> None:
    assert [
        m.text for m in index.find("no chest pain and no trouble breathing") if m.emergency
    ] == []


@pytest.mark.parametrize("word", ["never", "weakness", "fevers", "river", "wheezing"])
def test_a_real_word_is_never_rewritten(index: TermIndex, word: str) -> None:
    assert index._correct(word) == word


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("diarrrea", "diarrhea"), ("pian", "pain"), ("seizre", "seizure"), ("vomitting", "vomiting")],
)
def test_an_unknown_word_is_read_as_the_closest_pattern_word(
    index: TermIndex, typo: str, meant: str
) -> None:
    assert index._correct(typo) == lemma_key(meant)


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("no puedo respirar", "safety.emergency"),
        ("me duele mucho el pecho", "safety.emergency"),
        ("ya no quiero vivir", "safety.self_harm"),
        ("mi esposo tiene fiebre", "urgent.fever"),
    ],
)
def test_spanish_phrases_are_found_by_the_spanish_index(
    knowledge: KnowledgeBase, text: str, entry_id: str
) -> None:
    found = BilingualTermIndex(knowledge).find(text)
    assert [(m.entry_id, m.language) for m in found if m.tiers] == [(entry_id, "es")]


@pytest.mark.parametrize(
    "text", ["what is immunotherapy", "when does the infusion center open", "never mind"]
)
def test_english_questions_match_nothing_in_spanish(knowledge: KnowledgeBase, text: str):
    assert BilingualTermIndex(knowledge).by_language["es"].find(text) == []


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


@pytest.fixture(scope="module")
def bilingual() -> BilingualTermIndex:
    """One index for the parametrized cases below (it is immutable; building it takes seconds)."""
    return BilingualTermIndex(load_knowledge(ROOT / "data" / "knowledge"))


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("tengo sarpullido en los brazos", "side_effects.rash"),
        ("mucha comezon desde el martes", "side_effects.rash"),
        ("mi mama tiene diarea", "side_effects.diarrhea"),  # typo
        ("puro cansansio", "side_effects.fatigue"),  # typo
        ("q son los anticuerpos monoclonales", "immunotherapy.types.monoclonal_antibodies"),
        ("tienen sillones reclinables?", "infusion.rooms.recliner"),
        ("hay cuartos privados", "infusion.rooms.private_room"),
        ("la inmunoterapia viene en pastillas?", "treatment.forms.pill"),
        ("cancer de pulmon", "cancer_origin.lung"),
    ],
)
def test_spanish_knowledge_terms_are_found_with_lemmas_and_typos(
    bilingual: BilingualTermIndex, text: str, entry_id: str
) -> None:
    found = bilingual.find(text)
    assert (entry_id, "es") in [(m.entry_id, m.language) for m in found if not m.tiers]


@pytest.mark.parametrize("language", ["en", "es"])
def test_built_patterns_pass_spacys_schema(language: str) -> None:
    """The index skips spaCy's per-pattern check for speed; the pattern shapes it builds
    (words, gaps, the negation gap) pass that check here."""
    from spacy.schemas import validate_token_pattern

    keys = ["no", "poder", "respirar"] if language == "es" else ["not", "breathe"]
    for gap in (0, 3, 4):
        assert validate_token_pattern(TermIndex._pattern(keys, gap, language)) == []
