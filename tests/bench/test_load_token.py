"""The benchmark's load generator sends the REST channel's bearer token."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from assistant.channels.rest import PatientRestInput
from bench import load
from tests.support.sanic_server import serving

TOKEN = "bench-test-token-0123456789abcdef"


@pytest.mark.parametrize(("token", "kind"), [(TOKEN, "ok"), (None, "http_401")])
async def test_load_uses_the_token(knowledge_copy: Path, token: Optional[str], kind: str) -> None:
    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "hello")

    channel = PatientRestInput.from_settings(
        {"knowledge_dir": str(knowledge_copy)}, {"REST_TOKEN": TOKEN}
    )
    app = Sanic(f"bench_load_{kind}")
    app.blueprint(channel.blueprint(echo), url_prefix="/webhooks/rest")
    async with serving(app) as base:  # users start within the first second
        result = await load.run(
            f"{base}/webhooks/rest/webhook", 1, 1.5, 0.0, 5, 60, "t", token=token
        )
    assert result["requests"] > 0
    if kind == "ok":
        assert result["errors"] == 0, result["error_kinds"]
    else:
        assert set(result["error_kinds"]) == {kind}
