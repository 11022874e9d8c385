"""What /metrics counts (bot/metrics.py) and what /healthz says of a database that is gone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import generate_latest

from bot.metrics import BotMetrics, command_of
from storage import create_engine
from storage.health import probe


@pytest.mark.parametrize(
    ("summary", "command"),
    [
        ("message /status", "/status"),
        ("edited /submit", "/submit"),
        ("message text", "text"),
        ("message document", "document"),
        ("callback st", "callback st"),
        ("membership kicked", "membership kicked"),
        ("other", "other"),
    ],
)
def test_an_update_is_labelled_by_its_command_never_by_what_was_typed(
    summary: str, command: str
) -> None:
    assert command_of(summary) == command


def _value(metrics: BotMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_an_update_that_failed_counts_once_as_an_error_and_not_as_handled() -> None:
    metrics = BotMetrics()

    metrics.update_handled(1, "message /status", 0.05)
    metrics.update_failed(2, "message /submit")
    metrics.update_failed(2, "message /submit")  # a second error of the same update
    metrics.update_handled(2, "message /submit", 0.2)

    assert _value(metrics, "chitieu_updates_total", command="/status", outcome="ok") == 1
    assert _value(metrics, "chitieu_updates_total", command="/submit", outcome="error") == 1
    assert _value(metrics, "chitieu_updates_total", command="/submit", outcome="ok") is None
    assert _value(metrics, "chitieu_reply_seconds_count") == 2
    assert metrics.last_update_at is not None


def test_sends_count_by_outcome_429s_and_notices_by_kind() -> None:
    metrics = BotMetrics()

    metrics.delivery("sent", "reminder")
    metrics.delivery("sent", "alert")
    metrics.delivery("rate_limited", "alert")
    metrics.delivery("blocked", "broadcast")
    metrics.job("reminders:2022-H1:department:-7", "ok", 12.5)
    metrics.job("alerts:sweep", "failed", -1.0)

    assert _value(metrics, "chitieu_outbox_messages_total", outcome="sent") == 2
    assert _value(metrics, "chitieu_telegram_429_total") == 1
    assert _value(metrics, "chitieu_notices_sent_total", kind="reminder") == 1
    assert _value(metrics, "chitieu_notices_sent_total", kind="broadcast") is None
    assert _value(metrics, "chitieu_job_runs_total", job="reminders", outcome="ok") == 1
    assert _value(metrics, "chitieu_job_runs_total", job="alerts", outcome="failed") == 1
    assert _value(metrics, "chitieu_job_lateness_seconds_sum") == 12.5


def test_two_applications_in_one_process_keep_their_own_counts() -> None:
    first, second = BotMetrics(), BotMetrics()

    first.delivery("sent", "reminder")

    assert b'chitieu_notices_sent_total{kind="reminder"} 1.0' in generate_latest(first.registry)
    assert b"chitieu_notices_sent_total{" not in generate_latest(second.registry)


async def test_a_database_that_does_not_answer_is_unhealthy_not_an_exception() -> None:
    engine = create_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        found = await probe(engine, datetime(2022, 6, 10, tzinfo=UTC), timeout=5)
    finally:
        await engine.dispose()

    assert found.database is False
    assert found.outbox_depth is None
