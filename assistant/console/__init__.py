"""The staff review console: a separate Sanic app over the bot's tracker store.

It never changes Rasa's own ``events`` table except to purge old conversations. Everything it
adds (the conversation index, tags, notes, corrections, callback status, accounts, sessions and
the audit trail) lives in ``console_*`` tables beside it.

``app`` builds the Sanic app; ``routes/`` holds its blueprints, one per page or feature; the
modules here are what they use (``schema`` and ``database``, ``migrations/`` that make and
change the tables (Alembic), ``indexer`` that reads Rasa's
events into the index, ``accounts``, ``staff_sessions`` and ``login_throttle``, ``masking``,
``audit``, ``retention``, ``export``); ``cli`` is ``python -m assistant.console``.
"""
