"""Custom actions (rasa-sdk): thin wrappers over the typed knowledge in ``assistant.knowledge``."""
