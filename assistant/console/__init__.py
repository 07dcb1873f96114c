"""The staff review console: a separate Sanic app over the bot's tracker store.

It never changes Rasa's own ``events`` table except to purge old conversations. Everything it
adds (the conversation index, tags, notes, corrections, callback status, accounts, sessions and
the audit trail) lives in ``console_*`` tables beside it.
"""
