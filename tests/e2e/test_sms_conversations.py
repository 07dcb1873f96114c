"""A full conversation over SMS against the trained model and the real actions."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

from assistant.channels.sms.identity import conversation_id
from assistant.channels.sms.state import SmsState, sqlite_url
from tests.e2e.conftest import SMS_SECRET, SMS_TOKEN, sms_post
from tests.support.assistant_servers import RunningAssistant, start_assistant

pytestmark = pytest.mark.slow
TOKEN = SMS_TOKEN
PHONE = "+13105550177"
SECRET = SMS_SECRET


def post(
    assistant: RunningAssistant, body: str, sender: str = PHONE, sid: Optional[str] = None
) -> Tuple[int, List[str]]:
    return sms_post(assistant, body, sender, sid)


def text(assistant: RunningAssistant, body: str, sender: str = PHONE) -> List[str]:
    status, messages = post(assistant, body, sender)
    assert status == 200
    return messages


def test_emergency_gets_911_in_the_first_sms(sms_assistant: RunningAssistant) -> None:
    messages = text(sms_assistant, "my husband cant breathe", sender="+13105550178")
    assert messages[0].startswith("If this is an emergency, call 911 now.")
    assert all("](" not in m and "**" not in m for m in messages)


def test_side_effect_question_gets_the_sms_answer(sms_assistant: RunningAssistant) -> None:
    messages = text(sms_assistant, "does immunotherapy cause a rash?")
    joined = "\n".join(messages)
    assert "Rash is one of the possible side effects of immunotherapy" in joined
    assert "**" not in joined and "tel:" not in joined
    assert "Reply 1 for Other side effects, 2 for Talk to a person." in joined
    handoff = "\n".join(text(sms_assistant, "2"))
    assert "1-800-CEDARS-1 (1-800-233-2771)" in handoff


def test_no_raw_phone_number_in_the_tracker(sms_assistant: RunningAssistant) -> None:
    text(sms_assistant, "hello", sender="+13105550179")
    with sqlite3.connect(sms_assistant.tracker_db) as db:
        rows = db.execute("SELECT sender_id, data FROM events").fetchall()
    assert rows
    for sender_id, data in rows:
        for digits in ("3105550177", "3105550178", "3105550179"):
            assert digits not in sender_id and digits not in data


def test_a_repeated_message_gets_the_same_reply_and_is_one_turn(
    sms_assistant: RunningAssistant,
) -> None:
    sender = "+13105550181"
    first = post(sms_assistant, "what is immunotherapy", sender, sid="SM" + "e2e" * 10)
    again = post(sms_assistant, "what is immunotherapy", sender, sid="SM" + "e2e" * 10)
    assert first[0] == 200 and first[1] and again == first
    who = conversation_id(sender, SECRET.encode())
    with sqlite3.connect(sms_assistant.tracker_db) as db:
        users = db.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (who,)
        ).fetchone()[0]
    assert users == 1


def test_a_message_without_text_is_answered(sms_assistant: RunningAssistant) -> None:
    messages = text(sms_assistant, "", sender="+13105550182")  # e.g. a picture: Body=
    assert messages and "Emergency: call 911." in messages[-1]


def test_stop_is_kept_in_the_state_database(sms_assistant: RunningAssistant) -> None:
    sender = "+13105550183"
    assert "unsubscribed" in text(sms_assistant, "STOP", sender)[0]
    assert text(sms_assistant, "what is immunotherapy", sender) == []
    state = SmsState(sqlite_url(sms_assistant.tracker_db.parent / "sms.db"))
    try:
        assert state.is_opted_out(conversation_id(sender, SECRET.encode()))
    finally:
        state.close()


class HangingServer:
    """Accepts connections on a port and never answers (a hung action server)."""

    def __init__(self, port: int) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.open: list = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.open:
            connection.close()


def test_replies_stay_bounded_when_the_action_server_hangs(
    trained_model: Path, tmp_path: Path
) -> None:
    env = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SMS_ID_SECRET": SECRET,
        "SMS_REPLY_TIMEOUT_S": "3",
    }
    running = start_assistant(tmp_path, trained_model, env=env)
    action_server = running.processes[0]
    action_server.terminate()
    action_server.wait(timeout=15)
    hanging = HangingServer(running.ports[0])
    try:
        started = time.monotonic()
        messages = text(running, "what are the side effects", sender="+13105550180")
        elapsed = time.monotonic() - started
        assert elapsed < 10
        assert "slow to answer" in messages[0] and "1-800-CEDARS-1" in messages[0]
    finally:
        hanging.close()
        running.stop()
