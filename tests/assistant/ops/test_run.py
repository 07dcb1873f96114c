"""`make run`'s channel set-up: every secret a channel needs exists before Rasa starts."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.ops.run import prepare_channels

ROOT = Path(__file__).resolve().parents[3]


def test_rest_gets_a_private_local_token(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    shutil.copy(ROOT / "credentials.yml", credentials)
    state = tmp_path / "state"
    _, extra, _ = prepare_channels(state, credentials, {})
    token = extra["REST_TOKEN"]
    assert len(token) >= 16
    assert (state / "rest_token").read_text().strip() == token
    assert (state / "rest_token").stat().st_mode & 0o077 == 0
    # The same token on the next start (make shell reads the file), none when one is given.
    assert prepare_channels(state, credentials, {})[1]["REST_TOKEN"] == token
    assert "REST_TOKEN" not in prepare_channels(state, credentials, {"REST_TOKEN": "x" * 20})[1]
