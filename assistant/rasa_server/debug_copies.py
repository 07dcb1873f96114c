"""Deep copies made only for debug log lines, skipped when debug logging is off.

Rasa 3.6 writes ``structlogger.debug("...", states=copy.deepcopy(states))`` in its processor
and its rule and memoization policies: about fourteen deep copies of states, events and
parse data per message. Python evaluates the arguments before structlog drops the line, so
at the production log level every copy is made and thrown away (about 3 % of the Rasa
server's CPU per message).

In those modules ``copy`` is used for nothing else (a test reads their source to check it).
``DebugLogCopies`` takes the module's place there: its ``deepcopy`` copies only while
structlog lets debug lines through, and otherwise hands the value back untouched, since no
log line will hold it.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Callable, Dict, Optional

import structlog

MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.rule_policy",
    "rasa.core.policies.memoization",
)


def _dropped_debug() -> Callable[..., Any]:
    """The method structlog's filtering loggers have for levels they drop."""
    return structlog.make_filtering_bound_logger(logging.CRITICAL).debug


class DebugLogCopies:
    """Stands in for the ``copy`` module where it only feeds debug log lines."""

    def __init__(self) -> None:
        self._dropped = _dropped_debug()

    def debug_is_logged(self) -> bool:
        wrapper = structlog.get_config()["wrapper_class"]
        return getattr(wrapper, "debug", None) is not self._dropped

    def deepcopy(self, value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
        if self.debug_is_logged():
            return copy.deepcopy(value, memo)
        return value
