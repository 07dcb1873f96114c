"""What the production profile exposes: through nginx patients reach the web and SMS channels
only; the REST channel (on the replicas) needs its token and never serves a web or SMS
conversation; nginx limits requests per address; its logs are private and keep no console
searches."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator, List, Optional

import aiohttp
import pytest

from assistant.channels.sms.identity import conversation_id
from assistant.ops.processes import free_port
from assistant.ops.prod import ProdSettings, RunningProfile, nginx_config
from assistant.ops.services import Nginx
from tests.prod.conftest import (
    REST_TOKEN,
    ROOT,
    new_address,
    open_chat,
    request,
    rest_post,
    say,
    stored_events,
    user_texts,
)

pytestmark = pytest.mark.slow

# Paths that reach the REST channel, Rasa's own routes or readiness if nginx passed them on
# (dot segments, escapes and doubled slashes are resolved by nginx before it matches).
NOT_FOR_PATIENTS = (
    "/webhooks/rest/webhook",
    "/webhooks/rest/",
    "/webhooks/rest/ready",
    "/webhooks//rest/webhook",
    "/webhooks/web/../rest/webhook",
    "/webhooks/web/%2e%2e/rest/webhook",
    "/webhooks/sms/../rest/webhook",
    "/webhooks/",
    "/",
    "/version",
    "/status",
)


def test_nginx_passes_no_rest_request_to_rasa(prod: RunningProfile) -> None:
    patient = open_chat(prod)
    say(prod, patient, "hello")
    before = stored_events(prod, patient.sender_id)
    fake = f"web-{secrets.token_urlsafe(16)}"
    for path in NOT_FOR_PATIENTS:
        for sender in (patient.sender_id, fake):
            for token in (REST_TOKEN, None):
                body = {"sender": sender, "message": "my name is Jane, call me at 310 555 0147"}
                reply = rest_post(prod, 0, body, token, url=f"{prod.patient_url}{path}")
                assert reply.status == 404, (path, reply.status)
    assert stored_events(prod, patient.sender_id) == before
    assert stored_events(prod, fake) == []


def test_readiness_is_checked_on_each_replica_not_through_nginx(prod: RunningProfile) -> None:
    for port in prod.settings.rasa_ports:
        assert request(f"http://127.0.0.1:{port}/webhooks/rest/ready").status == 200
    assert request(f"{prod.patient_url}/webhooks/rest/ready").status == 404


@pytest.mark.parametrize("token", [None, "", "not-the-token-of-this-profile", REST_TOKEN[:-1]])
def test_a_replica_refuses_rest_without_the_token(
    prod: RunningProfile, token: Optional[str]
) -> None:
    who = f"integration-{secrets.token_hex(5)}"
    for port in prod.settings.rasa_ports:
        reply = rest_post(prod, port, {"sender": who, "message": "hello"}, token)
        assert reply.status == 401, reply.status
    assert stored_events(prod, who) == []


def test_a_replica_refuses_web_and_sms_conversations_even_with_the_token(
    prod: RunningProfile,
) -> None:
    patient = open_chat(prod)
    say(prod, patient, "hello")
    before = stored_events(prod, patient.sender_id)
    sms = conversation_id("+13105550147", secrets.token_bytes(32))
    fake_web = f"web-{secrets.token_urlsafe(16)}"
    for sender in (patient.sender_id, sms, fake_web, patient.sender_id.upper()):
        for port in prod.settings.rasa_ports:
            reply = rest_post(prod, port, {"sender": sender, "message": "what did I say?"})
            assert reply.status == 403, (sender, reply.status)
    assert stored_events(prod, patient.sender_id) == before
    assert user_texts(prod, patient.sender_id) == ["hello"]
    for sender in (sms, fake_web, patient.sender_id.upper()):
        assert stored_events(prod, sender) == []
    # The token itself works: an integration's own conversation is served.
    who = f"integration-{secrets.token_hex(5)}"
    reply = rest_post(prod, prod.settings.rasa_ports[0], {"sender": who, "message": "hello"})
    assert reply.status == 200 and reply.json()
    assert user_texts(prod, who) == ["hello"]


def test_the_web_channel_behind_nginx_still_checks_the_origin(prod: RunningProfile) -> None:
    """The widget's own origin, with nginx's port, is accepted (nginx passes the Host header
    on as the browser sent it); another site's is not."""
    assert say(prod, open_chat(prod), "hello")  # open_chat sends Origin: the patient URL
    reply = request(
        f"{prod.patient_url}/webhooks/web/session",
        "POST",
        b"{}",
        {"Content-Type": "application/json", "Origin": "https://evil.example"},
        new_address(),
    )
    assert reply.status == 403


