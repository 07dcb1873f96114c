"""``python -m assistant.ops.chat``: chat with the running assistant in a terminal.

Buttons are shown as a numbered list; type the number to choose one.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, List


def send(url: str, sender: str, text: str) -> List[Dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - the user's own assistant URL
            return list(json.load(reply))
    except urllib.error.HTTPError as error:
        return [{"text": f"[{error.code}] {error.read().decode(errors='replace')}"}]


def main() -> int:
    port = os.environ.get("RASA_PORT", "5005")
    url = os.environ.get("CHAT_URL", f"http://localhost:{port}/webhooks/rest/webhook")
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
            replies = send(url, sender, text)
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
