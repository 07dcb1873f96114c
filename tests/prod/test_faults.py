"""Faults in the production profile, each one bounded: a dead or hung action server, a
PostgreSQL restart, a replica killed under load, two replicas racing on one conversation, and
patient data kept out of every log. The tests run in this order on one running profile.

Patients use the web channel through nginx, as in production (tests/prod/conftest.py); the
race between replicas posts to each replica's REST channel with its token."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp
import pytest

from assistant.channels.sms.segments import fold_for_sms
from assistant.dialogue_names import ENTRY_CONVERSATION_TECHNICAL_ERROR, ENTRY_SMS_SLOW_REPLY
from assistant.knowledge import SMS, KnowledgeStore
from assistant.ops.prod import RunningProfile, start_actions, supervisor, wait_ready
from tests.prod.conftest import (
    REST_TOKEN,
    ROOT,
    Patient,
    RateLimited,
    Texter,
    get_status,
    message_body,
    new_texter,
    open_chat,
    post,
    request,
    rest_post,
    say,
    sms_parts,
    stored_events,
    user_texts,
)

pytestmark = pytest.mark.slow
SUPPORT_LINE = "1-800-CEDARS-1"


def sender(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def ready(profile: RunningProfile, port: int) -> int:
    return get_status(f"http://127.0.0.1:{port}/webhooks/rest/ready")


def text_of(replies: List[Dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _listening_addresses() -> Dict[int, set]:
    """Local addresses of listening TCP sockets, by port (from /proc/net/tcp)."""
    found: Dict[int, set] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if state != "0A":  # LISTEN
            continue
        address, port = local.split(":")
        octets = [str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)]
        found.setdefault(int(port, 16), set()).add(".".join(octets))
    return found


def test_replicas_are_ready_and_nginx_uses_both(prod: RunningProfile) -> None:
    for port in prod.settings.rasa_ports:
        assert ready(prod, port) == 200
    for _ in range(6):
        assert say(prod, open_chat(prod), "hi")
    access = (prod.settings.log_dir / "nginx" / "access.log").read_text()
    for port in prod.settings.rasa_ports:
        assert f"127.0.0.1:{port}" in access


def test_every_server_listens_on_loopback_only(prod: RunningProfile) -> None:
    s = prod.settings
    listening = _listening_addresses()
    ports = [s.patient_port, s.staff_port, *s.rasa_ports, s.action_port, s.console_port]
    ports += [s.postgres_port]
    for port in ports:
        assert listening.get(port) == {"127.0.0.1"}, (port, listening.get(port))


def test_rasa_http_api_is_off(prod: RunningProfile) -> None:
    port = prod.settings.rasa_ports[0]
    for path in ("/status", "/conversations/x/tracker", "/model/parse", "/version"):
        assert get_status(f"http://127.0.0.1:{port}{path}") in (404, 405)
    status, _ = post(f"http://127.0.0.1:{port}/model/parse", {"text": "hi"})
    assert status in (404, 405)


def test_action_server_stopped_gives_the_apology_within_3_s(prod: RunningProfile) -> None:
    assert prod.actions is not None
    patient = open_chat(prod)
    prod.actions.terminate()
    prod.actions.wait(10)
    try:
        started = time.monotonic()
        replies = say(prod, patient, "what are the side effects?")
        elapsed = time.monotonic() - started
        assert SUPPORT_LINE in text_of(replies)
        assert elapsed < 3.0, elapsed
    finally:
        start_actions(prod, ROOT)


def test_action_server_hanging_gives_the_apology_within_3_s(prod: RunningProfile) -> None:
    assert prod.actions is not None
    patient = open_chat(prod)
    os.kill(prod.actions.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        replies = say(prod, patient, "what are the side effects?")
        elapsed = time.monotonic() - started
        assert SUPPORT_LINE in text_of(replies)
        assert elapsed < 3.0, elapsed
    finally:
        os.kill(prod.actions.pid, signal.SIGCONT)
    # Once it answers again, a new conversation is served normally.
    assert (
        "side effect" in text_of(say(prod, open_chat(prod), "what are the side effects?")).lower()
    )


def test_a_hung_action_server_holds_a_turn_for_seconds_not_minutes(prod: RunningProfile) -> None:
    """Rasa 3.6 waits 300 s for each action-server call, holding the conversation's lock and
    its events meanwhile; here each call gives up after ACTION_SERVER_TIMEOUT_S (5 s), so the
    turn ends and is stored while the action server is still hung."""
    assert prod.actions is not None
    patient = open_chat(prod)
    assert say(prod, patient, "hello")  # the session starts while the action server answers
    os.kill(prod.actions.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert SUPPORT_LINE in text_of(say(prod, patient, "what are the side effects?"))
        stored: List[str] = []
        while time.monotonic() - started < 40 and len(stored) < 2:
            time.sleep(0.5)
            stored = user_texts(prod, patient.sender_id)
        assert stored == ["hello", "what are the side effects?"], stored
        assert time.monotonic() - started > 4.5  # not before the action call gave up
    finally:
        os.kill(prod.actions.pid, signal.SIGCONT)
    assert "side effect" in text_of(say(prod, patient, "what are the side effects?")).lower()


def test_postgres_restart_loses_and_duplicates_nothing(prod: RunningProfile) -> None:
    patient = open_chat(prod)
    say(prod, patient, "hello")
    say(prod, patient, "what are the side effects?")
    prod.postgres.stop()
    try:
        for port in prod.settings.rasa_ports:
            assert ready(prod, port) == 503  # a load balancer stops sending here
        during = say(prod, patient, "what are the infusion center hours?")
        assert SUPPORT_LINE in text_of(during)  # the apology, not an answer out of context
    finally:
        prod.postgres.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        ready(prod, p) != 200 for p in prod.settings.rasa_ports
    ):
        time.sleep(0.5)
    for port in prod.settings.rasa_ports:
        assert ready(prod, port) == 200
    after = say(prod, patient, "can I bring someone with me?")
    assert SUPPORT_LINE not in text_of(after) or "rooms" in text_of(after).lower()
    texts = user_texts(prod, patient.sender_id)
    assert texts == ["hello", "what are the side effects?", "can I bring someone with me?"]
    events = stored_events(prod, patient.sender_id)
    assert sum(e["event"] == "session_started" for e in events) == 1  # context kept


# --- A replica killed under load --------------------------------------------------------------

TURNS = 8  # messages per conversation
KILL_AFTER = 20  # answered messages before the kill
STUCK_S = 1.0  # a request pending this long is on the stopped replica (turns take ~0.3 s)
FAULT_RUNS = int(os.environ.get("FAULT_TEST_RUNS", "1"))  # 20 to show it never flakes
WEB_APOLOGY = ENTRY_CONVERSATION_TECHNICAL_ERROR  # the knowledge entry of the web apology


@functools.cache
def sms_apologies() -> frozenset[str]:
    """The SMS channel's slow-reply apology, as sent, in each language."""
    knowledge = KnowledgeStore(ROOT / "data" / "knowledge").current()
    rendered = [knowledge.render(ENTRY_SMS_SLOW_REPLY, SMS, language=lang) for lang in ("en", "es")]
    return frozenset(fold_for_sms(entry.text) for entry in rendered)


