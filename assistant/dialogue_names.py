"""The names the processes share, written once.

Intent, action, slot, form, entity and knowledge-entry names, and the keys the NLU, the actions
and the channels put on messages, cross process boundaries: the Rasa server (NLU, dialogue,
channels), the action server, and the staff console, which reads them back out of Rasa's
``events`` table. This module is the one place these names are written in Python; every other
module imports them from here instead of copying the string.

The other side of the contract is YAML (``domain.yml``, ``data/`` and ``data/knowledge/``) and
the web widget (``widget/widget.js``); ``tests/assistant/test_dialogue_names.py`` checks the
constants against them and that no Python file copies a name again.

Plain constants only: the action server, the Rasa server and the console all import this
module, so it imports nothing but ``typing``.
"""

from __future__ import annotations

from typing import Final, FrozenSet, Tuple

# -- intents (domain.yml ``intents``) -----------------------------------------------------------

GREET: Final = "greet"
GOODBYE: Final = "goodbye"
THANK: Final = "thank"
BOT_CHALLENGE: Final = "bot_challenge"
ASK_CAPABILITIES: Final = "ask_capabilities"
AFFIRM: Final = "affirm"
DENY: Final = "deny"
CANCEL: Final = "cancel"
INFORM: Final = "inform"
OUT_OF_SCOPE: Final = "out_of_scope"
# a short follow-up, answered against the current topic
FOLLOW_UP: Final = "follow_up"
REQUEST_HUMAN: Final = "request_human"
REQUEST_CALLBACK: Final = "request_callback"
MEDICAL_ADVICE: Final = "medical_advice"
# "English please", "en español": the patient asks for the other language
CHANGE_LANGUAGE: Final = "change_language"
# topics the console's sample corpus talks about
ASK_IMMUNOTHERAPY: Final = "ask_immunotherapy"
ASK_SIDE_EFFECTS: Final = "ask_side_effects"
ASK_ALLERGIC_REACTION: Final = "ask_allergic_reaction"
ASK_TREATMENT_FORMS: Final = "ask_treatment_forms"
ASK_INFUSION_HOURS: Final = "ask_infusion_hours"
ASK_INFUSION_ROOMS: Final = "ask_infusion_rooms"
ASK_NURSE_LINE: Final = "ask_nurse_line"
ASK_DOSING: Final = "ask_dosing"
# the triage tiers, highest first (``assistant.triage.tiers.Tier``)
EMERGENCY: Final = "emergency"
SELF_HARM: Final = "self_harm"
URGENT_SYMPTOM: Final = "urgent_symptom"
SYMPTOM_REPORT: Final = "symptom_report"
# Rasa's FallbackClassifier pseudo-intent: below the confidence threshold (not in domain.yml)
NLU_FALLBACK: Final = "nlu_fallback"

INTENTS: Final[Tuple[str, ...]] = (
    GREET,
    GOODBYE,
    THANK,
    BOT_CHALLENGE,
    ASK_CAPABILITIES,
    AFFIRM,
    DENY,
    CANCEL,
    INFORM,
    OUT_OF_SCOPE,
    FOLLOW_UP,
    REQUEST_HUMAN,
    REQUEST_CALLBACK,
    MEDICAL_ADVICE,
    CHANGE_LANGUAGE,
    ASK_IMMUNOTHERAPY,
    ASK_SIDE_EFFECTS,
    ASK_ALLERGIC_REACTION,
    ASK_TREATMENT_FORMS,
    ASK_INFUSION_HOURS,
    ASK_INFUSION_ROOMS,
    ASK_NURSE_LINE,
    ASK_DOSING,
    EMERGENCY,
    SELF_HARM,
    URGENT_SYMPTOM,
    SYMPTOM_REPORT,
)
# Names Rasa itself gives intents (checked against Rasa's constants, not domain.yml).
RASA_INTENTS: Final[Tuple[str, ...]] = (NLU_FALLBACK,)

# -- actions (domain.yml ``actions``; each is a class in ``actions/``) ---------------------------

