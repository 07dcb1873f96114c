"""Symptom triage: which messages go to 911, to 988, to the care team now, or get a side
effect's facts with the red-flag question (``tiers``), found by a deterministic red-flag matcher
(``red_flags``) and the classifier's own intents, combined in ``decide``."""