@dataclass
class Sent:
    """One patient request of the load and what came back."""

    who: str  # the conversation id
    text: str
    started: float
    status: Optional[int] = None  # None while pending; 0 for a connection error
    replies: List[str] = field(default_factory=list)
    apology: bool = False  # the channel's "sorry, call us" instead of the bot's answer


class Load:
    """Web and SMS patients, each sending one message after the other through nginx."""

    def __init__(self) -> None:
        self.sent: List[Sent] = []

    def answered(self) -> int:
        return sum(entry.status is not None for entry in self.sent)

    def stuck(self, now: float) -> int:
        return sum(entry.status is None and now - entry.started > STUCK_S for entry in self.sent)

    async def _send(
        self, session: aiohttp.ClientSession, entry: Sent, post: Dict[str, Any], sms: bool
    ) -> None:
        self.sent.append(entry)
        try:
            async with session.post(**post) as reply:
                body = await reply.read()
                if reply.status == 200 and sms:
                    entry.replies = sms_parts(body)
                    entry.apology = any(part in sms_apologies() for part in entry.replies)
                elif reply.status == 200:
                    messages = json.loads(body)["messages"]
                    entry.replies = [m.get("text") or "" for m in messages]
                    entry.apology = any(m.get("kb_entry") == WEB_APOLOGY for m in messages)
                entry.status = reply.status
        except aiohttp.ClientError:
            entry.status = 0

    async def web(self, patient: Patient, tag: str) -> None:
        connector = aiohttp.TCPConnector(local_addr=(patient.address, 0))
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for turn in range(TURNS):
                text = f"my dad\u2019s on immunotherapy, wat r the side efects {tag} {turn}"
                post = {
                    "url": f"{patient.base}/message",
                    "data": message_body(text),
                    "headers": patient.headers(),
                }
                entry = Sent(patient.sender_id, text, time.monotonic())
                await self._send(session, entry, post, False)

    async def sms(self, phone: Texter, tag: str) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for turn in range(TURNS):
                text = f"wen is the infusion center open tmrw {tag} {turn}"
                data, headers = phone.form(text)
                post = {"url": phone.url, "data": data, "headers": headers}
                await self._send(session, Sent(phone.sender_id, text, time.monotonic()), post, True)


