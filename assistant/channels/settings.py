"""What every channel reads from credentials.yml and the environment, checked the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Collection, Mapping

from assistant.knowledge import KnowledgeStore, knowledge_dir_from_env


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


def required_secret(env: Mapping[str, str], name: str, channel: str) -> bytes:
    """A secret from the environment, at least 16 characters long."""
    secret = env.get(name, "").encode()
    if len(secret) < 16:
        raise ValueError(f"the {channel} channel needs {name} (16+ characters) in the environment")
    return secret
