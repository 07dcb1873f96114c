"""``python -m assistant.ops.chat``: chat with the running assistant in a terminal.

Buttons are shown as a numbered list; type the number to choose one. It talks to the REST
channel, which needs its bearer token: ``REST_TOKEN`` from the environment, or else the one
``make run`` keeps in ``.state/rest_token`` (``ASSISTANT_STATE_DIR`` moves ``.state``).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

# The file `make run` keeps the REST channel's token in (assistant/ops/run.py, prepare_channels).
TOKEN_FILE = "rest_token"  # noqa: S105 - a file name, not a secret


def rest_token(env: Mapping[str, str], cwd: Path) -> Optional[str]:
    """``REST_TOKEN`` from ``env``, or the token ``make run`` wrote; None if there is neither."""
    token = env.get("REST_TOKEN", "").strip()
    if token:
        return token
    path = cwd / env.get("ASSISTANT_STATE_DIR", ".state") / TOKEN_FILE
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def send(url: str, sender: str, text: str, token: str) -> List[Dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, body, headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - the user's own assistant URL
            return list(json.load(reply))
    except urllib.error.HTTPError as error:
        return [{"text": f"[{error.code}] {error.read().decode(errors='replace')}"}]


def main() -> int:
    port = os.environ.get("RASA_PORT", "5005")
    url = os.environ.get("CHAT_URL", f"http://localhost:{port}/webhooks/rest/webhook")
    token = rest_token(os.environ, Path.cwd())
    if token is None:
        print(
            "No REST token: start the assistant with `make run` first (it writes "
            f".state/{TOKEN_FILE}), or set REST_TOKEN to the server's token.",
            file=sys.stderr,
        )
        return 2
    sender = f"shell-{secrets.token_hex(8)}"
    print(f"Chatting with {url} (Ctrl-D to quit).")
    buttons: List[Dict[str, str]] = []
    while True:
        try:
            text = input("you> ")
        except EOFError:
            print()
            return 0
        if text.strip().isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            replies = send(url, sender, text, token)
        except urllib.error.URLError as error:
            print(f"Cannot reach the assistant ({error.reason}). Is `make run` running?")
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print(f"bot> {reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"     {len(buttons)}. {button['title']}")


if __name__ == "__main__":
    sys.exit(main())
