"""Load and validate ``data/knowledge``: fails fast, naming the file and the entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import yaml
from pydantic import ValidationError

from assistant.knowledge.base import EN, ES, SMS, KnowledgeBase
from assistant.knowledge.models import SMS_MAX_CHARS, Contacts, Entry, KnowledgeFile
from assistant.triage.tiers import SPANISH_FLOOR_INTENTS, TIER_INTENTS

CONTACTS_FILE = "contacts.yml"
# libyaml's safe loader where PyYAML has it: the knowledge loads about ten times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """A knowledge file is missing, unreadable or invalid. The message names file and entry."""


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise KnowledgeError(f"{path}: cannot read: {error}") from error


def _describe(error: ValidationError, path: Path, raw: Any) -> str:
    lines = []
    for problem in error.errors():
        loc = list(problem["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
            index = loc[1]
            entry_id = None
            if isinstance(raw, dict) and isinstance(raw.get("entries"), list):
                if index < len(raw["entries"]) and isinstance(raw["entries"][index], dict):
                    entry_id = raw["entries"][index].get("id")
            where = f"entry {entry_id!r}" if entry_id else f"entry #{index + 1}"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or "(file)"
        lines.append(f"{path}: {where + ': ' if where else ''}{field}: {problem['msg']}")
    return "\n".join(lines)


def load_contacts(directory: Path) -> Contacts:
    path = directory / CONTACTS_FILE
    if not path.is_file():
        raise KnowledgeError(f"{path}: missing contacts file")
    raw = _read_yaml(path)
    try:
        return Contacts.parse_obj(raw)
    except ValidationError as error:
        raise KnowledgeError(_describe(error, path, raw)) from error


def load_entries(directory: Path) -> List[Tuple[Path, Entry]]:
    found: List[Tuple[Path, Entry]] = []
    paths = sorted(p for p in directory.glob("*.yml") if p.name != CONTACTS_FILE)
    if not paths:
        raise KnowledgeError(f"{directory}: no knowledge files (*.yml)")
    for path in paths:
        raw = _read_yaml(path)
        try:
            parsed = KnowledgeFile.parse_obj(raw)
        except ValidationError as error:
            raise KnowledgeError(_describe(error, path, raw)) from error
        found.extend((path, entry) for entry in parsed.entries)
    return found


def _check_consistency(found: List[Tuple[Path, Entry]]) -> None:
    seen: Dict[str, Path] = {}
    defaults: Dict[str, str] = {}
    specific: Dict[Tuple[str, str, str], str] = {}
    for path, entry in found:
        if entry.id in seen:
            raise KnowledgeError(f"{path}: entry {entry.id!r}: id already used in {seen[entry.id]}")
        seen[entry.id] = path
        for intent in entry.intents:
            pair = entry.entity_pair
            if pair is None:
                if intent in defaults:
                    raise KnowledgeError(
                        f"{path}: entry {entry.id!r}: intent {intent!r} already has the general "
                        f"entry {defaults[intent]!r}; give this one an entity"
                    )
                defaults[intent] = entry.id
            else:
                key = (intent, pair[0], pair[1])
                if key in specific:
                    raise KnowledgeError(
                        f"{path}: entry {entry.id!r}: {intent}/{pair[0]}={pair[1]} is already "
                        f"answered by {specific[key]!r}"
                    )
                specific[key] = entry.id
        _check_safety_text(path, entry)
    all_intents: Set[str] = {intent for _, entry in found for intent in entry.intents}
    for intent in sorted(all_intents - set(defaults)):
        owner = next(entry.id for _, entry in found if intent in entry.intents)
        raise KnowledgeError(
            f"{seen[owner]}: entry {owner!r}: intent {intent!r} has no general entry "
            "(one without an entity)"
        )


def _check_safety_text(path: Path, entry: Entry) -> None:
    """Triage answers carry a clinical-review state; 911, 988 and care-team-now answers also
    exist in Spanish (the Spanish safety floor)."""
    intents = set(entry.intents)
    if intents & TIER_INTENTS and entry.clinical_review is None:
        raise KnowledgeError(
            f"{path}: entry {entry.id!r}: clinical_review: a triage answer needs a clinical "
            "review state (pending until the clinical team signs it off)"
        )
    if intents & TIER_INTENTS and entry.source.red_flags is None:
        raise KnowledgeError(
            f"{path}: entry {entry.id!r}: source.red_flags: a triage answer cites the red-flag "
            "sheet (section and verbatim quotes)"
        )
    if intents & SPANISH_FLOOR_INTENTS and entry.es is None:
        raise KnowledgeError(f"{path}: entry {entry.id!r}: es: a safety answer needs Spanish")


# Stand-in values for run-time params when checking rendered SMS lengths.
SAMPLE_PARAM_CHARS = 24


def _check_rendered_sms(knowledge: KnowledgeBase, paths: Dict[str, Path]) -> None:
    for entry in knowledge.entries:
        params = {name: "x" * SAMPLE_PARAM_CHARS for name in entry.params}
        for language in (EN, ES) if entry.es else (EN,):
            text = knowledge.render(entry.id, SMS, params, language).text
            if len(text) > SMS_MAX_CHARS:
                field = "sms" if language == EN else "es.sms"
                raise KnowledgeError(
                    f"{paths[entry.id]}: entry {entry.id!r}: {field}: {len(text)} characters "
                    f"once the placeholders are filled in; the limit is {SMS_MAX_CHARS}"
                )


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load every knowledge file in ``directory`` and check them as a whole."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KnowledgeError(f"{directory}: knowledge directory not found")
    contacts = load_contacts(directory)
    found = load_entries(directory)
    _check_consistency(found)
    knowledge = KnowledgeBase([entry for _, entry in found], contacts)
    _check_rendered_sms(knowledge, {entry.id: path for path, entry in found})
    return knowledge
