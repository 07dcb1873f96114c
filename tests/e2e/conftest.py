"""Helpers for the end-to-end tests (the running assistant fixture is in tests/conftest.py),
and the SMS assistant the SMS test modules share (one server start for both)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from assistant.ops.sms_try import messages_of, signed_form
from tests.support.assistant_servers import RunningAssistant, start_assistant

SMS_TOKEN = "e2e-sms-token-4242424242"
SMS_SECRET = "e2e-secret-0123456789abcdef"


def texts(replies: list) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


@pytest.fixture(scope="session")
def sms_assistant(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningAssistant]:
    """The assistant with the SMS channel on. Each test texts from its own number."""
    env = {"TWILIO_AUTH_TOKEN": SMS_TOKEN, "SMS_ID_SECRET": SMS_SECRET}
    running = start_assistant(tmp_path_factory.mktemp("sms"), trained_model, env=env)
    yield running
    running.stop()


def sms_post(
    assistant: RunningAssistant, body: str, sender: str, sid: Optional[str] = None
) -> Tuple[int, List[str]]:
    """Text ``body`` from ``sender`` as Twilio would (signed); the status and the SMS sent back."""
    url = assistant.url.replace("/rest/", "/sms/")
    data, headers = signed_form(url, SMS_TOKEN, sender, body, message_sid=sid)
    request = urllib.request.Request(url, data, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            return reply.status, messages_of(reply.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, []
