"""The action server: rasa-sdk's executor behind a token and without echoing patient data."""