async def _burst(url: str, source: str, count: int, concurrency: int) -> List[int]:
    statuses: List[int] = []
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            async with gate, session.get(url) as reply:
                await reply.read()
                statuses.append(reply.status)

        await asyncio.gather(*(one() for _ in range(count)))
    return statuses


def test_a_burst_from_one_address_gets_429_while_patients_chat(prod: RunningProfile) -> None:
    """Far over the web zone's limit from one address: nginx answers 429 itself. Another
    patient, from their own address, chats at the same time unhindered. The burst asks for
    the widget's style sheet, which costs Rasa next to nothing."""
    settings = prod.settings
    count = 6 * (settings.web_burst + settings.web_rate_per_s)
    patient = open_chat(prod)
    chatting: List[int] = []

    async def chat() -> None:
        for text in ("hello", "what are the side effects?", "thanks"):
            reply = await asyncio.to_thread(say, prod, patient, text)
            chatting.append(len(reply))

    async def both() -> List[int]:
        statuses, _ = await asyncio.gather(
            _burst(f"{prod.patient_url}/webhooks/web/widget.css", new_address(), count, 32), chat()
        )
        return statuses

    started = time.monotonic()
    statuses = asyncio.run(both())
    elapsed = time.monotonic() - started
    passed, limited = statuses.count(200), statuses.count(429)
    assert passed + limited == count, sorted(set(statuses))
    allowed = settings.web_burst + 1 + settings.web_rate_per_s * (elapsed + 1)
    assert passed <= allowed, (passed, allowed)
    assert limited >= count - allowed
    assert len(chatting) == 3 and all(chatting)  # say() asserts 200 for each message
    error_log = (settings.log_dir / "nginx" / "error.log").read_text()
    assert "limiting requests, excess" in error_log and 'zone "patient_web"' in error_log


def test_staff_sign_in_posts_are_rate_limited(prod: RunningProfile) -> None:
    settings = prod.settings
    source = new_address()
    form = b"username=nobody&password=guess&csrf_token=x"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    started = time.monotonic()
    statuses = [
        request(f"{prod.staff_url}/login", "POST", form, headers, source).status
        for _ in range(settings.login_burst + 10)
    ]
    refilled = (time.monotonic() - started) * settings.login_rate_per_min / 60
    # The first 1 + burst reach the console (which refuses the form), the rest get 429.
    assert 429 not in statuses[: settings.login_burst + 1], statuses
    assert statuses.count(429) >= 9 - int(refilled) - 1, statuses
    # Showing the sign-in form is not limited.
    assert request(f"{prod.staff_url}/login", source=source).status == 200


def test_nginx_logs_are_private(prod: RunningProfile) -> None:
    folder = prod.settings.log_dir / "nginx"
    assert folder.stat().st_mode & 0o777 == 0o700
    files = sorted(folder.iterdir())
    assert {p.name for p in files} >= {"error.log", "access.log"}
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600, path


@pytest.fixture
def nginx_without_upstreams(tmp_path: Path) -> Iterator[ProdSettings]:
    """nginx of the profile alone: every replica and the console are down."""
    subprocess.run([str(ROOT / "scripts" / "ensure_prod_packages.sh")], check=True)
    state = tmp_path / "state"
    settings = ProdSettings(
        state_dir=state,
        patient_port=free_port(),
        staff_port=free_port(),
        rasa_ports=(free_port(),),
        console_port=free_port(),
    )
    nginx = Nginx(state / "nginx", nginx_config(settings), settings.log_dir / "nginx")
    nginx.start(settings.patient_port)
    try:
        yield settings
    finally:
        nginx.stop()
        shutil.rmtree(state, ignore_errors=True)


def test_a_console_error_leaves_no_search_in_nginx_logs(
    nginx_without_upstreams: ProdSettings,
) -> None:
    settings = nginx_without_upstreams
    staff = f"http://127.0.0.1:{settings.staff_port}"
    assert request(f"{staff}/inbox?q=jane+doe").status == 502  # nginx: the console is down
    assert request(f"{staff}/transcript/x?q=jane%20doe&name=jane").status == 502
    folder = settings.log_dir / "nginx"
    access = (folder / "access.log").read_text()
    assert '"GET /inbox" 502' in access  # the failure went through the staff server
    for path in folder.iterdir():
        content = path.read_text()
        assert "jane" not in content.lower(), (path, content[-500:])
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert folder.stat().st_mode & 0o777 == 0o700