ACTION_SESSION_START: Final = "action_session_start"
ACTION_ANSWER: Final = "action_answer"
ACTION_TRIAGE: Final = "action_triage"
ACTION_SYMPTOM_REPORT: Final = "action_symptom_report"
ACTION_HANDOFF: Final = "action_handoff"
ACTION_FALLBACK: Final = "action_fallback"
ACTION_CANCEL_CALLBACK: Final = "action_cancel_callback"
ACTION_SUBMIT_CALLBACK: Final = "action_submit_callback"
# The form's ask actions: Rasa calls ``action_ask_<slot>`` (``actions/callback_form.py``).
ACTION_ASK_CALLBACK_NAME: Final = "action_ask_callback_name"
ACTION_ASK_CALLBACK_PHONE: Final = "action_ask_callback_phone"
ACTION_ASK_CALLBACK_TIME: Final = "action_ask_callback_time"
ACTION_ASK_CALLBACK_CONSENT: Final = "action_ask_callback_consent"
VALIDATE_CALLBACK_FORM: Final = "validate_callback_form"

ACTIONS: Final[Tuple[str, ...]] = (
    ACTION_SESSION_START,
    ACTION_ANSWER,
    ACTION_TRIAGE,
    ACTION_SYMPTOM_REPORT,
    ACTION_HANDOFF,
    ACTION_FALLBACK,
    ACTION_CANCEL_CALLBACK,
    ACTION_SUBMIT_CALLBACK,
    ACTION_ASK_CALLBACK_NAME,
    ACTION_ASK_CALLBACK_PHONE,
    ACTION_ASK_CALLBACK_TIME,
    ACTION_ASK_CALLBACK_CONSENT,
    VALIDATE_CALLBACK_FORM,
)
# Rasa's own actions the code refers to (checked against Rasa's constants).
ACTION_LISTEN: Final = "action_listen"
ACTION_RESTART: Final = "action_restart"
RASA_ACTIONS: Final[Tuple[str, ...]] = (ACTION_LISTEN, ACTION_RESTART)

# -- slots (domain.yml ``slots``) ---------------------------------------------------------------

CALLBACK_NAME_SLOT: Final = "callback_name"
CALLBACK_PHONE_SLOT: Final = "callback_phone"
CALLBACK_TIME_SLOT: Final = "callback_time"
CALLBACK_CONSENT_SLOT: Final = "callback_consent"
# the knowledge entry last answered on a topic; follow-ups resolve against it
TOPIC_SLOT: Final = "topic"
# the recorded callback request (keys below): what the staff console lists
CALLBACK_REQUEST_SLOT: Final = "callback_request"
# a patient's rating of an answer (keys below), set by the channels, not by the dialogue
ANSWER_FEEDBACK_SLOT: Final = "answer_feedback"
# the conversation's language, "en" or "es" (``assistant.language``); the actions set it
LANGUAGE_SLOT: Final = "conversation_language"

SLOTS: Final[Tuple[str, ...]] = (
    CALLBACK_NAME_SLOT,
    CALLBACK_PHONE_SLOT,
    CALLBACK_TIME_SLOT,
    CALLBACK_CONSENT_SLOT,
    TOPIC_SLOT,
    CALLBACK_REQUEST_SLOT,
    ANSWER_FEEDBACK_SLOT,
    LANGUAGE_SLOT,
)
# Rasa's own slots: the form's current question, and the channel's metadata at session start.
REQUESTED_SLOT: Final = "requested_slot"
SESSION_STARTED_METADATA_SLOT: Final = "session_started_metadata"
RASA_SLOTS: Final[Tuple[str, ...]] = (REQUESTED_SLOT, SESSION_STARTED_METADATA_SLOT)

# -- forms (domain.yml ``forms``) ---------------------------------------------------------------

CALLBACK_FORM: Final = "callback_form"
FORMS: Final[Tuple[str, ...]] = (CALLBACK_FORM,)

# -- entities (domain.yml ``entities``) that code reads ----------------------------------------

SIDE_EFFECT_ENTITY: Final = "side_effect"
# a named red flag of the triage tiers, e.g. fever or overdose
RED_FLAG_ENTITY: Final = "red_flag"
ENTITIES: Final[Tuple[str, ...]] = (SIDE_EFFECT_ENTITY, RED_FLAG_ENTITY)

