"""The staff console as a real server process, with an admin account and a few conversations,
for the browser tests in test_console.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page

from assistant.console import schema
from assistant.console.database import Database
from assistant.dialogue_names import LANGUAGE_ES
from assistant.ops.processes import NotReady, free_port, wait_for_http
from bench.console_harness import EventWriter
from tests.assistant.console.builders import answered, language_slot, said

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_REPORTS = ROOT / "reports" / "console"
ADMIN = "dana.admin"
ADMIN_PASSWORD = "review console browser test 42"
XSS_TEXT = "<img src=x onerror=alert(1)> is immunotherapy a kind of chemo?"
EMERGENCY_PHONE = "310-555-0187"
EMERGENCY_PHONE_MASKED = "•••-•••-0187"
CALLBACK_PHONE = "+13105550142"
SPANISH_QUESTION = "mi papa tiene fiebre despues de la inmunoterapía, q hago"


@dataclass
class ConsoleServer:
    url: str
    db_path: Path
    process: subprocess.Popen
    log_path: Path
    ids: Dict[str, int]  # conversation id by the sender id the test wrote

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _env(db_url: str, port: int) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        CONSOLE_DB_URL=db_url,
        CONSOLE_HOST="127.0.0.1",
        CONSOLE_PORT=str(port),
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    return env


def _console(env: Dict[str, str], *args: str, stdin: str = "") -> str:
    """Run ``python -m assistant.console ARGS`` and return its output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "assistant.console", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


def write_conversations(db_url: str, start: float) -> None:
    """Six short conversations a reviewer would meet: a callback with a phone number, an
    emergency (which also gives a phone number), a fallback, an XSS attempt, a plain one and
    a caregiver's in Spanish."""
    db = Database.connect(db_url)
    try:
        w = EventWriter(db, start)
        w.session("web-callback-1", "web")
        w.user("web-callback-1", "can someone call me back about my infusion?", "request_callback")
        w.user("web-callback-1", "my number is 310-555-0142", "inform", 0.91)
        w.callback("web-callback-1", "Alex Rivera", CALLBACK_PHONE, "weekday mornings")
        w.bot(
            "web-callback-1",
            "Thank you, Alex Rivera. Our support team will call you.",
            "callback.confirmed",
            callback=True,
        )

        w.session("sms-emergency-1", "sms")
        w.user(
            "sms-emergency-1",
            "my throat is closing up after my infusion",
            "emergency",
            0.99,
            [{"entity": "emergency", "value": "medical"}],
            channel="sms",
        )
        w.bot(
            "sms-emergency-1",
            "If this is an emergency, call 911 now.",
            "safety.emergency",
            emergency=True,
        )
        w.user(
            "sms-emergency-1",
            f"ok my daughter is driving me, her number is {EMERGENCY_PHONE}",
            "inform",
            0.88,
            channel="sms",
        )

        w.session("web-fallback-1", "web")
        w.user("web-fallback-1", "can i bring my dog to the infusion", "nlu_fallback", 0.21)
        w.bot(
            "web-fallback-1",
            "Sorry, I did not understand that.",
            "conversation.fallback",
            fallback=True,
        )

        w.session("web-xss-1", "web")
        w.user("web-xss-1", XSS_TEXT, "ask_immunotherapy", 0.83)
        w.action("web-xss-1", "action_answer")
        w.bot(
            "web-xss-1",
            "Immunotherapy uses the body's own immune system to fight cancer.",
            "immunotherapy.overview",
        )

        w.session("web-hours-1", "web")
        w.user("web-hours-1", "when is the infusion center open", "ask_infusion_hours")
        w.action("web-hours-1", "action_answer")
        w.bot("web-hours-1", "The infusion center is open 24 hours a day.", "infusion_center.hours")

        w.session("web-es-1", "web")
        said(w, "web-es-1", SPANISH_QUESTION, "symptom_report", LANGUAGE_ES, 0.93)
        language_slot(w, "web-es-1", LANGUAGE_ES)
        answered(w, "web-es-1", "Llame a su equipo de atención ahora.", "triage.fever", LANGUAGE_ES)
        said(w, "web-es-1", "sí", "affirm", None, 0.41)
    finally:
        db.close()


def _wait_for_health(url: str, process: subprocess.Popen, log_path: Path) -> None:
    try:
        wait_for_http(f"{url}/health", 60, process, what="the console", log=log_path)
    except NotReady as error:
        pytest.fail(str(error))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _conversation_ids(db_url: str) -> Dict[str, int]:
    engine = sa.create_engine(db_url, future=True)
    try:
        table = schema.conversations
        with engine.begin() as connection:
            rows = connection.execute(sa.select(table.c.sender_id, table.c.id)).all()
        return {sender: int(conversation_id) for sender, conversation_id in rows}
    finally:
        engine.dispose()


@contextmanager
def serving_console(
    db_url: str, folder: Path, user: str, role: str, password: str
) -> Iterator[Tuple[str, subprocess.Popen, Path]]:
    """``python -m assistant.console serve`` on a free port over ``db_url``, with one account
    (it indexes what the database holds before it listens); yields its URL, process and log."""
    port = free_port()
    env = _env(db_url, port)
    _console(env, "users", "add", user, "--role", role, stdin=password + "\n")
    log_path = folder / "console.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.console", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process, log_path)
        yield url, process, log_path
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """The console on a fresh SQLite file holding ``write_conversations``' conversations."""
    folder = tmp_path_factory.mktemp("console")
    db_path = folder / "tracker.db"
    db_url = f"sqlite:///{db_path}"
    write_conversations(db_url, time.time() - 3 * 3600)
    with serving_console(db_url, folder, ADMIN, "admin", ADMIN_PASSWORD) as (url, process, log):
        ids = _conversation_ids(db_url)  # indexed before the server started listening
        assert len(ids) == 6, ids
        yield ConsoleServer(url, db_path, process, log, ids)


@pytest.fixture
def console_page(browser: Browser, console_server: ConsoleServer) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the console; nothing is opened yet."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=console_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page: Page, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/inbox")
