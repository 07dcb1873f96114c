"""Run the console with Sanic's server: one process, loopback by default, no access log
(URLs can carry search terms typed by staff, which may quote patients)."""

from __future__ import annotations

from sanic import Sanic

from assistant.console.app import create_app
from assistant.console.settings import ConsoleSettings


def serve(settings: ConsoleSettings) -> None:
    app: Sanic = create_app(settings)
    print(
        f"Staff console: http://localhost:{settings.port}  (bound to {settings.host})", flush=True
    )
    app.run(
        host=settings.host,
        port=settings.port,
        workers=1,
        access_log=False,
        debug=False,
        motd=False,
    )