async def _until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:.0f} s for {what}")
        await asyncio.sleep(0.02)


async def _load_with_a_kill(
    prod: RunningProfile, patients: List[Patient], phones: List[Texter], victim: int, tag: str
) -> Load:
    """The load; once it is going, the victim is frozen until requests pile up on it (so
    some are surely in flight there, some mid-turn), then SIGKILLed."""
    load = Load()
    tasks = [asyncio.ensure_future(load.web(p, tag)) for p in patients]
    tasks += [asyncio.ensure_future(load.sms(p, tag)) for p in phones]
    process = prod.replicas[victim]
    try:
        await _until(lambda: load.answered() >= KILL_AFTER, 60, f"{KILL_AFTER} answers")
        process.send_signal(signal.SIGSTOP)
        await _until(lambda: load.stuck(time.monotonic()) >= 2, 20, "requests on the victim")
        process.kill()  # SIGKILL: no goodbye, with requests in flight
    finally:
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return load


def _retried_on_the_survivor(prod: RunningProfile, victim: int) -> int:
    """Requests nginx sent to the victim and then, after it died, to another replica (the
    access log lists every replica a request went to)."""
    access = (prod.settings.log_dir / "nginx" / "access.log").read_text().splitlines()
    return sum(f'"127.0.0.1:{victim}, 127.0.0.1:' in line for line in access)


@pytest.mark.parametrize("run", range(FAULT_RUNS))
def test_a_replica_killed_under_load_loses_and_repeats_nothing(
    prod: RunningProfile, run: int
) -> None:
    """8 conversations, web and SMS, through nginx; a replica is SIGKILLed with requests in
    flight. Every request gets its answer (nginx re-sends a message the dead replica had,
    and the channels answer each key once), and each conversation's tracker holds each
    message exactly once, in the order sent. Then the supervisor brings the replica back."""
    victim = prod.settings.rasa_ports[run % len(prod.settings.rasa_ports)]
    retried_before = _retried_on_the_survivor(prod, victim)
    patients = [open_chat(prod) for _ in range(4)]
    phones = [new_texter(prod) for _ in range(4)]
    tag = secrets.token_hex(3)
    try:
        load = asyncio.run(_load_with_a_kill(prod, patients, phones, victim, tag))
        limited = [entry for entry in load.sent if entry.status == 429]
        if limited:
            raise RateLimited(f"{len(limited)} messages of the load got 429 (nginx or WEB_RATE_*)")
        failed = [(e.text, e.status) for e in load.sent if e.status != 200 or not e.replies]
        assert failed == [], f"requests without their reply: {failed}"
        apologies = [entry.text for entry in load.sent if entry.apology]
        assert apologies == [], f"answered with the apology instead: {apologies}"
        assert _retried_on_the_survivor(prod, victim) > retried_before  # the kill was mid-load
        for who in [p.sender_id for p in patients] + [p.sender_id for p in phones]:
            sent = [entry.text for entry in load.sent if entry.who == who]
            assert len(sent) == TURNS
            assert user_texts(prod, who) == sent, f"not each turn once, in order, for {who}"
    finally:
        _restart_with_the_supervisor(prod, victim)


