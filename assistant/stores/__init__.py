"""Rasa stores as this project runs them: a tracker store that fails loudly, and health checks."""
