"""rasa-sdk imports this package when it starts its own action server (``rasa run actions``)
and calls ``init_hooks``: the project refuses that server (see assistant.action_server.stock)."""

from assistant.action_server.stock import init_hooks

__all__ = ["init_hooks"]
