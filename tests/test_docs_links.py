"""Every relative link in the README and docs/ points at a file or folder that exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Tuple

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = ("http://", "https://", "mailto:", "tel:", "#")


def _documents() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield ROOT / "deploy" / "README.md"
    yield from sorted((ROOT / "docs").glob("*.md"))


def _relative_links(document: Path) -> Iterator[Tuple[int, str]]:
    in_code = False
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in LINK.findall(line):
            if not target.startswith(EXTERNAL):
                yield number, target


def test_relative_links_resolve() -> None:
    broken = []
    checked = 0
    for document in _documents():
        for number, target in _relative_links(document):
            checked += 1
            path = target.split("#", 1)[0]
            if not (document.parent / path).exists():
                broken.append(f"{document.relative_to(ROOT)}:{number}: {target}")
    assert checked > 20, "the link pattern found almost no links; is it still right?"
    assert broken == []


def test_the_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 220, "details belong in docs/; the README is the five-minute overview"
