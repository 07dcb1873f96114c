"""Logging in and out: who gets in, the session cookie, CSRF, throttling and idle logoff."""

from __future__ import annotations

import hashlib
import io
import sys
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from assistant.console import cli, schema
from assistant.console.accounts import AccountError, add_user, set_password
from assistant.console.login_throttle import IP_FAILURE_FACTOR
from assistant.proxies import parse_trusted_proxies
from bench.console_harness import (
    PASSWORD,
    Console,
    ConsoleClient,
    EventWriter,
    ManualClock,
    running_console,
)

SESSION_COOKIE = "console_session"
WRONG = "not the right password at all"
NEW_PASSWORD = "a brand new passphrase"
# The httpx ASGI transport's client address: the peer of every test request.
TEST_PEER = "127.0.0.1"
PEER_IS_PROXY = parse_trusted_proxies(TEST_PEER)
PAGES = (
    "/inbox",
    "/",
    "/conversations/1",
    "/callbacks",
    "/dashboard",
    "/corrections",
    "/corrections/nlu.yml",
    "/admin/users",
    "/admin/audit",
    "/admin/retention",
    "/export.csv",
    "/export.json",
    "/nope",
)
FORM_POSTS: Tuple[Tuple[str, Dict[str, str]], ...] = (
    ("/logout", {}),
    ("/conversations/1/tags", {"tag": "sneaky"}),
    ("/conversations/1/tags/remove", {"tag": "sneaky"}),
    ("/conversations/1/notes", {"body": "a note"}),
    ("/conversations/1/reviewed", {"reviewed": "yes"}),
    ("/conversations/1/reveal", {"event_id": "1"}),
    ("/conversations/1/correct", {"event_id": "1", "intent": "greet"}),
    ("/callbacks/1/status", {"status": "no_answer"}),
    ("/callbacks/1/claim", {}),
    ("/callbacks/1/release", {}),
    ("/callbacks/1/reveal", {}),
    ("/admin/users", {"username": "mallory", "role": "admin", "password": PASSWORD}),
    ("/admin/users/mallory", {"change": "admin"}),
    ("/admin/retention", {"confirm": "purge"}),
)


# -- helpers ------------------------------------------------------------------------------


def login_redirect(path: str) -> str:
    return f"/login?next={quote(path, safe='')}"


def set_cookie(reply: httpx.Response, name: str) -> Optional[str]:
    """The Set-Cookie header for ``name`` in ``reply``, if there is one."""
    for header in reply.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    return None


def cookie_attributes(header: str) -> List[str]:
    """The attributes of a Set-Cookie header, lower-cased: ["path=/", "httponly", ...]."""
    return [part.strip().lower() for part in header.split(";")[1:] if part.strip()]


def one_conversation(console: Console, events: EventWriter, sender: str = "patient-1") -> None:
    events.session(sender)
    events.user(sender, "What is immunotherapy?", "ask_immunotherapy")
    events.bot(sender, "Immunotherapy helps your immune system.", "immunotherapy.what")
    console.index()


def count(console: Console, table: sa.Table, *where: sa.sql.ColumnElement) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(*where)
    return int(console.db.call(lambda connection: connection.execute(query).scalar()))


def session_rows(console: Console) -> List[sa.engine.Row]:
    query = sa.select(schema.sessions)
    return console.db.call(lambda connection: list(connection.execute(query)))


def actors(console: Console, action: str) -> List[str]:
    return [row.actor for row in console.audit_rows(action)]


async def login_with(
    client: ConsoleClient, form: Dict[str, str], query: str = ""
) -> httpx.Response:
    """Post the login form (after loading it, for its CSRF token) with extra fields."""
    await client.get(f"/login{query}")
    return await client.post("/login", form)


async def login_sending_secure_cookie(
    client: ConsoleClient, headers: Optional[Dict[str, str]] = None
) -> httpx.Response:
    """Log in as rita when the login form's CSRF cookie is Secure. httpx, like a browser,
    does not send a Secure cookie over http (the test transport), so it is sent by hand."""
    page = await client.get("/login", headers=headers)
    login_cookie = set_cookie(page, "console_login_csrf")
    assert login_cookie is not None and "secure" in cookie_attributes(login_cookie)
    return await client.post(
        "/login",
        {"username": "rita", "password": PASSWORD},
        headers={**(headers or {}), "Cookie": login_cookie.split(";")[0]},
    )


