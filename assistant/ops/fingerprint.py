"""Which model matches the current training inputs.

The model file is named after a hash of everything training reads: NLU data, rules, stories,
config, domain and the custom NLU component code. The knowledge answers are not part of it:
they are read at run time, so editing an answer needs no retraining.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, List

TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data/nlu",
    "data/rules",
    "data/stories",
    "assistant/nlu",
)
MODEL_PREFIX = "assistant-"


def _files(root: Path, inputs: Iterable[str]) -> List[Path]:
    found: List[Path] = []
    for name in inputs:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in (".yml", ".py")
            )
        else:
            raise FileNotFoundError(f"training input {path} is missing")
    return found


def training_fingerprint(root: Path) -> str:
    """A short hash of every training input (names and contents)."""
    digest = hashlib.sha256()
    for path in _files(root, TRAINING_INPUTS):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path) -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    return root / "models" / f"{MODEL_PREFIX}{training_fingerprint(root)}.tar.gz"
