"""Production installs the runtime dependencies only (scripts/install_runtime.sh installs
``pyproject.toml``'s ``dependencies``; the ``dev`` extra holds the test and lint tools), and
every package the app imports is one of those runtime dependencies."""

from __future__ import annotations

import ast
import re
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution, distributions
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest
from packaging.requirements import Requirement

try:
    import tomllib  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # Python 3.10: pytest's own TOML reader
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# The app's code: what the servers, the console and the ops commands import.
APP_PACKAGES = ("assistant", "actions", "rasa_sdk_plugins")
PROJECT = "cedars-immunotherapy-assistant"
# Tools that have no place on a production machine.
DEV_TOOL = re.compile(
    r"^(pytest(-.+)?|mypy|ruff|types-.+|.+-stubs|playwright|httpx|aiosmtpd|coverage|black|isort|flake8"
    r"|pre-commit|hypothesis)$"
)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=1)
def project() -> Dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return dict(tomllib.load(handle)["project"])


def runtime() -> List[Requirement]:
    return [Requirement(line) for line in project()["dependencies"]]


def dev() -> List[Requirement]:
    return [Requirement(line) for line in project()["optional-dependencies"]["dev"]]


def test_no_dev_tool_is_a_runtime_dependency() -> None:
    names = {normalized(requirement.name) for requirement in runtime()}
    assert not sorted(name for name in names if DEV_TOOL.match(name))
    assert not names & {normalized(requirement.name) for requirement in dev()}


def test_every_dev_tool_is_in_the_dev_extra() -> None:
    names = {normalized(requirement.name) for requirement in dev()}
    assert {"pytest", "pytest-asyncio", "mypy", "ruff", "playwright", "types-pyyaml"} <= names


def test_every_dependency_is_pinned_and_constrained() -> None:
    constraints = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            constraints[normalized(name)] = version
    for requirement in [*runtime(), *dev()]:
        [spec] = list(requirement.specifier)
        assert spec.operator == "==", requirement
        assert constraints.get(normalized(requirement.name)) == spec.version, requirement


def runtime_closure() -> Set[str]:
    """Every distribution a runtime-only install brings (from the installed metadata)."""
    seen: Set[str] = set()
    todo = [requirement.name for requirement in runtime()]
    while todo:
        name = normalized(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue  # not installed here: test_imports... below reports what matters
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def test_a_runtime_install_brings_no_dev_tool() -> None:
    closure = runtime_closure()
    assert not sorted(name for name in closure if DEV_TOOL.match(name))
    dev_only = {normalized(requirement.name) for requirement in dev()}
    assert not sorted(closure & dev_only)


@lru_cache(maxsize=1)
def distributions_of_modules() -> Dict[str, Set[str]]:
    """Top-level module -> distributions that provide it (``top_level.txt``, or the files
    the distribution installed: Rasa's wheels have no top_level.txt)."""
    provided: Dict[str, Set[str]] = {}
    for dist in distributions():
        name = normalized(dist.metadata["Name"])
        declared = (dist.read_text("top_level.txt") or "").split()
        inferred = {
            file.parts[0] if len(file.parts) > 1 else file.name.split(".")[0]
            for file in dist.files or []
            if file.suffix in (".py", ".so", "") or len(file.parts) > 1
        }
        for module in {*declared, *inferred}:
            if module.isidentifier():
                provided.setdefault(module, set()).add(name)
    return provided


def imports(package: str) -> Iterator[Tuple[str, Path]]:
    """(top-level module, file) for every absolute import in ``package``."""
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield name.split(".")[0], path


@pytest.mark.parametrize("package", APP_PACKAGES)
def test_every_import_of_the_app_is_a_runtime_dependency(package: str) -> None:
    declared = {normalized(requirement.name) for requirement in runtime()}
    undeclared: Dict[str, Set[str]] = {}
    for module, path in imports(package):
        if module in sys.stdlib_module_names or module in APP_PACKAGES or module == "__future__":
            continue
        providers = distributions_of_modules().get(module, set()) - {PROJECT}
        if not providers & declared:
            undeclared.setdefault(
                f"{module} ({', '.join(sorted(providers)) or 'not installed'})", set()
            ).add(str(path.relative_to(ROOT)))
    assert not undeclared, f"imported but not in pyproject's dependencies: {undeclared}"


def test_the_import_check_sees_a_missing_dependency() -> None:
    assert "rasa" in distributions_of_modules()["rasa"]
    assert "pytest" in distributions_of_modules()["_pytest"]
    assert "pytest" not in {normalized(requirement.name) for requirement in runtime()}
