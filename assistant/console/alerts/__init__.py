"""Alerts that reach a person: an outbox (``console_alerts``) written in the indexer's
transaction, and a worker that delivers it by HTTPS webhook and by e-mail, with retries.

- ``kinds``: what is alerted and the names of the destinations;
- ``settings``: where alerts go (``ALERT_*`` environment variables);
- ``planner``: which outbox rows a batch of indexed conversations makes, and when they are due;
- ``outbox``: claiming due rows under a lease, marking them delivered or failed, backoff;
- ``messages``: the text of an alert (no patient data: what, when, channel, a console link);
- ``webhook`` and ``mail``: the two ways out; ``worker``: the delivery loop.
"""
