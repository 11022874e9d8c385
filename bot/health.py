"""/healthz and /metrics on a port of their own (METRICS_PORT; off when unset), served by the
running bot (`chitieu run`) and the sandbox.

    server = HealthServer(services, leading=lambda: runner is not None and runner.leading.is_set())
    await server.start("127.0.0.1", 9108)
    ...
    await server.stop()

/healthz answers JSON, 200 when the database answers and 503 when it does not: the database,
whether this process leads the scheduler, when it last handled an update, the outbox's depth
and the age of its oldest due message. /metrics is Prometheus's text format (bot/metrics.py),
the gauges read from the database at each scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.context import Services
from storage.health import Probe, probe

logger = logging.getLogger(__name__)


class HealthServer:
    def __init__(self, services: Services, leading: Callable[[], bool]) -> None:
        self.services = services
        self.leading = leading
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def _probe(self) -> Probe:
        services, metrics = self.services, self.services.metrics
        found = await probe(services.database.engine, services.clock())
        metrics.database_up.set(1 if found.database else 0)
        metrics.leader.set(1 if self.leading() else 0)
        if found.outbox_depth is not None:
            metrics.outbox_depth.set(found.outbox_depth)
            metrics.outbox_oldest.set(found.oldest_pending_seconds or 0.0)
        return found

    async def healthz(self, _request: web.Request) -> web.Response:
        found = await self._probe()
        last = self.services.metrics.last_update_at
        body: dict[str, Any] = {
            "status": "ok" if found.database else "unavailable",
            "database": found.database,
            "leader": self.leading(),
            "last_update_at": None
            if last is None
            else datetime.fromtimestamp(last, UTC).isoformat(timespec="seconds"),
            "outbox_depth": found.outbox_depth,
            "oldest_pending_seconds": found.oldest_pending_seconds,
        }
        return web.json_response(body, status=200 if found.database else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        await self._probe()
        payload = generate_latest(self.services.metrics.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.port = port
        logger.info("health and metrics on http://%s:%d/healthz and /metrics", host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
