"""Installs and removes the Rasa patches of ``patches.PATCHES``: all of them, or none.

``apply(Tuning.from_env())`` is called by ``python -m assistant.rasa_server`` only; importing
this module changes nothing. Before installing anything it checks that:

- the installed Rasa is ``PINNED_RASA_VERSION``, the version the rows were written for;
- every row's owner exists and has the attribute in its own ``__dict__``;
- a row that replaces a module global (``used_by``) names code that really reads it: the
  processor loads its model with the name ``DaskGraphRunner``, ``RemoteAction`` reads
  ``DEFAULT_REQUEST_TIMEOUT``; otherwise the new value would sit there unused;
- each replacement can be built from Rasa's value.

If a check fails nothing is installed and one warning line says what is wrong: stock Rasa
serves. ``ASSISTANT_RASA_TUNING=off`` serves stock Rasa too. ``restore()`` puts back each
value exactly as it was in its owner's ``__dict__``. The list of rows, with why each exists,
is ``docs/rasa-patches.md`` (generated from the table).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from assistant.rasa_server.patches import PATCHES, PINNED_RASA_VERSION, Patch, names_used, resolve
from assistant.rasa_server.replacements import CLIENT_KEEPALIVE_S
from assistant.rasa_server.settings import (
    DEFAULT_ACTION_TIMEOUT_S,
    DEFAULT_MAX_SESSION_EVENTS,
    SWITCH,
    Tuning,
)

__all__ = [
    "CLIENT_KEEPALIVE_S",
    "DEFAULT_ACTION_TIMEOUT_S",
    "DEFAULT_MAX_SESSION_EVENTS",
    "PINNED_RASA_VERSION",
    "Outcome",
    "Tuning",
    "apply",
    "apply_with_report",
    "check",
    "installed",
    "restore",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What ``apply`` did: the rows now installed, or why stock Rasa serves."""

    installed: Tuple[Patch, ...]
    stock_because: Optional[str] = None

    @property
    def tuned(self) -> bool:
        return self.stock_because is None


@dataclass(frozen=True)
class _Installed:
    patch: Patch
    owner: Any
    original: Any  # exactly as it was in the owner's __dict__ (a staticmethod stays one)


_installed: List[_Installed] = []


def installed() -> Tuple[Patch, ...]:
    """The rows installed now, in table order."""
    return tuple(entry.patch for entry in _installed)


def check(patches: Optional[Tuple[Patch, ...]] = None) -> Optional[str]:
    """What stops ``patches`` (all of ``PATCHES``) from being installed, or None."""
    import rasa

    if rasa.__version__ != PINNED_RASA_VERSION:
        return f"Rasa {rasa.__version__} is installed, the patches are for {PINNED_RASA_VERSION}"
    problems = []
    for patch in PATCHES if patches is None else patches:
        try:
            owner = resolve(patch.owner)
            if patch.attribute not in vars(owner):
                problems.append(f"{patch.owner.replace(':', '.')} has no {patch.attribute}")
            elif patch.used_by and patch.attribute not in names_used(resolve(patch.used_by)):
                user = patch.used_by.replace(":", ".")
                problems.append(f"{user} does not use {patch.attribute} (for {patch.target})")
        except (ImportError, AttributeError) as error:
            problems.append(f"{error} (for {patch.target})")
    return "; ".join(problems) or None


def apply(tuning: Tuning) -> Outcome:
    """Install every active row for ``tuning`` (replacing any earlier ``apply``), or none."""
    restore()
    if not tuning.enabled:
        return _stock(
            f"{SWITCH}=off: serving stock Rasa internals, and the action-server wait is "
            f"Rasa's {_rasas_action_wait():g} s"
        )
    problem = check()
    if problem is not None:
        return _stock(f"{problem}: serving stock Rasa behaviour")
    staged = []
    for patch in PATCHES:
        if not patch.active(tuning):
            continue
        owner = resolve(patch.owner)
        original = vars(owner)[patch.attribute]
        try:
            replacement = patch.replacement(original, tuning)
        except Exception as error:  # noqa: BLE001  # any failure: stock Rasa, in one line
            return _stock(
                f"the replacement for {patch.target} could not be built ({error!r}): "
                "serving stock Rasa behaviour"
            )
        staged.append((_Installed(patch, owner, original), replacement))
    try:
        for entry, replacement in staged:
            setattr(entry.owner, entry.patch.attribute, replacement)
            _installed.append(entry)
    except Exception as error:  # noqa: BLE001
        restore()
        return _stock(f"a Rasa patch could not be set ({error!r}): serving stock Rasa behaviour")
    logger.info(
        "Rasa %s tuned: %d patches installed (docs/rasa-patches.md)",
        PINNED_RASA_VERSION,
        len(_installed),
    )
    return Outcome(installed())


def apply_with_report(tuning: Tuning) -> Outcome:
    """``apply``, its one line written to stderr: Rasa configures logging only later."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s  - %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        return apply(tuning)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def restore() -> int:
    """Put back every value ``apply`` replaced (idempotent); how many were put back."""
    count = len(_installed)
    while _installed:
        entry = _installed.pop()
        setattr(entry.owner, entry.patch.attribute, entry.original)
    return count


def _stock(reason: str) -> Outcome:
    logger.warning("%s", reason)
    return Outcome((), reason)


def _rasas_action_wait() -> float:
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    return float(DEFAULT_REQUEST_TIMEOUT)
