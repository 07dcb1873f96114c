"""``python -m assistant.action_server``: serve the actions in ``actions/``.

Environment: ``ACTION_SERVER_TOKEN`` (required, 16+ characters; Rasa sends it as a bearer
token, see endpoints.yml), ``ACTION_HOST`` (default 127.0.0.1), ``ACTION_PORT`` (5055).
"""

from __future__ import annotations

import logging
import os
import sys

from assistant.quiet_warnings import install


def main() -> int:
    install()  # before rasa-sdk and Sanic are imported
    from rasa_sdk.executor import ActionExecutor

    from assistant.action_server.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if len(token) < 16:
        print("ACTION_SERVER_TOKEN (16+ characters) must be set", file=sys.stderr)
        return 2
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(token, executor)
    app.run(
        host=os.environ.get("ACTION_HOST", "127.0.0.1"),
        port=int(os.environ.get("ACTION_PORT", "5055")),
        access_log=False,
        workers=1,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