def with_cookie(console: Console, token: str) -> ConsoleClient:
    """A new browser that presents an old session cookie."""
    client = console.client()
    client.http.cookies.set(SESSION_COOKIE, token)
    return client


# -- who needs to log in ------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_redirects_to_login_without_a_session(console: Console, path: str) -> None:
    reply = await console.client().get(path)
    assert reply.status_code == 302
    assert reply.headers["location"] == login_redirect(path)


async def test_the_query_string_is_kept_in_next(console: Console) -> None:
    reply = await console.client().get("/inbox?channel=sms&page=2")
    assert reply.status_code == 302
    assert reply.headers["location"] == login_redirect("/inbox?channel=sms&page=2")


@pytest.mark.parametrize(("path", "form"), FORM_POSTS)
async def test_every_form_post_redirects_to_login_without_a_session(
    console: Console, events: EventWriter, path: str, form: Dict[str, str]
) -> None:
    one_conversation(console, events)
    reply = await console.client().post(path, form, csrf=False)
    assert reply.status_code == 302
    assert reply.headers["location"] == login_redirect(path)
    assert count(console, schema.tags) == 0
    assert count(console, schema.notes) == 0
    assert count(console, schema.users) == 0
    assert count(console, schema.conversations, schema.conversations.c.reviewed.is_(True)) == 0