def _restart_with_the_supervisor(prod: RunningProfile, port: int) -> None:
    """What ``make run-prod`` does when a replica dies: its supervisor starts it again."""
    watcher = supervisor(prod, ROOT, prod_model(prod))
    if prod.replicas[port].poll() is None:  # the test failed before the kill
        prod.replicas[port].kill()
        prod.replicas[port].wait(10)
    assert watcher.check() == [f"replica :{port}"]
    wait_ready(port, prod.replicas[port], 300)


def prod_model(prod: RunningProfile) -> Path:
    from assistant.ops.train import ensure_model

    return ensure_model(ROOT)


# --- Repeated deliveries: one turn, one reply ---------------------------------------------


async def _deliver_at_once(
    posts: List[Dict[str, Any]],
) -> List[Tuple[int, bytes]]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(post: Dict[str, Any]) -> Tuple[int, bytes]:
            async with session.post(**post) as reply:
                return reply.status, await reply.read()

        return list(await asyncio.gather(*(one(post) for post in posts)))


def _to_each_replica(prod: RunningProfile, path: str, data: bytes, headers: Dict[str, str]) -> Any:
    """The same request, as nginx would pass it on, to every replica directly."""
    forwarded = {**headers, "Host": f"127.0.0.1:{prod.settings.patient_port}"}
    return [
        {"url": f"http://127.0.0.1:{port}{path}", "data": data, "headers": forwarded}
        for port in prod.settings.rasa_ports
    ]


def test_a_web_message_delivered_to_two_replicas_at_once_and_later_is_one_turn(
    prod: RunningProfile,
) -> None:
    patient = open_chat(prod)
    text = "what\u2019re the side effects of immunotherapy? asking for my husband"
    body = message_body(text)  # one client id
    headers = {**patient.headers(), "X-Forwarded-For": patient.address}
    posts = _to_each_replica(prod, "/webhooks/web/message", body, headers)
    together = asyncio.run(_deliver_at_once(posts))
    later = request(f"{patient.base}/message", "POST", body, patient.headers(), patient.address)
    assert [status for status, _ in together] == [200, 200] and later.status == 200
    replies = [json.loads(raw)["messages"] for _, raw in together] + [later.json()["messages"]]
    assert replies[0] and replies[0] == replies[1] == replies[2]
    assert "side effect" in text_of(replies[0]).lower()
    assert user_texts(prod, patient.sender_id) == [text]


def test_an_sms_delivered_to_two_replicas_at_once_and_later_is_one_turn(
    prod: RunningProfile,
) -> None:
    phone = new_texter(prod)
    text = "hi wat time does the infusion center open 2moro"
    data, headers = phone.form(text)  # one MessageSid
    posts = _to_each_replica(prod, "/webhooks/sms/webhook", data, headers)
    together = asyncio.run(_deliver_at_once(posts))
    later = request(phone.url, "POST", data, headers)
    assert [status for status, _ in together] == [200, 200] and later.status == 200
    bodies = [raw for _, raw in together] + [later.body]
    assert sms_parts(bodies[0]) and bodies[0] == bodies[1] == bodies[2]
    assert user_texts(prod, phone.sender_id) == [text]


