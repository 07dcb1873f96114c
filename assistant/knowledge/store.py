"""Hot-reloading access to the knowledge: an edited answer takes effect without a restart."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable, Optional, Tuple

from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.loader import KnowledgeError, load_knowledge

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR_ENV = "KNOWLEDGE_DIR"
DEFAULT_KNOWLEDGE_DIR = "data/knowledge"

Signature = Tuple[Tuple[str, int, int], ...]


def knowledge_dir_from_env() -> Path:
    """The knowledge folder: ``$KNOWLEDGE_DIR`` or ``data/knowledge`` under the working dir."""
    return Path(os.environ.get(KNOWLEDGE_DIR_ENV, DEFAULT_KNOWLEDGE_DIR))


def _signature(directory: Path) -> Signature:
    items = []
    for path in sorted(directory.glob("*.yml")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        items.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(items)


class KnowledgeStore:
    """Loads the knowledge once (failing fast) and reloads it when a file changes.

    A reload that fails validation is logged and the last good knowledge stays in use, so a
    typo in an edit never takes the assistant down.
    """

    def __init__(
        self,
        directory: Path,
        check_interval_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = Path(directory)
        self._interval = check_interval_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._signature = _signature(self.directory)
        self._knowledge = load_knowledge(self.directory)
        self._checked_at = monotonic()
        self.last_error: Optional[str] = None

    def current(self) -> KnowledgeBase:
        now = self._monotonic()
        if now - self._checked_at < self._interval:
            return self._knowledge
        with self._lock:
            self._checked_at = now
            signature = _signature(self.directory)
            if signature != self._signature:
                self._signature = signature
                try:
                    self._knowledge = load_knowledge(self.directory)
                    self.last_error = None
                    logger.info("Reloaded knowledge from %s", self.directory)
                except KnowledgeError as error:
                    self.last_error = str(error)
                    logger.error(
                        "Knowledge reload failed, keeping the last good version: %s", error
                    )
        return self._knowledge