async def test_login_and_health_need_no_session(console: Console) -> None:
    client = console.client()
    page = await client.get("/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}


async def test_a_made_up_cookie_is_no_session_and_is_cleared(console: Console) -> None:
    reply = await with_cookie(console, "x" * 43).get("/inbox")
    assert reply.status_code == 302
    assert reply.headers["location"].startswith(login_redirect("/inbox"))
    cleared = set_cookie(reply, SESSION_COOKIE)
    assert cleared is not None and "max-age=0" in cookie_attributes(cleared)


# -- logging in ---------------------------------------------------------------------------


async def test_wrong_password_is_401_without_a_session(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    reply = await client.login("rita", WRONG)
    assert reply.status_code == 401
    assert "Wrong user name or password." in reply.text
    assert set_cookie(reply, SESSION_COOKIE) is None
    assert SESSION_COOKIE not in client.http.cookies
    assert session_rows(console) == []
    assert (await client.get("/inbox")).status_code == 302


async def test_unknown_user_is_refused_like_a_wrong_password(console: Console) -> None:
    reply = await console.client().login("nobody", PASSWORD)
    assert reply.status_code == 401
    assert "Wrong user name or password." in reply.text
    assert set_cookie(reply, SESSION_COOKIE) is None


async def test_disabled_user_cannot_log_in(console: Console) -> None:
    console.add_user("rita")
    console.db.call(
        lambda connection: connection.execute(
            schema.users.update().where(schema.users.c.username == "rita").values(active=False)
        )
    )
    reply = await console.client().login("rita")
    assert reply.status_code == 401
    assert session_rows(console) == []


async def test_right_password_sets_a_strict_httponly_cookie(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    reply = await client.login("rita")
    assert reply.status_code == 302
    assert reply.headers["location"] == "/inbox"
    header = set_cookie(reply, SESSION_COOKIE)
    assert header is not None
    attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # plain http, no proxy
    inbox = await client.get("/inbox")
    assert inbox.status_code == 200
    assert "rita" in inbox.text


async def test_login_page_redirects_a_logged_in_user(console: Console) -> None:
    client = await console.logged_in("rita")
    reply = await client.get("/login")
    assert reply.status_code == 302
    assert reply.headers["location"] == "/inbox"


async def test_cookie_is_secure_when_configured_always(db_url: str, clock: ManualClock) -> None:
    async with running_console(db_url, clock, cookie_secure="always") as console:
        console.add_user("rita")
        reply = await login_sending_secure_cookie(console.client())
        assert reply.status_code == 302
        header = set_cookie(reply, SESSION_COOKIE)
        assert header is not None
        assert "secure" in cookie_attributes(header)
        assert reply.headers.get("strict-transport-security") == "max-age=31536000"


async def test_cookie_is_secure_over_https(console: Console) -> None:
    console.add_user("rita")
    reply = await console.client("https://console.test").login("rita")
    assert reply.status_code == 302
    header = set_cookie(reply, SESSION_COOKIE)
    assert header is not None
    assert "secure" in cookie_attributes(header)


async def test_cookie_is_secure_behind_a_trusted_https_proxy(
    db_url: str, clock: ManualClock
) -> None:
    proxy = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    async with running_console(db_url, clock, trusted_proxies=PEER_IS_PROXY) as console:
        console.add_user("rita")
        reply = await login_sending_secure_cookie(console.client(), proxy)
        assert reply.status_code == 302
        header = set_cookie(reply, SESSION_COOKIE)
        assert header is not None
        assert "secure" in cookie_attributes(header)
        assert [row.ip for row in console.audit_rows("login")] == ["203.0.113.7"]


async def test_forwarded_proto_is_ignored_without_a_trusted_proxy(console: Console) -> None:
    proxy = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    console.add_user("rita")
    client = console.client()
    await client.get("/login", headers=proxy)
    reply = await client.post("/login", {"username": "rita", "password": PASSWORD}, headers=proxy)
    assert reply.status_code == 302
    header = set_cookie(reply, SESSION_COOKIE)
    assert header is not None
    assert "secure" not in cookie_attributes(header)
    assert [row.ip for row in console.audit_rows("login")] != ["203.0.113.7"]


# -- the login form's own CSRF token ------------------------------------------------------


async def test_login_without_its_csrf_token_is_403(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    await client.get("/login")
    reply = await client.post("/login", {"username": "rita", "password": PASSWORD}, csrf=False)
    assert reply.status_code == 403
    assert set_cookie(reply, SESSION_COOKIE) is None
    assert session_rows(console) == []


async def test_login_with_a_wrong_csrf_token_is_403(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    await client.get("/login")
    form = {"username": "rita", "password": PASSWORD, "csrf_token": "forged-token"}
    reply = await client.post("/login", form)
    assert reply.status_code == 403
    assert set_cookie(reply, SESSION_COOKIE) is None
    assert session_rows(console) == []


async def test_login_csrf_token_from_another_browser_is_403(console: Console) -> None:
    console.add_user("rita")
    victim, attacker = console.client(), console.client()
    await attacker.get("/login")
    await victim.get("/login")  # the victim has a login cookie of their own
    form = {"username": "rita", "password": PASSWORD, "csrf_token": attacker.csrf}
    reply = await victim.post("/login", form)
    assert reply.status_code == 403
    assert session_rows(console) == []


async def test_login_csrf_token_without_its_cookie_is_403(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    await client.get("/login")
    client.http.cookies.clear()
    reply = await client.post("/login", {"username": "rita", "password": PASSWORD})
    assert reply.status_code == 403
    assert session_rows(console) == []


# -- throttling ---------------------------------------------------------------------------


async def test_too_many_failures_for_a_user_are_throttled(
    console: Console, clock: ManualClock
) -> None:
    settings = console.app.ctx.settings
    assert settings.login_max_failures == 5
    console.add_user("rita")
    client = console.client()
    for _ in range(settings.login_max_failures):
        assert (await client.login("rita", WRONG)).status_code == 401
    refused = await client.login("rita", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.text
    assert set_cookie(refused, SESSION_COOKIE) is None
    assert actors(console, "login_throttled") == ["rita"]
    assert actors(console, "login") == []

    clock.advance(settings.login_window_s + 1)
    assert (await client.login("rita", PASSWORD)).status_code == 302
    assert actors(console, "login") == ["rita"]


async def test_fewer_failures_than_the_limit_do_not_throttle(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    for _ in range(console.app.ctx.settings.login_max_failures - 1):
        assert (await client.login("rita", WRONG)).status_code == 401
    assert (await client.login("rita", PASSWORD)).status_code == 302
    assert actors(console, "login_throttled") == []


async def test_throttling_one_user_does_not_lock_out_another(console: Console) -> None:
    console.add_user("rita")
    console.add_user("sam")
    client = console.client()
    for _ in range(console.app.ctx.settings.login_max_failures):
        await client.login("rita", WRONG)
    assert (await client.login("rita", PASSWORD)).status_code == 429
    assert (await console.client().login("sam", PASSWORD)).status_code == 302


async def test_failures_from_one_address_across_names_are_throttled(
    db_url: str, clock: ManualClock
) -> None:
    noisy = {"X-Forwarded-For": "203.0.113.7"}
    quiet = {"X-Forwarded-For": "198.51.100.9"}
    async with running_console(
        db_url, clock, trusted_proxies=PEER_IS_PROXY, login_max_failures=2
    ) as console:
        limit = console.app.ctx.settings.login_max_failures * IP_FAILURE_FACTOR
        console.add_user("rita")
        client = console.client()
        for number in range(limit):  # one failure per name: no name reaches its own limit
            form = {"username": f"guess{number}", "password": WRONG}
            await client.get("/login", headers=noisy)
            assert (await client.post("/login", form, headers=noisy)).status_code == 401
        good = {"username": "rita", "password": PASSWORD}
        await client.get("/login", headers=noisy)
        refused = await client.post("/login", good, headers=noisy)
        assert refused.status_code == 429
        throttled = console.audit_rows("login_throttled")
        assert [(row.actor, row.ip) for row in throttled] == [("rita", "203.0.113.7")]

        other = console.client()
        await other.get("/login", headers=quiet)
        assert (await other.post("/login", good, headers=quiet)).status_code == 302

        clock.advance(console.app.ctx.settings.login_window_s + 1)
        await client.get("/login", headers=noisy)
        assert (await client.post("/login", good, headers=noisy)).status_code == 302


async def test_spoofed_forwarded_for_does_not_dodge_the_address_limit(
    db_url: str, clock: ManualClock
) -> None:
    """Without a trusted proxy, X-Forwarded-For is the client's word and is ignored."""
    async with running_console(db_url, clock, login_max_failures=2) as console:
        await _spoof_forwarded_for(console)


async def _spoof_forwarded_for(console: Console) -> None:
    limit = console.app.ctx.settings.login_max_failures * IP_FAILURE_FACTOR
    console.add_user("rita")
    client = console.client()
    for number in range(limit):
        spoof = {"X-Forwarded-For": f"192.0.2.{number + 1}"}
        await client.get("/login", headers=spoof)
        form = {"username": f"guess{number}", "password": WRONG}
        assert (await client.post("/login", form, headers=spoof)).status_code == 401
    spoof = {"X-Forwarded-For": "192.0.2.200"}
    await client.get("/login", headers=spoof)
    reply = await client.post("/login", {"username": "rita", "password": PASSWORD}, headers=spoof)
    assert reply.status_code == 429


# -- CSRF on every form -------------------------------------------------------------------


async def test_form_post_without_csrf_token_is_403_and_changes_nothing(
    console: Console, events: EventWriter
) -> None:
    one_conversation(console, events)
    client = await console.logged_in("rita")
    tag = await client.post("/conversations/1/tags", {"tag": "sneaky"}, csrf=False)
    assert tag.status_code == 403
    assert count(console, schema.tags) == 0
    reviewed = await client.post("/conversations/1/reviewed", {"reviewed": "yes"}, csrf=False)
    assert reviewed.status_code == 403
    assert count(console, schema.conversations, schema.conversations.c.reviewed.is_(True)) == 0
    note = await client.post("/conversations/1/notes", {"body": "hello"}, csrf=False)
    assert note.status_code == 403
    assert count(console, schema.notes) == 0
    logout = await client.post("/logout", csrf=False)
    assert logout.status_code == 403
    assert len(session_rows(console)) == 1
    assert (await client.get("/inbox")).status_code == 200
    assert actors(console, "tag") == actors(console, "reviewed") == actors(console, "logout") == []


async def test_form_post_with_an_empty_or_wrong_token_is_403(
    console: Console, events: EventWriter
) -> None:
    one_conversation(console, events)
    client = await console.logged_in("rita")
    for token in ("", "x" * 43, client.csrf + "x"):
        form = {"tag": "sneaky", "csrf_token": token}
        assert (await client.post("/conversations/1/tags", form)).status_code == 403
    assert count(console, schema.tags) == 0


async def test_form_post_with_another_sessions_token_is_403(
    console: Console, events: EventWriter
) -> None:
    one_conversation(console, events)
    rita = await console.logged_in("rita")
    sam = await console.logged_in("sam")
    assert rita.csrf and sam.csrf and rita.csrf != sam.csrf
    stolen = {"csrf_token": sam.csrf}
    assert (await rita.post("/conversations/1/tags", {"tag": "x", **stolen})).status_code == 403
    assert count(console, schema.tags) == 0
    reviewed = await rita.post("/conversations/1/reviewed", {"reviewed": "yes", **stolen})
    assert reviewed.status_code == 403
    assert count(console, schema.conversations, schema.conversations.c.reviewed.is_(True)) == 0
    assert (await rita.post("/logout", stolen)).status_code == 403
    assert (await rita.get("/inbox")).status_code == 200
    assert (await sam.get("/inbox")).status_code == 200
    # and with its own token the same form works
    assert (await rita.post("/conversations/1/tags", {"tag": "x"})).status_code == 302
    assert count(console, schema.tags) == 1


async def test_csrf_token_is_in_every_form_of_a_page(console: Console, events: EventWriter) -> None:
    one_conversation(console, events)
    client = await console.logged_in("rita")
    page = await client.get("/conversations/1")
    forms = page.text.count('method="post"')
    assert forms >= 4
    assert page.text.count(f'name="csrf_token" value="{client.csrf}"') == forms


# -- idle logoff and logout ---------------------------------------------------------------


async def test_idle_session_ends_after_the_timeout(console: Console, clock: ManualClock) -> None:
    assert console.app.ctx.settings.idle_timeout_s == 900
    client = await console.logged_in("rita")
    clock.advance(901)
    reply = await client.get("/inbox")
    assert reply.status_code == 302
    assert reply.headers["location"] == login_redirect("/inbox") + "&expired=1"
    assert session_rows(console) == []
    # the login page says why
    page = await client.get(reply.headers["location"])
    assert page.status_code == 200
    assert "after a period without activity" in page.text


async def test_activity_keeps_the_session_alive(console: Console, clock: ManualClock) -> None:
    client = await console.logged_in("rita")
    for _ in range(3):
        clock.advance(800)
        assert (await client.get("/inbox")).status_code == 200
    clock.advance(901)
    assert (await client.get("/inbox")).status_code == 302


async def test_logout_ends_the_session_on_the_server(console: Console) -> None:
    client = await console.logged_in("rita")
    token = client.http.cookies.get(SESSION_COOKIE)
    assert token
    reply = await client.post("/logout")
    assert reply.status_code == 302
    assert reply.headers["location"] == "/login"
    cleared = set_cookie(reply, SESSION_COOKIE)
    assert cleared is not None and "max-age=0" in cookie_attributes(cleared)
    assert session_rows(console) == []
    replay = await with_cookie(console, token).get("/inbox")
    assert replay.status_code == 302
    assert replay.headers["location"].startswith("/login?")


async def test_logout_ends_only_that_session(console: Console) -> None:
    rita = await console.logged_in("rita")
    other = console.client()
    assert (await other.login("rita")).status_code == 302
    assert (await rita.post("/logout")).status_code == 302
    assert (await other.get("/inbox")).status_code == 200


async def test_session_table_keeps_only_a_hash_of_the_cookie(console: Console) -> None:
    client = await console.logged_in("rita")
    token = client.http.cookies.get(SESSION_COOKIE)
    assert token and len(token) >= 40
    rows = session_rows(console)
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    for value in rows[0]:
        assert token not in str(value)


async def test_disabling_a_user_ends_their_live_session(console: Console) -> None:
    rita = await console.logged_in("rita")
    admin = await console.logged_in("boss", "admin")
    assert (await rita.get("/inbox")).status_code == 200
    reply = await admin.post("/admin/users/rita", {"change": "disable"})
    assert reply.status_code == 302
    users = schema.users.c
    assert count(console, schema.users, users.username == "rita", users.active.is_(False)) == 1
    kicked = await rita.get("/inbox")
    assert kicked.status_code == 302
    assert kicked.headers["location"].startswith("/login?")
    assert len(session_rows(console)) == 1  # only the admin's
    assert (await rita.login("rita")).status_code == 401


# -- passwords ----------------------------------------------------------------------------


async def test_passwords_are_stored_as_argon2id_hashes(console: Console) -> None:
    console.add_user("rita")
    await (await console.logged_in("boss", "admin")).post(
        "/admin/users", {"username": "sam", "role": "reviewer", "password": "a long new password"}
    )
    query = sa.select(schema.users.c.username, schema.users.c.password_hash)
    rows = dict(console.db.call(lambda connection: connection.execute(query).all()))
    assert set(rows) == {"rita", "boss", "sam"}
    for hashed in rows.values():
        assert hashed.startswith("$argon2id$")
        assert PASSWORD not in hashed
        assert "a long new password" not in hashed
    assert rows["rita"] != rows["boss"]  # salted


async def test_short_passwords_are_refused(console: Console) -> None:
    with pytest.raises(AccountError, match="at least 12 characters"):
        console.db.call(add_user, "rita", "reviewer", "elevenchars")
    console.db.call(add_user, "rita", "reviewer", "twelve chars")
    assert count(console, schema.users) == 1


async def test_short_password_is_refused_on_the_admin_page(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    reply = await admin.post(
        "/admin/users", {"username": "sam", "role": "reviewer", "password": "short pass"}
    )
    assert reply.status_code == 400
    assert "at least 12 characters" in reply.text
    assert count(console, schema.users, schema.users.c.username == "sam") == 0


async def _sessions_of_rita_end_but_not_sams(
    console: Console, rita: List[ConsoleClient], sam: ConsoleClient
) -> None:
    for client in rita:
        reply = await client.get("/inbox")
        assert reply.status_code == 302
        assert reply.headers["location"].startswith("/login?")
    assert (await sam.get("/inbox")).status_code == 200
    users = schema.users.c
    sams_id = schema.sessions.c.user_id.in_(sa.select(users.id).where(users.username == "sam"))
    assert count(console, schema.sessions) == count(console, schema.sessions, sams_id) == 1
    assert (await console.client().login("rita")).status_code == 401  # the old password
    assert (await console.client().login("rita", NEW_PASSWORD)).status_code == 302


async def test_changing_a_password_ends_every_session_of_that_user(console: Console) -> None:
    rita = await console.logged_in("rita")
    rita_elsewhere = console.client()
    assert (await rita_elsewhere.login("rita")).status_code == 302
    sam = await console.logged_in("sam")
    known = schema.known_addresses
    assert count(console, known, known.c.username == "rita") == 1

    console.db.call(set_password, "rita", NEW_PASSWORD)

    assert count(console, known, known.c.username == "rita") == 0  # known again once used
    await _sessions_of_rita_end_but_not_sams(console, [rita, rita_elsewhere], sam)


async def test_a_password_changed_with_the_cli_ends_that_users_sessions(
    console: Console, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rita = await console.logged_in("rita")
    sam = await console.logged_in("sam")
    monkeypatch.setenv("CONSOLE_DB_URL", db_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))

    assert cli.main(["users", "password", "rita"]) == 0

    changes = console.audit_rows("user_change")
    assert [(row.target, row.detail) for row in changes] == [("rita", "password")]
    assert changes[0].actor.startswith("cli")
    await _sessions_of_rita_end_but_not_sams(console, [rita], sam)


# -- where login sends you ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example", ""],
)
async def test_login_never_redirects_off_site(console: Console, target: str) -> None:
    console.add_user("rita")
    client = console.client()
    form = {"username": "rita", "password": PASSWORD, "next": target}
    reply = await login_with(client, form, f"?next={quote(target, safe='')}")
    assert reply.status_code == 302
    assert reply.headers["location"] == "/inbox"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r\n/evil.example"])
async def test_control_characters_in_next_cannot_make_an_off_site_redirect(
    console: Console, target: str
) -> None:
    # Browsers drop raw tabs and newlines from a URL, so "/<TAB>/evil" would become "//evil".
    console.add_user("rita")
    form = {"username": "rita", "password": PASSWORD, "next": target}
    reply = await login_with(console.client(), form)
    assert reply.status_code == 302
    location = reply.headers["location"]
    assert not any(character in location for character in "\t\r\n")
    assert location.startswith("/") and not location.startswith("//")


async def test_login_form_does_not_carry_an_off_site_next(console: Console) -> None:
    page = await console.client().get("/login?next=" + quote("//evil.example", safe=""))
    assert 'name="next" value="/inbox"' in page.text
    assert "evil.example" not in page.text


async def test_login_returns_to_the_page_asked_for(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    asked = await client.get("/conversations/1?x=1")
    assert asked.headers["location"] == login_redirect("/conversations/1?x=1")
    page = await client.get(asked.headers["location"])
    assert 'name="next" value="/conversations/1?x=1"' in page.text
    reply = await client.post(
        "/login", {"username": "rita", "password": PASSWORD, "next": "/conversations/1?x=1"}
    )
    assert reply.status_code == 302
    assert reply.headers["location"] == "/conversations/1?x=1"
