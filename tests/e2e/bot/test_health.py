"""/healthz and /metrics: off by default; on their own port when METRICS_PORT is set, with the
updates handled, the outbox's sends and the scheduler's runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from kpi.access import Role
from sandbox.testing import free_port
from tests.e2e.bot.conftest import WAIT, BotDriver

LAN = 4901  # head of Sở Y tế: departments report H1 by 18/06/2022
MORNING = datetime(2022, 6, 11, 1, 30, tzinfo=UTC)  # 08:30 on 11/06: a reminder is due
EVE = datetime(2022, 6, 10, 9, 0, tzinfo=UTC)


def _sample(metrics: str, name: str) -> float:
    """The value of the sample line starting with `name` (0 when absent)."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def _drained(http: httpx.AsyncClient) -> httpx.Response:
    """/healthz once the worker has recorded its send (it flushes every 0.25 s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        health = await http.get("/healthz")
        if health.json()["outbox_depth"] == 0 or loop.time() > deadline:
            return health
        await asyncio.sleep(0.05)


async def test_health_and_metrics_are_off_unless_a_port_is_set(bot: BotDriver) -> None:
    assert bot.application is not None
    assert bot.settings.metrics_port is None
    assert bot.application.health is None


async def test_healthz_and_metrics_tell_updates_sends_and_the_lead(bot: BotDriver) -> None:
    port = free_port()
    bot.settings = bot.settings.model_copy(
        update={"metrics_port": port, "scheduler_enabled": True}
    )
    application = await bot.restart()
    services = application.services
    services.clock = lambda: EVE
    await bot.make_member(LAN, "so-y-te", Role.HEAD, name="Lan")
    await bot.ask(LAN, "/start")
    since = bot.cursor
    services.clock = lambda: MORNING
    runner = application.runner
    assert runner is not None
    await runner.leading.wait()
    await runner.jobs.catch_up()
    runner.notify()
    await bot.control.wait_for_text(LAN, "Nhắc việc", since, timeout=WAIT)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT) as http:
        health = await _drained(http)
        metrics = (await http.get("/metrics")).text

    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["leader"] is True
    assert body["last_update_at"] is not None
    assert body["outbox_depth"] == 0
    assert body["oldest_pending_seconds"] == 0
    assert _sample(metrics, 'chitieu_updates_total{command="/start",outcome="ok"}') == 1
    assert _sample(metrics, "chitieu_reply_seconds_count") == 1
    assert _sample(metrics, 'chitieu_notices_sent_total{kind="reminder"}') == 1
    assert _sample(metrics, 'chitieu_outbox_messages_total{outcome="sent"}') == 1
    assert _sample(metrics, "chitieu_leader") == 1
    assert _sample(metrics, "chitieu_database_up") == 1
    assert _sample(metrics, "process_resident_memory_bytes") > 0
    assert _sample(metrics, "process_open_fds") > 0
    assert "chitieu_telegram_429_total 0.0" in metrics
    assert "# TYPE chitieu_job_lateness_seconds histogram" in metrics
