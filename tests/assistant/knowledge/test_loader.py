"""The loader accepts the real knowledge and rejects bad files, naming file and entry."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
import yaml

from assistant.knowledge import KnowledgeError, load_knowledge
from assistant.knowledge.models import SMS_MAX_CHARS


def test_real_knowledge_loads(knowledge_copy: Path) -> None:
    knowledge = load_knowledge(knowledge_copy)
    assert len(knowledge.entries) > 40
    assert knowledge.contacts.support_line.display == "1-800-CEDARS-1"


def _edit(directory: Path, file: str, change: Callable[[dict], None]) -> None:
    path = directory / file
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _entry(data: dict, entry_id: str) -> dict:
    return next(entry for entry in data["entries"] if entry["id"] == entry_id)


BAD_EDITS = [
    (
        "missing answer",
        "side_effects.yml",
        "side_effects.rash",
        lambda d: _entry(d, "side_effects.rash").pop("answer"),
        "answer",
    ),
    (
        "sms too long",
        "side_effects.yml",
        "side_effects.rash",
        lambda d: _entry(d, "side_effects.rash").update(sms="x" * (SMS_MAX_CHARS + 1)),
        "sms",
    ),
    (
        "curly quote in sms",
        "side_effects.yml",
        "side_effects.fatigue",
        lambda d: _entry(d, "side_effects.fatigue").update(sms="It\u2019s rare."),
        "GSM-7",
    ),
    (
        "markdown in sms",
        "treatment.yml",
        "treatment.dosing",
        lambda d: _entry(d, "treatment.dosing").update(sms="**bold** text"),
        "markdown",
    ),
    (
        "unknown placeholder",
        "infusion_center.yml",
        "infusion.hours",
        lambda d: _entry(d, "infusion.hours").update(answer="Call {fax_number}."),
        "fax_number",
    ),
    (
        "unknown field",
        "other_pages.yml",
        "other.locations",
        lambda d: _entry(d, "other.locations").update(answr="typo"),
        "answr",
    ),
    (
        "bad date",
        "other_pages.yml",
        "other.virtual_care",
        lambda d: _entry(d, "other.virtual_care").update(last_reviewed="yesterday"),
        "last_reviewed",
    ),
    (
        "two entities",
        "cancer_origin.yml",
        "cancer_origin.lung",
        lambda d: _entry(d, "cancer_origin.lung").update(entity={"a": "b", "c": "d"}),
        "entity",
    ),
    (
        "undeclared param",
        "support.yml",
        "callback.confirmed",
        lambda d: _entry(d, "callback.confirmed").update(params=[]),
        "name",
    ),
]


@pytest.mark.parametrize(
    ("file", "entry_id", "change", "mentions"),
    [pytest.param(f, e, c, m, id=label) for label, f, e, c, m in BAD_EDITS],
)
def test_bad_entry_is_rejected_naming_file_and_entry(
    knowledge_copy: Path, file: str, entry_id: str, change: Callable[[dict], None], mentions: str
) -> None:
    _edit(knowledge_copy, file, change)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge_copy)
    message = str(caught.value)
    assert file in message
    assert repr(entry_id) in message
    assert mentions in message


def test_duplicate_id_is_rejected(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy,
        "other_pages.yml",
        lambda d: _entry(d, "other.locations").update(id="other.virtual_care"),
    )
    with pytest.raises(
        KnowledgeError, match=r"other_pages.yml.*'other.virtual_care'.*already used"
    ):
        load_knowledge(knowledge_copy)


def test_second_general_entry_for_an_intent_is_rejected(knowledge_copy: Path) -> None:
    def drop_entity(data: dict) -> None:
        entry = _entry(data, "cancer_origin.lung")
        entry.pop("entity")
        entry["synonyms"] = []
        entry["es"]["synonyms"] = []

    _edit(knowledge_copy, "cancer_origin.yml", drop_entity)
    with pytest.raises(KnowledgeError, match=r"'cancer_origin.lung'.*already has the general"):
        load_knowledge(knowledge_copy)


def test_intent_without_general_entry_is_rejected(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy,
        "other_pages.yml",
        lambda d: _entry(d, "other.locations").update(entity={"place": "x"}),
    )
    with pytest.raises(KnowledgeError, match=r"'ask_locations' has no general entry"):
        load_knowledge(knowledge_copy)


def test_synonyms_without_an_entity_are_rejected(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy,
        "other_pages.yml",
        lambda d: _entry(d, "other.locations").update(synonyms=["clinic"]),
    )
    with pytest.raises(
        KnowledgeError, match=r"'other.locations': synonyms: synonyms need an entity"
    ):
        load_knowledge(knowledge_copy)


def test_broken_yaml_names_the_file(knowledge_copy: Path) -> None:
    (knowledge_copy / "treatment.yml").write_text("entries: [unclosed\n")
    with pytest.raises(KnowledgeError, match=r"treatment.yml: cannot read"):
        load_knowledge(knowledge_copy)


def test_bad_contacts_are_rejected(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy, "contacts.yml", lambda d: d["support_line"].update(timezone="Mars/Olympus")
    )
    with pytest.raises(KnowledgeError, match=r"contacts.yml: support_line.timezone"):
        load_knowledge(knowledge_copy)


def test_missing_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not found"):
        load_knowledge(tmp_path / "nowhere")
