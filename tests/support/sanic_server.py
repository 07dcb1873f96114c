"""Run a Sanic app on a free loopback port inside a test's event loop."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from sanic import Sanic

from assistant.ops.processes import free_port


@asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[str]:
    """Serve ``app`` and yield its base URL; stop it afterwards."""
    port = free_port()
    # Sanic's touch-up rewrites class methods; in test mode it keeps the originals, so
    # several apps can start in one process (as sanic-testing does).
    Sanic.test_mode = True
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()
