"""The known dependency warnings are hidden; any other warning, and every warning from the
project's own modules, is still shown, even after a dependency puts its own filter first."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator, List, Tuple, Type

import pytest

from assistant import quiet_warnings
from assistant.quiet_warnings import KNOWN, install, is_known, module_of

ROOT = Path(__file__).resolve().parents[2]
SITE = os.path.join(sys.prefix, "lib", "python3.10", "site-packages")
Shown = List[Tuple[str, Type[Warning], str]]


@pytest.fixture
def shown() -> Iterator[Shown]:
    """Inside ``catch_warnings``: ``install()`` over a recorder, every warning let through the
    filters that come first (as Sanic's ``filterwarnings("once", DeprecationWarning)`` does)."""
    seen: Shown = []
    with warnings.catch_warnings():

        def record(message: Any, category: Type[Warning], filename: str, *_: Any) -> None:
            seen.append((str(message), category, filename))

        warnings.showwarning = record
        install()
        install()  # idempotent
        yield seen
        warnings.simplefilter("always")


def warn(message: str, category: Type[Warning], module: str, filename: str) -> None:
    warnings.warn_explicit(message, category, filename, 1, module=module, registry={})


def site(path: str) -> str:
    return os.path.join(SITE, *path.split("/"))


DEPENDENCY = (
    "Deprecated call to `pkg_resources.declare_namespace('ruamel')`.",
    DeprecationWarning,
    "pkg_resources",
    site("pkg_resources/__init__.py"),
)


def test_a_known_dependency_warning_is_hidden(shown: Shown) -> None:
    warn(*DEPENDENCY)
    assert shown == []


def test_it_stays_hidden_when_a_dependency_puts_a_filter_in_front(shown: Shown) -> None:
    warnings.filterwarnings("once", category=DeprecationWarning)  # what importing Sanic does
    warnings.simplefilter("always")
    warn(*DEPENDENCY)
    warn(
        "'setParseAction' deprecated - use 'set_parse_action'",
        DeprecationWarning,
        "matplotlib.fontconfig_pattern",
        site("matplotlib/fontconfig_pattern.py"),
    )
    assert shown == []


def test_an_unknown_dependency_warning_is_shown(shown: Shown) -> None:
    warnings.simplefilter("always")
    warn("something new", DeprecationWarning, "pkg_resources", site("pkg_resources/__init__.py"))
    warn(
        "distutils Version classes are deprecated.",
        DeprecationWarning,
        "somelib.versions",
        site("somelib/versions.py"),
    )
    assert [text for text, _, _ in shown] == [
        "something new",
        "distutils Version classes are deprecated.",
    ]


def test_a_known_text_from_the_project_is_shown(shown: Shown) -> None:
    warnings.simplefilter("always")
    own = str(ROOT / "assistant" / "channels" / "settings.py")
    warn("pkg_resources is deprecated as an API", DeprecationWarning, "assistant.channels", own)
    warnings.warn("the project's own warning", DeprecationWarning, stacklevel=1)
    assert [text for text, _, _ in shown] == [
        "pkg_resources is deprecated as an API",
        "the project's own warning",
    ]


def test_a_known_text_of_another_category_is_shown(shown: Shown) -> None:
    warnings.simplefilter("always")
    warn(DEPENDENCY[0], RuntimeWarning, *DEPENDENCY[2:])
    assert len(shown) == 1


def test_the_rules_never_match_the_project() -> None:
    for rule in KNOWN:
        assert rule.why
        assert not is_known(rule.category, "assistant.ops.run", "anything")
        assert not is_known(rule.category, "actions", "anything")


def test_module_of_a_file() -> None:
    path = [SITE, str(ROOT)]
    assert module_of(site("sanic_cors/extension.py"), path) == "sanic_cors.extension"
    assert module_of(site("pkg_resources/__init__.py"), path) == "pkg_resources"
    assert module_of(str(ROOT / "assistant" / "quiet_warnings.py"), path) == (
        "assistant.quiet_warnings"
    )
    assert module_of("/elsewhere/thing.py", path) == ""


def test_every_entry_point_installs_it_first() -> None:
    """The processes ``make run`` and deploy/ start, and training."""
    for path in (
        "assistant/rasa_server/__main__.py",
        "assistant/action_server/__main__.py",
        "assistant/console/__main__.py",
        "assistant/ops/run.py",
        "assistant/ops/train.py",
    ):
        assert "install()" in (ROOT / path).read_text(), path
    assert '"assistant.quiet_warnings"' in (ROOT / "assistant/ops/train.py").read_text()


def test_a_process_that_imports_sanic_prints_no_known_warning() -> None:
    code = (
        "from assistant.quiet_warnings import install\n"
        "install()\n"
        "import sanic, sanic_cors, apscheduler, matplotlib.pyplot\n"
        "import warnings\n"
        "warnings.warn('still shown', UserWarning)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "Warning" in line]
    assert len(lines) == 1
    assert "still shown" in lines[0]


def test_the_module_documents_itself() -> None:
    assert quiet_warnings.__doc__ and "install()" in quiet_warnings.__doc__