async def _race(prod: RunningProfile, who: str) -> List[int]:
    a, b = prod.settings.rasa_ports
    headers = {"Authorization": f"Bearer {REST_TOKEN}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:

        async def send(port: int, text: str) -> int:
            url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
            async with session.post(url, json={"sender": who, "message": text}) as reply:
                await reply.read()
                return reply.status

        return list(
            await asyncio.gather(
                send(a, "what are the side effects?"), send(b, "when is the infusion center open?")
            )
        )


def test_two_replicas_take_turns_on_one_conversation(prod: RunningProfile) -> None:
    for _ in range(5):
        who = sender("race")
        # The session exists, so both messages race on the same tracker.
        opening = rest_post(prod, prod.settings.rasa_ports[0], {"sender": who, "message": "hi"})
        assert opening.status == 200, opening.status
        assert asyncio.run(_race(prod, who)) == [200, 200]
        # A turn that waited past the reply deadline (the patient got the apology) finishes
        # in the background; give it time, then check the order.
        deadline = time.monotonic() + 30
        while len(user_texts(prod, who)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        events = [e for e in stored_events(prod, who) if e["event"] in ("user", "action")]
        users = [i for i, e in enumerate(events) if e["event"] == "user"]
        assert len(users) == 3
        # Each turn ends (action_listen) before the next patient message is taken.
        for first, second in itertools.pairwise(users):
            between = [e.get("name") for e in events[first + 1 : second]]
            assert between and between[-1] == "action_listen", between
        assert sum(e["event"] == "session_started" for e in stored_events(prod, who)) == 1


def _has_callback(prod: RunningProfile, patient: Patient) -> bool:
    return any(
        e["event"] == "slot" and e.get("name") == "callback_request" and e.get("value")
        for e in stored_events(prod, patient.sender_id)
    )


def test_no_patient_data_in_any_log(prod: RunningProfile) -> None:
    patient = open_chat(prod)
    name, phone, email = "Zelda Quixote", "(310) 555-0147", "zelda.quixote@example.org"
    say(prod, patient, "can someone call me back please")
    say(prod, patient, name)
    say(prod, patient, phone)
    say(prod, patient, f"mornings, or email me at {email}")
    say(prod, patient, "/affirm")
    # A turn slower than the reply deadline finishes in the background: wait for it.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _has_callback(prod, patient):
        time.sleep(0.3)
    # An error path too: a message while the database is down is logged as an error.
    prod.postgres.stop()
    try:
        say(prod, patient, f"it is {name} again, my number is {phone}")
    finally:
        prod.postgres.start()
    assert _has_callback(prod, patient)  # the details really went through the system
    needles = ["Zelda", "Quixote", "555-0147", "5550147", "555 0147", email, "zelda.quixote"]
    logs = [p for p in prod.settings.state_dir.rglob("*.log") if p.is_file()]
    assert len(logs) >= 6, logs
    for path in logs:
        content = path.read_text(errors="replace")
        for needle in needles:
            assert needle not in content, f"{needle!r} found in {path}"


def test_the_console_reads_the_postgresql_store_through_nginx(prod: RunningProfile) -> None:
    """The staff console of the profile indexes PostgreSQL; its audit table is append-only
    there too (a PL/pgSQL trigger)."""
    import re
    import subprocess
    import sys
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    import sqlalchemy as sa

    say(prod, open_chat(prod), "what are the infusion center hours?")
    env = {**prod.env, "CONSOLE_DB_URL": prod.postgres.url()}
    subprocess.run(
        [sys.executable, "-m", "assistant.console", "users", "add", "it-admin", "--role", "admin"],
        input="a long enough password 123\n",
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    login = opener.open(f"{prod.staff_url}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token
    form = {
        "csrf_token": token.group(1),
        "username": "it-admin",
        "password": "a long enough password 123",
        "next": "/inbox?q=infusion+center+hours",
    }
    opener.open(f"{prod.staff_url}/login", urllib.parse.urlencode(form).encode(), timeout=10)
    deadline = time.monotonic() + 30
    inbox = ""
    while time.monotonic() < deadline and "what are the infusion center hours?" not in inbox:
        inbox = (
            opener.open(f"{prod.staff_url}/inbox?q=infusion+center+hours", timeout=10)
            .read()
            .decode()
        )
        time.sleep(1)
    assert "what are the infusion center hours?" in inbox
    engine = sa.create_engine(prod.postgres.url())
    try:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM console_audit"))
    finally:
        engine.dispose()
