"""Helpers for the end-to-end tests (the running assistant fixture is in tests/conftest.py)."""

from __future__ import annotations


def texts(replies: list) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)
