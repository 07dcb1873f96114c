"""``python -m assistant.ops.train``: train only when no model matches the current inputs."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from assistant.ops.fingerprint import model_path


def rasa_command() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def ensure_model(root: Path, force: bool = False) -> Path:
    """Return the matching model, training it first if it is missing (or ``force``)."""
    target = model_path(root)
    if target.exists() and not force:
        print(f"Model is up to date: {target.relative_to(root)}", flush=True)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Training {target.relative_to(root)} (progress bars follow)...", flush=True)
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(root), "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [
            # `rasa train`, without the dependencies' known deprecation warnings
            *(sys.executable, "-m", "assistant.quiet_warnings"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data/nlu",
            "data/rules",
            "data/stories",
            "--out",
            str(target.parent),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=root,
        env=env,
        check=True,
    )
    print(f"Trained in {time.monotonic() - started:.0f} s: {target.relative_to(root)}", flush=True)
    return target


def main() -> None:
    from assistant.quiet_warnings import install

    install()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="train even if a model matches")
    args = parser.parse_args()
    ensure_model(Path.cwd(), force=args.force)


if __name__ == "__main__":
    main()
