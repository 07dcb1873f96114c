"""`make shell` sends the REST channel's bearer token: from the environment, or the one
`make run` keeps in the state folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from assistant.channels.rest import PatientRestInput
from assistant.ops.chat import TOKEN_FILE, rest_token, send
from tests.support.sanic_server import serving

TOKEN = "shell-test-token-0123456789abcdef"


def test_the_token_comes_from_the_environment_first(tmp_path: Path) -> None:
    (tmp_path / ".state").mkdir()
    (tmp_path / ".state" / TOKEN_FILE).write_text("from-the-file-0123456789\n")
    assert rest_token({"REST_TOKEN": TOKEN}, tmp_path) == TOKEN


def test_else_from_the_state_folder(tmp_path: Path) -> None:
    (tmp_path / ".state").mkdir()
    (tmp_path / ".state" / TOKEN_FILE).write_text("from-the-file-0123456789\n")
    assert rest_token({}, tmp_path) == "from-the-file-0123456789"
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / TOKEN_FILE).write_text("moved-0123456789abcdef")
    assert rest_token({"ASSISTANT_STATE_DIR": str(moved)}, tmp_path) == "moved-0123456789abcdef"


def test_no_token_anywhere(tmp_path: Path) -> None:
    assert rest_token({"REST_TOKEN": "  "}, tmp_path) is None


async def test_send_is_accepted_by_the_rest_channel(knowledge_copy: Path) -> None:
    async def echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")

    channel = PatientRestInput.from_settings(
        {"knowledge_dir": str(knowledge_copy)}, {"REST_TOKEN": TOKEN}
    )
    app = Sanic("chat_shell_test")
    app.blueprint(channel.blueprint(echo), url_prefix="/webhooks/rest")
    async with serving(app) as base:
        url = f"{base}/webhooks/rest/webhook"
        accepted = await asyncio.to_thread(send, url, "shell-1", "hello", TOKEN)
        refused = await asyncio.to_thread(send, url, "shell-1", "hello", "wrong-token-0123456789")
    assert accepted == [{"recipient_id": "shell-1", "text": "echo: hello"}]
    assert refused[0]["text"].startswith("[401]")
