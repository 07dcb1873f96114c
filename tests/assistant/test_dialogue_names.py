"""``assistant.dialogue_names``: each shared name is the one the other side uses.

- intents, actions, slots, forms and entities are in ``domain.yml`` (Rasa's own names match
  Rasa's constants), knowledge entry ids are in ``data/knowledge``;
- every action class answers to a domain action, every channel to a channel name;
- what the actions write on a bot message is what the output channel passes on and what the
  staff console reads back (run through Rasa's own event conversion and the indexer), and the
  widget and the console's stylesheet know the flags by these names;
- no Python file under ``actions/`` or ``assistant/`` copies a shared name as a string literal
  again (a few unrelated uses are allowed, each with its reason).
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import tokenize
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from assistant import dialogue_names as names
from assistant.knowledge import KnowledgeBase, KnowledgeStore
from tests.conftest import FakeClock, MakeTracker

ROOT = Path(__file__).resolve().parents[2]
PACIFIC = ZoneInfo("America/Los_Angeles")
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
MODULE = ROOT / "assistant" / "dialogue_names.py"

GROUPS: Dict[str, Tuple[str, ...]] = {
    "INTENTS": names.INTENTS,
    "RASA_INTENTS": names.RASA_INTENTS,
    "ACTIONS": names.ACTIONS,
    "RASA_ACTIONS": names.RASA_ACTIONS,
    "SLOTS": names.SLOTS,
    "RASA_SLOTS": names.RASA_SLOTS,
    "FORMS": names.FORMS,
    "ENTITIES": names.ENTITIES,
    "ENTRY_IDS": names.ENTRY_IDS,
    "BOT_METADATA": names.BOT_METADATA,
    "CHANNELS": names.CHANNELS,
    "PARSE_KEYS": names.PARSE_KEYS,
    "TRIAGE_KEYS": names.TRIAGE_KEYS,
    "CALLBACK_REQUEST_KEYS": tuple(sorted(names.CALLBACK_REQUEST_KEYS)),
    "FEEDBACK_KEYS": tuple(sorted(names.FEEDBACK_KEYS)),
    "FEEDBACK_RATINGS": names.FEEDBACK_RATINGS,
    "USER_METADATA": names.USER_METADATA,
    "LANGUAGES": names.LANGUAGES,
}
# Constants that belong to no group (none at present).
UNGROUPED: set = set()


def constants() -> Dict[str, str]:
    """Every string constant of the module, by name."""
    return {
        key: value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)
    }


def _names(entries: List[Any]) -> List[str]:
    """Names from a domain list whose items are names or one-key mappings."""
    return [next(iter(item)) if isinstance(item, dict) else str(item) for item in entries]


# -- the module itself --------------------------------------------------------------------------


def test_every_constant_is_in_a_group() -> None:
    """So the checks below, which go by group, see every constant: each constant's name is
    used in the definition of a group (``INTENTS = (GREET, ...)``)."""
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    used_in_groups = {
        name.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
        for name in ast.walk(node.value)
        if isinstance(name, ast.Name)
    }
    loose = set(constants()) - used_in_groups - UNGROUPED
    assert not loose, f"add these to a group tuple in dialogue_names.py: {sorted(loose)}"


def test_no_group_names_a_value_twice() -> None:
    for group, values in GROUPS.items():
        assert len(values) == len(set(values)), group


def test_entry_constants_are_named_after_their_id() -> None:
    for key, value in constants().items():
        if key.startswith("ENTRY_") and key != "ENTRY_IDS":
            assert key == "ENTRY_" + value.upper().replace(".", "_"), key


def test_the_module_imports_nothing_heavy() -> None:
    """The action server, the Rasa server and the console all import it."""
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__", "typing"}


# -- against domain.yml, data/knowledge and Rasa --------------------------------------------------


def test_intents_are_in_the_domain() -> None:
    missing = set(names.INTENTS) - set(_names(DOMAIN["intents"]))
    assert not missing, f"not an intent in domain.yml: {sorted(missing)}"


def test_actions_are_exactly_the_domain_actions() -> None:
    domain = set(DOMAIN["actions"])
    assert set(names.ACTIONS) - domain == set(), "not an action in domain.yml"
    assert domain - set(names.ACTIONS) == set(), "a domain action has no constant"


def test_slots_forms_and_entities_are_in_the_domain() -> None:
    assert set(names.SLOTS) <= set(DOMAIN["slots"])
    assert set(names.FORMS) <= set(DOMAIN["forms"])
    assert set(names.ENTITIES) <= set(_names(DOMAIN["entities"]))


def test_the_callback_form_asks_for_the_callback_slots() -> None:
    from actions.callback_slots import FORM_SLOTS

    assert DOMAIN["forms"][names.CALLBACK_FORM]["required_slots"] == list(FORM_SLOTS)


def test_rasa_names_are_rasas() -> None:
    from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
    from rasa.shared.core import constants as core

    assert names.NLU_FALLBACK == DEFAULT_NLU_FALLBACK_INTENT_NAME
    assert names.ACTION_LISTEN == core.ACTION_LISTEN_NAME
    assert names.ACTION_RESTART == core.ACTION_RESTART_NAME
    assert names.ACTION_SESSION_START == core.ACTION_SESSION_START_NAME
    assert names.REQUESTED_SLOT == core.REQUESTED_SLOT
    assert names.SESSION_STARTED_METADATA_SLOT == core.SESSION_START_METADATA_SLOT


def test_entry_ids_are_in_the_knowledge(knowledge: KnowledgeBase) -> None:
    missing = [entry_id for entry_id in names.ENTRY_IDS if not knowledge.has(entry_id)]
    assert not missing, f"no such entry in data/knowledge: {missing}"


def test_the_sample_corpus_answers_each_topic_with_its_entry(knowledge: KnowledgeBase) -> None:
    from assistant.console.sample_corpus import TOPICS

    for intent, _, entry_id in TOPICS:
        entry = knowledge.default_for(intent)
        assert entry is not None and entry.id == entry_id, intent


def test_every_action_class_answers_to_a_domain_action() -> None:
    import actions.answer
    import actions.callback_form
    import actions.fallback
    import actions.handoff
    import actions.session_start
    import actions.triage  # noqa: F401 - imported for their Action subclasses

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {
        cls().name()
        for cls in subclasses(Action)
        if cls.__module__.startswith("actions.") and not inspect.isabstract(cls)
    }
    assert found == set(names.ACTIONS)


def test_channel_names() -> None:
    from assistant.channels.rest import PatientRestInput
    from assistant.channels.sms.channel import SmsInput
    from assistant.channels.web.channel import WebChatInput

    assert (WebChatInput.name(), SmsInput.name(), PatientRestInput.name()) == names.CHANNELS


# -- what the NLU writes is what the actions read ----------------------------------------------


def test_the_triage_block_reads_back_as_written() -> None:
    from assistant.triage.answers import read_triage
    from assistant.triage.decide import TriageResult
    from assistant.triage.tiers import Tier

    result = TriageResult(
        tiers=frozenset({Tier.URGENT_SYMPTOM}),
        red_flags=("fever",),
        side_effects=("rash",),
        language="es",
        mixed=True,
    )
    written = result.as_dict()
    assert set(names.TRIAGE_KEYS) <= set(written)
    reading = read_triage({names.PARSE_TRIAGE: written})
    assert reading.tiers == result.tiers
    assert reading.red_flags == result.red_flags
    assert reading.side_effects == result.side_effects
    assert (reading.language, reading.mixed) == ("es", True)


# -- what the actions write on a bot message is what the channels and the console read ----------


async def _run_actions(
    store: KnowledgeStore, clock: FakeClock, make_tracker: MakeTracker
) -> Dict[str, Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]]:
    """For each flag: the messages and events of an action whose messages carry it."""
    from actions.callback_form import ActionSubmitCallback
    from actions.fallback import ActionFallback
    from actions.handoff import ActionHandoff
    from actions.triage import ActionTriage

    spanish_911 = {
        names.PARSE_TRIAGE: {names.TRIAGE_TIERS: [names.EMERGENCY], names.TRIAGE_LANGUAGE: "es"},
        names.PARSE_LANGUAGE: "es",
    }
    filled_form = {
        names.CALLBACK_NAME_SLOT: "Maria Lopez",
        names.CALLBACK_PHONE_SLOT: "(310) 555-0123",
        names.CALLBACK_TIME_SLOT: "Morning",
        names.CALLBACK_CONSENT_SLOT: True,
    }
    runs: Dict[str, Tuple[Action, Any]] = {
        names.META_EMERGENCY: (
            ActionTriage(store=store, clock=clock),
            make_tracker(names.EMERGENCY, "no puedo respirar", parse_extras=spanish_911),
        ),
        names.META_HANDOFF: (
            ActionHandoff(store=store, clock=clock),
            make_tracker(names.REQUEST_HUMAN, "a person please"),
        ),
        names.META_FALLBACK: (
            ActionFallback(store=store, clock=clock),
            make_tracker(names.NLU_FALLBACK, "asdfgh"),
        ),
        names.META_CALLBACK: (
            ActionSubmitCallback(store=store, clock=clock),
            make_tracker(names.AFFIRM, "yes", channel=names.SMS_CHANNEL, slots=filled_form),
        ),
    }
    done = {}
    for flag, (action, tracker) in runs.items():
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker, DOMAIN)
        # what the action server sends back is JSON
        done[flag] = json.loads(json.dumps((dispatcher.messages, events)))
    return done


async def _bot_events(messages: List[Dict[str, Any]]) -> List[Any]:
    """The action server's messages as the Rasa server turns them into bot events."""
    from rasa.core.actions.action import RemoteAction

    from assistant.channels.output import AnnotatedOutputChannel

    copied = [dict(message) for message in messages]
    return list(await RemoteAction._utter_responses(copied, AnnotatedOutputChannel(), None, None))


