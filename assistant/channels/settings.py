"""What every channel reads from credentials.yml and the environment, checked the same way.

A channel whose secret is not set at all is left off (``channel_or_off``): Rasa still starts,
the log says which variable to set, and the channel's URLs answer 503 and accept nothing.
With ``ASSISTANT_REQUIRE_CHANNEL_SECRETS=1`` (the production profile and the systemd units
set it) a missing secret stops the server instead. A secret that is set but unusable (too
short), or an unknown key in credentials.yml, always stops it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Collection, Mapping, Sequence, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.knowledge import KnowledgeStore, knowledge_dir_from_env

logger = logging.getLogger(__name__)

# Set to 1 where every channel in credentials.yml must start (assistant.ops.prod, deploy/).
REQUIRE_SECRETS_ENV = "ASSISTANT_REQUIRE_CHANNEL_SECRETS"
OFF_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class MissingSecret(ValueError, RasaException):
    """A secret a channel needs is not set (or empty), as opposed to set but unusable.

    A ``RasaException`` too, so Rasa's command line prints it as one line, not a traceback.
    """

    def __init__(
        self, channel: str, names: Sequence[str], detail: str = "", note: str = ""
    ) -> None:
        self.channel = channel
        self.names = tuple(names)
        self.detail = detail
        super().__init__(
            f"the {channel} channel needs {' and '.join(self.names)}{detail} in the environment"
            + note
        )


def check_credentials(channel: str, credentials: Mapping[str, Any], known: Collection[str]) -> None:
    """Fail loudly on keys a channel does not know (a typo would otherwise be ignored)."""
    unknown = set(credentials) - set(known)
    if unknown:
        raise ValueError(
            f"credentials.yml: unknown keys for the {channel} channel: {sorted(unknown)}; "
            f"known: {sorted(known)}"
        )


def knowledge_store(credentials: Mapping[str, Any]) -> KnowledgeStore:
    """The knowledge the channel answers from: ``knowledge_dir`` or ``$KNOWLEDGE_DIR``."""
    directory = credentials.get("knowledge_dir")
    return KnowledgeStore(Path(directory) if directory else knowledge_dir_from_env())


def require_set(env: Mapping[str, str], names: Sequence[str], channel: str) -> None:
    """Raise ``MissingSecret`` naming every one of ``names`` that is unset or empty."""
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise MissingSecret(channel, missing)


def required_secret(env: Mapping[str, str], name: str, channel: str) -> bytes:
    """A secret from the environment, at least 16 characters long."""
    secret = env.get(name, "").encode()
    if not secret:
        raise MissingSecret(channel, [name], " (16+ characters)")
    if len(secret) < 16:
        raise ValueError(f"the {channel} channel needs {name} (16+ characters) in the environment")
    return secret


def secrets_required(env: Mapping[str, str]) -> bool:
    """Whether a missing channel secret must stop the server (production)."""
    return env.get(REQUIRE_SECRETS_ENV, "").strip().lower() in ("1", "true", "yes")


def channel_or_off(
    channel: str,
    start: Callable[[], InputChannel],
    env: Mapping[str, str],
) -> InputChannel:
    """``start()``, or, if only secrets are missing (and not in production), an ``OffChannel``.

    Everything else ``start`` raises (an unknown key, a short secret) propagates.
    """
    try:
        return start()
    except MissingSecret as missing:
        them = "them" if len(missing.names) > 1 else "it"
        if secrets_required(env):
            raise MissingSecret(
                missing.channel,
                missing.names,
                missing.detail,
                f" ({REQUIRE_SECRETS_ENV}=1: every channel in the credentials file must start;"
                f" set {them}, or remove the channel from the credentials file)",
            ) from None
        logger.warning(
            "The %s channel is OFF: %s %s not set. To turn it on, set %s in the environment and "
            "restart, or start the assistant with `make run`, which sets up its local secrets. "
            "Its URLs answer 503 meanwhile.",
            channel,
            " and ".join(missing.names),
            "are" if len(missing.names) > 1 else "is",
            them,
        )
        return OffChannel.standing_in_for(channel, missing.names)


class OffChannel(InputChannel):
    """Stands in for a channel left off: every request to its URLs gets 503, none reaches Rasa."""

    channel_name = "off"

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)

    @classmethod
    def name(cls) -> Text:
        return cls.channel_name

    @classmethod
    def standing_in_for(cls, channel: str, missing: Sequence[str]) -> OffChannel:
        """An ``OffChannel`` with ``channel``'s name, so it answers at the channel's URLs."""
        named = type(f"Off_{channel}", (cls,), {"channel_name": channel})
        return named(missing)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        off = Blueprint(f"off_{self.name()}_{id(self)}", __name__)
        body = {
            "error": f"the {self.name()} channel is off: set {' and '.join(self.missing)} "
            "in the server's environment and restart it"
        }

        async def refuse(_: Request, path: str = "") -> HTTPResponse:
            return response.json(body, status=503)

        off.add_route(refuse, "/", methods=OFF_METHODS)
        off.add_route(refuse, "/<path:path>", methods=OFF_METHODS)
        return off