# -- knowledge entry ids (data/knowledge/*.yml) that code names --------------------------------
# ENTRY_ + the id in capitals, dots as underscores.

ENTRY_CONVERSATION_DISCLAIMER: Final = "conversation.disclaimer"
ENTRY_CONVERSATION_GREET: Final = "conversation.greet"
ENTRY_CONVERSATION_THANK: Final = "conversation.thank"
ENTRY_CONVERSATION_CANCEL: Final = "conversation.cancel"
ENTRY_CONVERSATION_FALLBACK: Final = "conversation.fallback"
ENTRY_CONVERSATION_FALLBACK_HANDOFF: Final = "conversation.fallback_handoff"
ENTRY_CONVERSATION_OUT_OF_SCOPE: Final = "conversation.out_of_scope"
# the channels' apology when the bot failed or was too slow
ENTRY_CONVERSATION_TECHNICAL_ERROR: Final = "conversation.technical_error"
# the reply to "English please" / "en español", in the language asked for
ENTRY_CONVERSATION_LANGUAGE_CHANGED: Final = "conversation.language_changed"
# the one-line note before an English answer whose Spanish translation is out of date
ENTRY_CONVERSATION_TRANSLATION_PENDING: Final = "conversation.translation_pending"
ENTRY_SUPPORT_HANDOFF_OPEN: Final = "support.handoff_open"
ENTRY_SUPPORT_HANDOFF_CLOSED: Final = "support.handoff_closed"
ENTRY_SUPPORT_NURSE_REMINDER: Final = "support.nurse_reminder"
ENTRY_SUPPORT_CALLBACK_OFFER: Final = "support.callback_offer"
ENTRY_SUPPORT_NURSE_LINE: Final = "support.nurse_line"
ENTRY_CALLBACK_ASK_NAME: Final = "callback.ask_name"
ENTRY_CALLBACK_ASK_PHONE: Final = "callback.ask_phone"
ENTRY_CALLBACK_ASK_TIME: Final = "callback.ask_time"
ENTRY_CALLBACK_ASK_CONSENT: Final = "callback.ask_consent"
ENTRY_CALLBACK_INVALID_NAME: Final = "callback.invalid_name"
ENTRY_CALLBACK_INVALID_PHONE: Final = "callback.invalid_phone"
ENTRY_CALLBACK_CONFIRMED: Final = "callback.confirmed"
ENTRY_CALLBACK_DECLINED: Final = "callback.declined"
ENTRY_SAFETY_EMERGENCY: Final = "safety.emergency"
ENTRY_SIDE_EFFECTS_OVERVIEW: Final = "side_effects.overview"
ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION: Final = "side_effects.allergic_reaction"
ENTRY_IMMUNOTHERAPY_OVERVIEW: Final = "immunotherapy.overview"
ENTRY_TREATMENT_FORMS: Final = "treatment.forms"
ENTRY_TREATMENT_DOSING: Final = "treatment.dosing"
ENTRY_INFUSION_HOURS: Final = "infusion.hours"
ENTRY_INFUSION_ROOMS: Final = "infusion.rooms"
# the SMS channel's own replies
ENTRY_SMS_STOP_CONFIRMED: Final = "sms.stop_confirmed"
ENTRY_SMS_START_CONFIRMED: Final = "sms.start_confirmed"
ENTRY_SMS_HELP: Final = "sms.help"
ENTRY_SMS_MENU: Final = "sms.menu"
ENTRY_SMS_MENU_CHOICE: Final = "sms.menu_choice"
ENTRY_SMS_SLOW_REPLY: Final = "sms.slow_reply"
ENTRY_SMS_FEEDBACK_PROMPT: Final = "sms.feedback_prompt"  # "Reply 9 if this did not help."
ENTRY_SMS_FEEDBACK_THANKS: Final = "sms.feedback_thanks"