async def test_the_actions_write_exactly_the_bot_metadata(
    store: KnowledgeStore, clock: FakeClock, make_tracker: MakeTracker
) -> None:
    written: set[str] = set()
    for flag, (messages, _) in (await _run_actions(store, clock, make_tracker)).items():
        metadata = [event.metadata for event in await _bot_events(messages)]
        assert any(m.get(flag) is True for m in metadata), flag
        written.update(*metadata)
    assert written == set(names.BOT_METADATA)


async def test_the_output_channel_passes_every_annotation_on(
    store: KnowledgeStore, clock: FakeClock, make_tracker: MakeTracker
) -> None:
    from assistant.channels.output import ANNOTATIONS, AnnotatedOutputChannel

    assert set(ANNOTATIONS) == set(names.BOT_METADATA)
    for messages, _ in (await _run_actions(store, clock, make_tracker)).values():
        collector = AnnotatedOutputChannel()
        bots = await _bot_events(messages)
        for bot in bots:
            await collector.send_response("sender", bot.message())  # as Rasa's processor does
        assert [{k: m[k] for k in ANNOTATIONS if k in m} for m in collector.messages] == [
            bot.metadata for bot in bots
        ]


async def test_the_console_reads_the_flags_the_actions_write(
    store: KnowledgeStore,
    clock: FakeClock,
    make_tracker: MakeTracker,
    tmp_path: Path,
) -> None:
    """Each action's messages and events, stored the way Rasa stores them, flag the
    conversation and the message in the console. Nothing else in the conversation could: the
    patient's intent is a plain "greet" and no action event is stored."""
    from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered

    from assistant.console import schema
    from assistant.console.database import Database
    from assistant.console.indexer import Indexer
    from assistant.console.masking import Masker
    from assistant.console.transcript import entries_from_events
    from assistant.stores.tracker_store import _event_row

    rows = []
    for flag, (messages, action_events) in (await _run_actions(store, clock, make_tracker)).items():
        session = [
            SlotSet(names.SESSION_STARTED_METADATA_SLOT, {names.META_CHANNEL: names.WEB_CHANNEL}),
            ActionExecuted(names.ACTION_SESSION_START),
            SessionStarted(),
            UserUttered(
                "hello",
                intent={"name": names.GREET, "confidence": 0.99},
                input_channel=names.WEB_CHANNEL,
            ),
            *await _bot_events(messages),
            *(Event.from_parameters(event) for event in action_events),
        ]
        for event in session:
            event.timestamp = clock().timestamp() + len(rows)
            rows.append(_event_row(f"sender-{flag}", event))

    masker = Masker.allowing(())
    db = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        with db.engine.begin() as connection:
            connection.execute(schema.events.insert(), rows)
        Indexer(PACIFIC, masker, gap_grace_s=0.0).catch_up(db.engine)
        with db.engine.begin() as connection:
            conversations = list(connection.execute(sa.select(schema.conversations)))
            [callback] = connection.execute(sa.select(schema.callbacks)).all()
            events = connection.execute(sa.select(schema.events).order_by(schema.events.c.id))
            entries = entries_from_events(list(events), masker)
    finally:
        db.close()

    columns = ("emergency", "handoff", "fallback", "callback")  # console_conversations
    flagged = {row.sender_id: {c for c in columns if getattr(row, c)} for row in conversations}
    assert flagged == {
        f"sender-{names.META_EMERGENCY}": {"emergency"},
        f"sender-{names.META_HANDOFF}": {"handoff"},
        f"sender-{names.META_FALLBACK}": {"fallback"},
        f"sender-{names.META_CALLBACK}": {"callback"},
    }
    assert {row.channel for row in conversations} == {names.WEB_CHANNEL}
    assert (callback.name, callback.phone, callback.best_time, callback.channel) == (
        "Maria Lopez",
        "+13105550123",
        "Morning",
        names.SMS_CHANNEL,
    )
    assert callback.requested_at == clock().timestamp()

    shown = {flag for entry in entries if entry.kind == "bot" for flag in entry.flags}
    assert shown == set(names.MESSAGE_FLAGS)
    assert {names.ENTRY_CALLBACK_CONFIRMED, names.ENTRY_SUPPORT_HANDOFF_OPEN} <= {
        entry.kb_entry for entry in entries
    }


