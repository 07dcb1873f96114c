"""``python -m assistant.ops.sms_try``: text the running assistant the way Twilio would.

Each line you type is posted to the SMS webhook as a Twilio Messaging webhook form, signed
with ``TWILIO_AUTH_TOKEN`` (the same one ``make run`` was started with); the TwiML reply is
shown as the SMS messages the phone would get. No Twilio account is needed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from typing import Dict, List, Optional, Tuple

from twilio.request_validator import RequestValidator


def signed_form(
    url: str, token: str, sender: str, body: str, message_sid: Optional[str] = None
) -> Tuple[bytes, Dict[str, str]]:
    """A Messaging webhook form and its headers, signed like the provider signs it.

    Like the provider's, the form has empty fields (an unknown city or ZIP code), and each
    message a new MessageSid unless ``message_sid`` repeats one (a replay).
    """
    form = {
        "MessageSid": message_sid or "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "FromCity": "",
        "FromState": "",
        "FromZip": "",
        "FromCountry": "US",
        "To": "+18002332771",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }
    signature = RequestValidator(token).compute_signature(url, form)
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return urllib.parse.urlencode(form).encode(), headers


def messages_of(twiml: str) -> List[str]:
    root = ElementTree.fromstring(twiml)  # noqa: S314 - our own server's reply
    return [element.text or "" for element in root.iter("Message")]


def send(url: str, token: str, sender: str, body: str) -> Tuple[int, List[str]]:
    data, headers = signed_form(url, token, sender, body)
    request = urllib.request.Request(url, data, headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:  # noqa: S310
            return reply.status, messages_of(reply.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, [error.read().decode(errors="replace")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    port = os.environ.get("RASA_PORT", "5005")
    parser.add_argument("--url", default=f"http://localhost:{port}/webhooks/sms/webhook")
    parser.add_argument("--from", dest="sender", default="+13105550142", help="the phone texting")
    args = parser.parse_args()
    token = os.environ.get("TWILIO_AUTH_TOKEN", "")
    if not token:
        print("Set TWILIO_AUTH_TOKEN to the token `make run` was started with.", file=sys.stderr)
        return 2
    print(f"Texting {args.url} from {args.sender} (Ctrl-D to quit).")
    while True:
        try:
            body = input("sms> ")
        except EOFError:
            print()
            return 0
        try:
            status, messages = send(args.url, token, args.sender, body)
        except urllib.error.URLError as error:
            print(f"Cannot reach the assistant ({error.reason}). Is `make run` running?")
            continue
        if status != 200:
            print(f"[HTTP {status}] {' '.join(messages)}")
        for number, text in enumerate(messages, start=1):
            print(f"--- SMS {number}/{len(messages)} ({len(text)} chars)\n{text}")


if __name__ == "__main__":
    sys.exit(main())