ENTRY_IDS: Final[Tuple[str, ...]] = (
    ENTRY_CONVERSATION_DISCLAIMER,
    ENTRY_CONVERSATION_GREET,
    ENTRY_CONVERSATION_THANK,
    ENTRY_CONVERSATION_CANCEL,
    ENTRY_CONVERSATION_FALLBACK,
    ENTRY_CONVERSATION_FALLBACK_HANDOFF,
    ENTRY_CONVERSATION_OUT_OF_SCOPE,
    ENTRY_CONVERSATION_TECHNICAL_ERROR,
    ENTRY_CONVERSATION_LANGUAGE_CHANGED,
    ENTRY_CONVERSATION_TRANSLATION_PENDING,
    ENTRY_SUPPORT_HANDOFF_OPEN,
    ENTRY_SUPPORT_HANDOFF_CLOSED,
    ENTRY_SUPPORT_NURSE_REMINDER,
    ENTRY_SUPPORT_CALLBACK_OFFER,
    ENTRY_SUPPORT_NURSE_LINE,
    ENTRY_CALLBACK_ASK_NAME,
    ENTRY_CALLBACK_ASK_PHONE,
    ENTRY_CALLBACK_ASK_TIME,
    ENTRY_CALLBACK_ASK_CONSENT,
    ENTRY_CALLBACK_INVALID_NAME,
    ENTRY_CALLBACK_INVALID_PHONE,
    ENTRY_CALLBACK_CONFIRMED,
    ENTRY_CALLBACK_DECLINED,
    ENTRY_SAFETY_EMERGENCY,
    ENTRY_SIDE_EFFECTS_OVERVIEW,
    ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION,
    ENTRY_IMMUNOTHERAPY_OVERVIEW,
    ENTRY_TREATMENT_FORMS,
    ENTRY_TREATMENT_DOSING,
    ENTRY_INFUSION_HOURS,
    ENTRY_INFUSION_ROOMS,
    ENTRY_SMS_STOP_CONFIRMED,
    ENTRY_SMS_START_CONFIRMED,
    ENTRY_SMS_HELP,
    ENTRY_SMS_MENU,
    ENTRY_SMS_MENU_CHOICE,
    ENTRY_SMS_SLOW_REPLY,
    ENTRY_SMS_FEEDBACK_PROMPT,
    ENTRY_SMS_FEEDBACK_THANKS,
)

# -- bot message metadata: what the actions attach to a message ---------------------------------
# ``actions.runtime.send_entry`` writes them; Rasa stores them in the bot event's metadata;
# ``assistant.channels.output`` passes them to the channels; the console reads them back.

META_KB_ENTRY: Final = "kb_entry"  # the knowledge entry the text came from
META_EMERGENCY: Final = "emergency"  # a 911/988 answer: shown first; flags the conversation
META_TRIAGE: Final = "triage"  # the tier the answer is for (a tier intent's name)
META_HANDOFF: Final = "handoff"  # the support line was offered
META_FALLBACK: Final = "fallback"  # not understood
META_CALLBACK: Final = "callback"  # a callback request was recorded
META_LANGUAGE: Final = "language"  # the answer's language, "en" or "es", on every message

BOT_METADATA: Final[Tuple[str, ...]] = (
    META_KB_ENTRY,
    META_EMERGENCY,
    META_TRIAGE,
    META_HANDOFF,
    META_FALLBACK,
    META_CALLBACK,
    META_LANGUAGE,
)
# The yes/no flags among them, which the console shows on a message (in this order).
MESSAGE_FLAGS: Final[Tuple[str, ...]] = (META_EMERGENCY, META_HANDOFF, META_FALLBACK, META_CALLBACK)

# -- user message metadata: what the channels attach to a patient message ----------------------

# the input channel's name; also in ``session_started_metadata`` at a session's start
META_CHANNEL: Final = "channel"
# the embedding page's (or widget's) language: only the default of a new conversation
META_PAGE_LANGUAGE: Final = "page_language"
# the patient chose this language explicitly (the widget's toggle); sent with the next message
META_LANGUAGE_CHOICE: Final = "language_choice"
USER_METADATA: Final[Tuple[str, ...]] = (META_CHANNEL, META_PAGE_LANGUAGE, META_LANGUAGE_CHOICE)

# -- languages ----------------------------------------------------------------------------------