async def test_the_callback_request_has_the_shared_keys(
    store: KnowledgeStore, clock: FakeClock, make_tracker: MakeTracker
) -> None:
    _, events = (await _run_actions(store, clock, make_tracker))[names.META_CALLBACK]
    [request] = [
        event["value"]
        for event in events
        if event["event"] == "slot" and event["name"] == names.CALLBACK_REQUEST_SLOT
    ]
    assert set(request) == names.CALLBACK_REQUEST_KEYS
    assert request[names.REQUEST_REQUESTED_AT] == clock().isoformat()


def test_the_transcript_shows_every_message_flag() -> None:
    from assistant.console.transcript import BOT_FLAGS

    assert tuple(BOT_FLAGS) == names.MESSAGE_FLAGS


def test_the_console_stylesheet_has_a_badge_for_every_message_flag() -> None:
    css = (ROOT / "assistant" / "console" / "static" / "console.css").read_text(encoding="utf-8")
    for flag in names.MESSAGE_FLAGS:
        assert f".badge.{flag} " in css, flag


def test_the_widget_reads_the_emergency_flag_by_its_name() -> None:
    """The web channel passes the flag to the widget under the same name."""
    from assistant.channels.web.history import bot_message

    widget = (ROOT / "widget" / "widget.js").read_text(encoding="utf-8")
    assert f"message.{names.META_EMERGENCY}" in widget
    shown = bot_message({"text": "Call 911", "metadata": {names.META_EMERGENCY: True}})
    assert shown[names.META_EMERGENCY] is True


