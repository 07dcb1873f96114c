"""Refuse rasa-sdk's own action server (``rasa run actions``, ``python -m rasa_sdk``).

That server has no authentication, allows any CORS origin and answers errors with the request
(the tracker: patient messages); this project serves its actions with
``python -m assistant.action_server`` instead (``make run`` starts it). rasa-sdk 3.6 loads the
top-level ``rasa_sdk_plugins`` package, when it can import it, and calls its ``init_hooks``;
the project's ``rasa_sdk_plugins`` registers ``StockServerRefusal``, so the stock server stops
with one line before it listens.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")

REFUSAL = (
    "This project does not use rasa-sdk's action server (`rasa run actions`): it has no "
    "authentication and its errors echo patient messages. Run `make run`, or "
    "`ACTION_SERVER_TOKEN=<16+ characters> python -m assistant.action_server` "
    "(the same token in Rasa's environment)."
)


class StockServerRefusal:
    """rasa-sdk plugin: stop the stock server as soon as its app is built."""

    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        raise SystemExit(REFUSAL)


def init_hooks(manager: pluggy.PluginManager) -> None:
    """What rasa-sdk calls on ``rasa_sdk_plugins``."""
    manager.register(StockServerRefusal())
