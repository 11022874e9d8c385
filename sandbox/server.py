"""The emulator's HTTP server: the Bot API, file downloads, the control API and the web chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from sandbox import botapi, control
from sandbox.botapi import EMULATOR_KEY, SESSION_KEY
from sandbox.emulator import Emulator

__all__ = ["Emulator", "RunningEmulator", "create_app", "running_emulator", "serve"]

WEB_DIR = Path(__file__).parent / "web"
MAX_UPLOAD = 64 * 1024 * 1024
SHUTDOWN_TIMEOUT = 1.0


async def _index(request: web.Request) -> web.StreamResponse:
    del request
    index = WEB_DIR / "index.html"
    if not index.is_file():
        raise web.HTTPNotFound(text="web chat coming")
    return web.FileResponse(index)


async def _web_file(request: web.Request) -> web.StreamResponse:
    root = WEB_DIR.resolve()
    target = (root / request.match_info["name"]).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise web.HTTPNotFound
    return web.FileResponse(target)


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    """The client session webhooks and URL downloads use; webhook tasks end with the app."""
    emulator = app[EMULATOR_KEY]
    emulator.closing = False
    async with aiohttp.ClientSession() as session:
        app[SESSION_KEY] = session
        yield
        tasks = [bot.webhook_task for bot in emulator.bots.values() if bot.webhook_task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _on_shutdown(app: web.Application) -> None:
    app[EMULATOR_KEY].close()


def create_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD, middlewares=[control.control_errors])
    app[EMULATOR_KEY] = emulator
    app.router.add_route("GET", "/bot{token}/{method}", botapi.handle)
    app.router.add_route("POST", "/bot{token}/{method}", botapi.handle)
    app.router.add_get("/file/bot{token}/{path:.+}", botapi.download)
    control.add_routes(app)
    app.router.add_get("/", _index)
    app.router.add_get("/web/{name:.+}", _web_file)
    app.cleanup_ctx.append(_http_session)
    app.on_shutdown.append(_on_shutdown)
    return app


@dataclass
class RunningEmulator:
    base_url: str
    emulator: Emulator
    app: web.Application


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@asynccontextmanager
async def running_emulator(
    host: str = "127.0.0.1", port: int = 0, emulator: Emulator | None = None
) -> AsyncIterator[RunningEmulator]:
    """Serve an emulator (a new one unless given) on host:port (0 = a free port)."""
    emulator = emulator or Emulator()
    app = create_app(emulator)
    runner = web.AppRunner(
        app, handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        yield RunningEmulator(base_url=_url(host, bound), emulator=emulator, app=app)
    finally:
        await runner.cleanup()


async def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled; `ready` gets the base URL once the server listens."""
    async with running_emulator(host, port) as running:
        if ready is not None:
            ready(running.base_url)
        await asyncio.Event().wait()
