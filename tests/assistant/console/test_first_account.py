"""The login page says how to create the first account while there is none, and nothing of
the kind once one exists (active or not)."""

from __future__ import annotations

import pytest

from assistant.console.accounts import set_active
from bench.console_harness import Console

pytestmark = pytest.mark.quick_startup
HINT = "make console-user NAME=alice ROLE=admin"


async def test_without_accounts_the_login_page_says_how_to_make_the_first(
    console: Console,
) -> None:
    page = await console.client().get("/login")
    assert page.status_code == 200
    assert HINT in page.text and "No staff account exists yet" in page.text


async def test_a_failed_login_without_accounts_repeats_the_hint(console: Console) -> None:
    client = console.client()
    await client.get("/login")
    reply = await client.post("/login", {"username": "alice", "password": "x" * 20})
    assert reply.status_code == 401 and HINT in reply.text


async def test_with_an_account_the_login_page_says_nothing_of_it(console: Console) -> None:
    console.add_user("rita", "admin")
    client = console.client()
    page = await client.get("/login")
    assert page.status_code == 200
    assert HINT not in page.text and "No staff account" not in page.text
    await client.get("/login")
    wrong = await client.post("/login", {"username": "nobody", "password": "x" * 20})
    assert wrong.status_code == 401 and HINT not in wrong.text


async def test_a_disabled_account_still_counts(console: Console) -> None:
    console.add_user("rita", "admin")
    console.add_user("sam", "admin")
    console.db.call(set_active, "sam", False)
    page = await console.client().get("/login")
    assert HINT not in page.text
