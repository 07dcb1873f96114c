"""Rasa's own checks: the data validates, and the test conversations pass with no error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RASA = str(Path(sys.executable).with_name("rasa"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RASA, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900
    )


def test_rasa_data_validate_is_clean() -> None:
    result = _run(
        "data",
        "validate",
        "--fail-on-warnings",
        "--domain",
        "domain.yml",
        "--config",
        "config.yml",
        "--data",
        "data/nlu",
        "data/rules",
        "data/stories",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_conversations_pass_with_no_prediction_error(trained_model: Path, tmp_path: Path) -> None:
    out = ROOT / "reports" / "conversations"
    result = _run(
        "test",
        "core",
        "--e2e",
        "--model",
        str(trained_model),
        "--stories",
        "tests/conversations",
        "--fail-on-prediction-errors",
        "--out",
        str(out),
    )
    failed = out / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stderr[-3000:]
    assert "None of the test stories failed" in details