LANGUAGE_EN: Final = "en"
LANGUAGE_ES: Final = "es"
LANGUAGES: Final[Tuple[str, ...]] = (LANGUAGE_EN, LANGUAGE_ES)

# -- input channel names (each channel's ``name()``) --------------------------------------------

WEB_CHANNEL: Final = "web"
SMS_CHANNEL: Final = "sms"
REST_CHANNEL: Final = "rest"
CHANNELS: Final[Tuple[str, ...]] = (WEB_CHANNEL, SMS_CHANNEL, REST_CHANNEL)

# -- parse data: what the NLU (``assistant.nlu.term_matcher``) adds beside intent and entities --

PARSE_TRIAGE: Final = "triage"  # the triage block (keys below)
PARSE_STATEMENT: Final = "statement"  # a "no"/"stop" that says more than a short reply
PARSE_LANGUAGE: Final = "language"  # "en" or "es" when detected with confidence, else None
PARSE_LANGUAGE_CONFIDENCE: Final = "language_confidence"  # the detector's confidence, 0..1
PARSE_LANGUAGE_GUESS: Final = "language_guess"  # the detector's top guess, even when unsure
PARSE_LANGUAGE_REQUEST: Final = "language_request"  # "en"/"es" when the text asks for one
PARSE_KEYS: Final[Tuple[str, ...]] = (
    PARSE_TRIAGE,
    PARSE_STATEMENT,
    PARSE_LANGUAGE,
    PARSE_LANGUAGE_CONFIDENCE,
    PARSE_LANGUAGE_GUESS,
    PARSE_LANGUAGE_REQUEST,
)

# keys of the triage block that the actions read (``assistant.triage``)
TRIAGE_TIERS: Final = "tiers"
TRIAGE_RED_FLAGS: Final = "red_flags"
TRIAGE_SIDE_EFFECTS: Final = "side_effects"
TRIAGE_LANGUAGE: Final = "language"
TRIAGE_MIXED: Final = "mixed"
TRIAGE_KEYS: Final[Tuple[str, ...]] = (
    TRIAGE_TIERS,
    TRIAGE_RED_FLAGS,
    TRIAGE_SIDE_EFFECTS,
    TRIAGE_LANGUAGE,
    TRIAGE_MIXED,
)

# -- the value of the ``callback_request`` slot (action server -> console) ----------------------

REQUEST_NAME: Final = "name"
REQUEST_PHONE: Final = "phone"  # E.164 when it parses
REQUEST_BEST_TIME: Final = "best_time"
REQUEST_CONSENT: Final = "consent"
REQUEST_REQUESTED_AT: Final = "requested_at"  # ISO 8601 with the offset
REQUEST_CHANNEL: Final = "channel"
CALLBACK_REQUEST_KEYS: Final[FrozenSet[str]] = frozenset(
    {
        REQUEST_NAME,
        REQUEST_PHONE,
        REQUEST_BEST_TIME,
        REQUEST_CONSENT,
        REQUEST_REQUESTED_AT,
        REQUEST_CHANNEL,
    }
)

# -- the value of the ``answer_feedback`` slot (channels -> console) ---------------------------

FEEDBACK_RATING: Final = "rating"  # one of FEEDBACK_RATINGS
FEEDBACK_KB_ENTRY: Final = "kb_entry"  # the knowledge entry of the rated answer
FEEDBACK_ANSWER_AT: Final = "answer_at"  # the rated bot event's timestamp
FEEDBACK_COMMENT: Final = "comment"  # the patient's optional words ("" when none)
FEEDBACK_CHANNEL: Final = "channel"
FEEDBACK_KEYS: Final[FrozenSet[str]] = frozenset(
    {FEEDBACK_RATING, FEEDBACK_KB_ENTRY, FEEDBACK_ANSWER_AT, FEEDBACK_COMMENT, FEEDBACK_CHANNEL}
)
HELPFUL: Final = "helpful"
NOT_HELPFUL: Final = "not_helpful"
FEEDBACK_RATINGS: Final[Tuple[str, ...]] = (HELPFUL, NOT_HELPFUL)
