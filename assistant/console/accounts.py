"""Staff accounts: argon2id password hashes, two roles, and the account queries."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.login_throttle import forget_known_addresses

ROLES = ("reviewer", "admin")
MIN_PASSWORD_CHARS = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()  # argon2id with argon2-cffi's current defaults
# Verified against when the user does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


class AccountError(ValueError):
    """A request about accounts that cannot be done (the message says why)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    active: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise AccountError(
            "a user name is 2-64 characters: lower-case letters, digits, dot, dash, underscore"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def _user(row: sa.engine.Row) -> User:
    return User(id=row.id, username=row.username, role=row.role, active=bool(row.active))


def add_user(connection: Connection, username: str, role: str, password: str) -> User:
    name, role = check_username(username), check_role(role)
    table = schema.users
    if connection.execute(sa.select(table.c.id).where(table.c.username == name)).first():
        raise AccountError(f"the user {name!r} already exists")
    result = connection.execute(
        table.insert().values(
            username=name,
            password_hash=hash_password(password),
            role=role,
            active=True,
            created_at=time.time(),
        )
    )
    return User(int(result.inserted_primary_key[0]), name, role, True)


def get_user(connection: Connection, user_id: int) -> Optional[User]:
    row = connection.execute(sa.select(schema.users).where(schema.users.c.id == user_id)).first()
    return _user(row) if row else None


def find_user(connection: Connection, username: str) -> Optional[User]:
    row = connection.execute(
        sa.select(schema.users).where(schema.users.c.username == username.strip().lower())
    ).first()
    return _user(row) if row else None


def has_accounts(connection: Connection) -> bool:
    """Whether any account exists (active or not): until one does, nobody can log in."""
    return connection.execute(sa.select(schema.users.c.id).limit(1)).first() is not None


def list_users(connection: Connection) -> List[sa.engine.Row]:
    table = schema.users
    return list(
        connection.execute(
            sa.select(
                table.c.id,
                table.c.username,
                table.c.role,
                table.c.active,
                table.c.created_at,
                table.c.last_login_at,
            ).order_by(table.c.username)
        )
    )


def authenticate(connection: Connection, username: str, password: str) -> Optional[User]:
    """The active user with this name and password, or None (same work either way)."""
    table = schema.users
    row = connection.execute(
        sa.select(table).where(table.c.username == username.strip().lower())
    ).first()
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    values: dict = {"last_login_at": time.time()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    connection.execute(table.update().where(table.c.id == row.id).values(**values))
    return _user(row)


def _update(connection: Connection, username: str, **values: object) -> User:
    table = schema.users
    name = username.strip().lower()
    result = connection.execute(table.update().where(table.c.username == name).values(**values))
    user = find_user(connection, name) if result.rowcount else None
    if user is None:
        raise AccountError(f"no user {name!r}")
    return user


def _end_sessions(connection: Connection, user: User) -> None:
    connection.execute(schema.sessions.delete().where(schema.sessions.c.user_id == user.id))


def set_password(connection: Connection, username: str, password: str) -> User:
    """A new password. Every session of the user ends, so whoever had the old password is
    logged out, and the addresses the user logged in from are no longer known addresses
    (``login_throttle``) until the new password is used from them."""
    user = _update(connection, username, password_hash=hash_password(password))
    _end_sessions(connection, user)
    forget_known_addresses(connection, user.username)
    return user


def set_role(connection: Connection, username: str, role: str) -> User:
    role = check_role(role)
    if role != "admin":
        _refuse_last_admin(connection, username)
    return _update(connection, username, role=role)


def set_active(connection: Connection, username: str, active: bool) -> User:
    if not active:
        _refuse_last_admin(connection, username)
    user = _update(connection, username, active=active)
    if not active:
        _end_sessions(connection, user)
    return user


def _refuse_last_admin(connection: Connection, username: str) -> None:
    """An admin cannot be demoted or disabled if no other active admin would remain."""
    user = find_user(connection, username)
    if user is None or not (user.is_admin and user.active):
        return
    table = schema.users
    others = connection.execute(
        sa.select(sa.func.count()).where(
            table.c.role == "admin", table.c.active.is_(True), table.c.id != user.id
        )
    ).scalar()
    if not others:
        raise AccountError("at least one active admin must remain")
