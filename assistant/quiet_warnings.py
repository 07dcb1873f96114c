"""Hide the deprecation warnings Rasa 3.6's dependencies print at start-up; nothing else.

``install()`` is called first thing by the entry points (the Rasa server, the action server,
the console, training and ``make run``). Each rule below names the warning's category, the
module it is attributed to (a regex matched at the start, like ``warnings.filterwarnings``),
the start of its message (a regex, case-insensitive) and why it is hidden: all are about
code inside a pinned dependency, which this project cannot change. A warning that matches no
rule is shown as usual; so is every warning from the project's own modules
(``assistant.*``, ``actions.*``), whatever its text.

The rules are added as ordinary filters, and also checked when a warning is about to be shown:
importing Sanic puts ``filterwarnings("once", category=DeprecationWarning)`` in front of every
filter (so ``PYTHONWARNINGS=ignore`` alone shows them all), and Rasa adds "once" filters of its
own when its command line starts.

``python -m assistant.quiet_warnings ARGS``: Rasa's command line (``rasa ARGS``) with the
filter installed; ``make train`` trains with it.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, TextIO, Type

# Modules whose warnings are always shown.
PROJECT_MODULES = re.compile(r"(assistant|actions)(\.|$)")


@dataclass(frozen=True)
class KnownWarning:
    category: Type[Warning]
    module: str  # regex, matched at the start of the warning's module name
    message: str  # regex, matched at the start of the message, ignoring case
    why: str

    def matches(self, category: Type[Warning], module: str, message: str) -> bool:
        return (
            issubclass(category, self.category)
            and re.match(self.module, module) is not None
            and re.match(self.message, message, re.IGNORECASE) is not None
        )


KNOWN: Sequence[KnownWarning] = (
    KnownWarning(
        DeprecationWarning,
        r"pkg_resources$",
        r"Deprecated call to `pkg_resources\.declare_namespace\(",
        "matplotlib 3.5 (mpl_toolkits) and ruamel.yaml 0.17 declare old-style namespace "
        "packages; setuptools warns when they are imported.",
    ),
    KnownWarning(
        DeprecationWarning,
        r"(apscheduler|rasa)(\.|$)",
        r"pkg_resources is deprecated as an API",
        "APScheduler 3.9 and Rasa 3.6 import pkg_resources.",
    ),
    KnownWarning(
        DeprecationWarning,  # pyparsing's PyparsingDeprecationWarning
        r"(matplotlib|packaging)\.",
        r"'\w+' deprecated - use '\w+'",
        "matplotlib 3.5 and packaging 20.9 (both pinned by Rasa) use pyparsing 2 names.",
    ),
    KnownWarning(
        DeprecationWarning,
        r"(typer|spacy\.cli)(\.|$)",
        r".*(will be removed in Click 9\.0|will only be available in 'shell_completion')",
        "typer 0.7 and spaCy 3.4 (Rasa's pins) use Click APIs that Click 8.2 deprecates.",
    ),
    KnownWarning(
        DeprecationWarning,
        r"sanic_cors(\.|$)",
        r"distutils Version classes are deprecated",
        "Sanic-Cors 2.0 compares versions with distutils.",
    ),
    KnownWarning(
        DeprecationWarning,  # SQLAlchemy's SADeprecationWarning
        r"rasa\.core\.tracker_store$",
        r"Calling URL\(\) directly is deprecated",
        "Rasa's SQL tracker store builds its database URL with SQLAlchemy 1.3's API.",
    ),
    KnownWarning(
        DeprecationWarning,  # SQLAlchemy's MovedIn20Warning
        r"rasa(\.|$)",
        r"Deprecated API features detected",
        "Rasa 3.6 uses SQLAlchemy 1.4 APIs that 2.0 removes; it pins SQLAlchemy < 2.",
    ),
    KnownWarning(
        DeprecationWarning,
        r"tensorflow(\.|$)",
        r"jax\.xla_computation is deprecated",
        "TensorFlow 2.12 imports an old JAX API (JAX is only installed for it).",
    ),
)


def is_known(category: Type[Warning], module: str, message: str) -> bool:
    """Whether a warning is one of ``KNOWN`` (never true for the project's own modules)."""
    if PROJECT_MODULES.match(module):
        return False
    return any(rule.matches(category, module, message) for rule in KNOWN)


def module_of(filename: str, path: Optional[Sequence[str]] = None) -> str:
    """The dotted module name of a source file, from the longest ``sys.path`` entry holding
    it ("" when none does)."""
    target = os.path.abspath(filename)
    best = ""
    for entry in sys.path if path is None else path:
        root = os.path.abspath(entry or os.getcwd())
        if target.startswith(root.rstrip(os.sep) + os.sep) and len(root) > len(best):
            best = root
    if not best:
        return ""
    parts = re.sub(r"\.py[cow]?$", "", target[len(best) :].lstrip(os.sep)).split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def install() -> None:
    """Hide ``KNOWN`` in this process (idempotent)."""
    for rule in reversed(KNOWN):
        warnings.filterwarnings(
            "ignore", message=rule.message, category=rule.category, module=rule.module
        )
    shown = warnings.showwarning
    if getattr(shown, "hides_known_warnings", False):
        return

    def showwarning(
        message: Warning | str,
        category: Type[Warning],
        filename: str,
        lineno: int,
        file: Optional[TextIO] = None,
        line: Optional[str] = None,
    ) -> None:
        if not is_known(category, module_of(filename), str(message)):
            shown(message, category, filename, lineno, file, line)

    showwarning.hides_known_warnings = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


def run_rasa(argv: List[str]) -> Any:
    """Rasa's command line with ``argv``, the filter installed."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    return rasa_main()


if __name__ == "__main__":
    run_rasa(sys.argv[1:])