# -- no copies ----------------------------------------------------------------------------------

SCANNED_DIRS = ("actions", "assistant")
# Database migrations keep the schema as it was when they were written, column names included;
# they must not follow a later rename.
NOT_SCANNED = ("assistant/console/migrations/",)
# Names a copy of which must fail: the generic keys (``name``, ``phone``, ``channel``,
# ``tiers``, ``web`` ...) are left out, as they have many unrelated uses; the behaviour tests
# above cover them.
GREPPED = frozenset(
    names.INTENTS
    + names.RASA_INTENTS
    + names.ACTIONS
    + names.RASA_ACTIONS
    + names.SLOTS
    + names.RASA_SLOTS
    + names.FORMS
    + names.ENTITIES
    + names.ENTRY_IDS
    + names.BOT_METADATA
    + names.PARSE_KEYS
)
CONVERSATION_COLUMNS = (
    "a console_conversations column (the console's own schema), not a message flag"
)
# (file, literal): how many times it may appear, and why it is not a copy.
EXPORT_LANGUAGE = "a column or field name of the console's exports, not the parse-data key or slot"
ALLOWED: Mapping[Tuple[str, str], Tuple[int, str]] = {
    ("assistant/console/schema.py", "emergency"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/schema.py", "handoff"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/schema.py", "callback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/schema.py", "fallback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/indexer.py", "emergency"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/indexer.py", "handoff"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/indexer.py", "callback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/indexer.py", "fallback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/schema.py", "language"): (2, CONVERSATION_COLUMNS),
    ("assistant/console/indexer.py", "language"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/inbox.py", "emergency"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/inbox.py", "handoff"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/inbox.py", "callback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/inbox.py", "fallback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/export.py", "emergency"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/export.py", "handoff"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/export.py", "fallback"): (1, CONVERSATION_COLUMNS),
    ("assistant/console/export.py", "callback"): (
        2,
        "a conversation column, and the transcript's kind of entry for a callback request",
    ),
    ("assistant/console/export.py", "language"): (1, EXPORT_LANGUAGE),
    ("assistant/console/export.py", "language_confidence"): (1, EXPORT_LANGUAGE),
    ("assistant/console/export.py", "conversation_language"): (1, EXPORT_LANGUAGE),
    ("assistant/console/export.py", "kb_entry"): (
        4,
        "a column of the console's CSV export and a field of its JSON export (also of a rating)",
    ),
    ("assistant/console/transcript.py", "callback"): (
        1,
        "the transcript's kind of entry for a recorded callback request",
    ),
    ("assistant/console/sample_corpus.py", "emergency"): (
        1,
        "a made-up entity label in the synthetic conversations",
    ),
    ("assistant/nlu/terms.py", "triage"): (
        1,
        "the term index's label of a general triage phrase, not the parse-data key",
    ),
    ("assistant/triage/negation.py", "deny"): (1, "the English word, a negation cue"),
    ("assistant/ops/evaluate_nlu.py", "emergency"): (
        1,
        "left as is while the file is reworked (only FALLBACK was switched to the import)",
    ),
    ("assistant/ops/evaluate_nlu.py", "self_harm"): (
        1,
        "left as is while the file is reworked (only FALLBACK was switched to the import)",
    ),
    ("assistant/ops/cross_validate.py", "out_of_scope"): (
        1,
        "left as is while the file is reworked (only FALLBACK was switched to the import)",
    ),
}


def string_literals(source: str) -> Iterator[Tuple[int, str]]:
    """(line, value) of each plain string literal token, single or double quoted (not
    f-strings, not bytes; comments are not tokens)."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):
            continue  # an f-string
        if isinstance(value, str):
            yield token.start[0], value


def copies() -> Dict[Tuple[str, str], List[int]]:
    found: Dict[Tuple[str, str], List[int]] = {}
    for directory in SCANNED_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if path == MODULE:
                continue
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(NOT_SCANNED):
                continue
            for line, value in string_literals(path.read_text(encoding="utf-8")):
                if value in GREPPED:
                    found.setdefault((relative, value), []).append(line)
    return found


def test_the_literal_scanner_finds_both_quote_styles() -> None:
    source = "a = \"callback_request\"\nb = {'kb_entry': 1}\n# 'greet'\nc = f\"{a}greet\"\n"
    assert [value for _, value in string_literals(source)] == ["callback_request", "kb_entry"]


def test_no_file_copies_a_shared_name() -> None:
    problems = []
    for (path, value), lines in sorted(copies().items()):
        allowed, _ = ALLOWED.get((path, value), (0, ""))
        if len(lines) != allowed:
            where = ", ".join(f"{path}:{line}" for line in lines)
            problems.append(
                f"{value!r} x{len(lines)} (allowed {allowed}) at {where}: "
                "import it from assistant.dialogue_names"
            )
    assert not problems, "\n".join(problems)


def test_every_allowed_literal_is_still_there() -> None:
    found = copies()
    stale = [key for key in ALLOWED if key not in found]
    assert not stale, f"remove from ALLOWED: {stale}"


def test_the_widget_uses_the_language_names() -> None:
    """The widget sends the page's language and the patient's choice under the names the
    actions read, and reads each bot message's language under the name the actions write."""
    from assistant.channels.web.history import bot_message

    widget = (ROOT / "widget" / "widget.js").read_text(encoding="utf-8")
    assert f"{names.META_PAGE_LANGUAGE}:" in widget
    assert f"body.{names.META_LANGUAGE_CHOICE} =" in widget
    assert f"message.{names.META_LANGUAGE}" in widget
    shown = bot_message({"text": "Hola", "metadata": {names.META_LANGUAGE: names.LANGUAGE_ES}})
    assert shown[names.META_LANGUAGE] == names.LANGUAGE_ES
