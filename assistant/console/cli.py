"""``python -m assistant.console``: serve the console, manage accounts, purge, index.

    python -m assistant.console serve
    python -m assistant.console users add NAME --role reviewer|admin   (password prompted)
    python -m assistant.console users list | disable NAME | enable NAME
    python -m assistant.console users role NAME ROLE | password NAME
    python -m assistant.console purge [--days N]
    python -m assistant.console sample-data --conversations N   (synthetic, for trying it out)
    python -m assistant.console db upgrade | current | revision -m "what changed"

The schema is migrated (Alembic): on SQLite every command and the server do it when they
connect; on PostgreSQL the schema owner does, with the grants the roles need
(python -m assistant.ops.db_roles setup). ``db revision`` writes the next revision after a
change to schema.py (docs/console.md).

Passwords are never arguments: they are prompted on a terminal, or read from the first line
of standard input when it is not a terminal (for provisioning scripts).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import time
from typing import List, Optional, Sequence

from assistant.console import audit
from assistant.console.accounts import (
    ROLES,
    AccountError,
    add_user,
    list_users,
    set_active,
    set_password,
    set_role,
)
from assistant.console.database import Database
from assistant.console.indexer import IndexingFailed
from assistant.console.settings import ConsoleSettings
from assistant.console.sql_logging import keep_rows_out_of_logs


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def read_password(prompt: str = "Password: ") -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.console",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the console (CONSOLE_HOST, CONSOLE_PORT)")
    users = commands.add_parser("users", help="manage staff accounts")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    add = user_commands.add_parser("add", help="add an account (password prompted)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    user_commands.add_parser("list", help="list accounts")
    for name in ("disable", "enable", "password"):
        sub = user_commands.add_parser(name, help=f"{name} an account")
        sub.add_argument("name")
    role = user_commands.add_parser("role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    purge = commands.add_parser("purge", help="delete conversations older than the retention")
    purge.add_argument(
        "--days", type=int, default=None, help="default: CONSOLE_RETENTION_DAYS (90)"
    )
    commands.add_parser("index", help="bring the conversation index up to date now")
    sample = commands.add_parser("sample-data", help="add synthetic conversations (for trying out)")
    sample.add_argument("--conversations", type=int, default=500)
    sample.add_argument("--days", type=int, default=30)
    db = commands.add_parser("db", help="schema migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate CONSOLE_DB_URL to the newest")
    upgrade.add_argument("revision", nargs="?", default="head")
    db_commands.add_parser("current", help="the database's revision and the newest")
    revision = db_commands.add_parser(
        "revision", help="write the next revision from the changes to schema.py"
    )
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument(
        "--empty", action="store_true", help="no operations: write them by hand (data, triggers)"
    )
    revision.add_argument(
        "--url", help="compare with this database (at the newest revision), not a scratch SQLite"
    )
    return parser


def _db(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    from assistant.console import migrations
    from assistant.console.database import make_engine

    if args.db_command == "revision":
        path = migrations.new_revision(args.message, autogenerate=not args.empty, url=args.url)
        print(f"Wrote {path}: review it, then run the tests (tests/assistant/console).")
        return 0
    engine = make_engine(settings.db_url)
    try:
        if args.db_command == "upgrade":
            migrations.upgrade(engine, args.revision)
        with engine.connect() as connection:
            at = migrations.current(connection)
    finally:
        engine.dispose()
    newest = migrations.head()
    print(f"Revision {at or 'none'} (newest: {newest}).")
    return 0


def _users(db: Database, args: argparse.Namespace) -> int:
    command = args.users_command
    actor = _actor()
    if command == "list":
        for row in db.call(list_users):
            state = "active" if row.active else "disabled"
            print(f"{row.username:24} {row.role:9} {state}")
        return 0
    if command == "add":
        user = db.call(add_user, args.name, args.role, read_password())
        db.call(audit.record, actor, "user_add", user.username, f"role={user.role}")
        print(f"Added {user.username} ({user.role}).")
        return 0
    if command == "password":
        # Ends the user's sessions too (accounts.set_password).
        user = db.call(set_password, args.name, read_password("New password: "))
        change = "password"
    elif command == "role":
        user = db.call(set_role, args.name, args.role)
        change = args.role
    else:
        user = db.call(set_active, args.name, command == "enable")
        change = command
    db.call(audit.record, actor, "user_change", user.username, change)
    print(f"{user.username}: {change} done.")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    settings = ConsoleSettings.from_env(os.environ)
    command = args.command or "serve"
    if command != "serve":  # Sanic sets up its own logging
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        keep_rows_out_of_logs()
    if command == "serve":
        from assistant.console.serve import serve

        serve(settings)
        return 0
    if command == "db":  # before Database.connect, which migrates (or checks) the schema
        return _db(settings, args)
    db = Database.connect(settings.db_url)
    try:
        if command == "users":
            return _users(db, args)
        if command == "purge":
            return _purge(db, settings, args.days)
        if command == "index":
            return _index(db, settings)
        if command == "sample-data":
            from assistant.console.sample_corpus import write_sample_corpus

            count = write_sample_corpus(
                db.engine, args.conversations, days=args.days, progress=True
            )
            print(
                f"Added {count} synthetic conversations; the console indexes them within seconds."
            )
            return 0
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except IndexingFailed as error:  # says where and the error's type, never its text
        print(f"error: indexing failed: {error}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 2


def _purge(db: Database, settings: ConsoleSettings, days: Optional[int]) -> int:
    from assistant.console.retention import purge_older_than

    keep = days if days is not None else settings.retention_days
    result = purge_older_than(
        db.engine, keep, time.time(), progress=lambda n: print(f"  purged {n} conversations...")
    )
    db.call(
        audit.record,
        _actor(),
        "purge",
        f"older than {keep} days",
        f"{result.conversations} conversations, {result.events} events",
    )
    print(
        f"Purged {result.conversations} conversations ({result.events} events), {keep}+ days old."
    )
    return 0


def _index(db: Database, settings: ConsoleSettings) -> int:
    from zoneinfo import ZoneInfo

    from assistant.console.alerts.service import Alerts
    from assistant.console.alerts.settings import AlertSettings
    from assistant.console.app import public_numbers
    from assistant.console.indexer import Indexer
    from assistant.console.masking import Masker

    # Alerts for what this indexes go to the outbox; the running console delivers them.
    zone = ZoneInfo(settings.timezone)
    alert_settings = AlertSettings.from_env(os.environ, settings.host, settings.port)
    alerts = Alerts.make(alert_settings, db, zone, settings.knowledge_dir)
    indexer = Indexer(zone, Masker.allowing(public_numbers()), alerts=alerts.planner)
    print(f"Indexed {indexer.catch_up(db.engine)} new events.")
    return 0


def run(argv: Optional[List[str]] = None) -> None:
    sys.exit(main(argv))
