"""What the running bot counts, in Prometheus's terms (served on /metrics by bot/health.py).

    metrics = BotMetrics()                       # one registry per application
    metrics.update_handled("message /status", "ok", 0.042)
    metrics.delivery("sent", "reminder")         # the delivery worker's outcomes
    metrics.job("reminders:2022-Q2:commune:-3", "ok", 1.5)

Each instance has a registry of its own (several applications in one process, as in the tests,
do not collide), with the process's own figures (RSS, open file descriptors, CPU).
"""

from __future__ import annotations

import time
from collections import OrderedDict

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

# Seconds: a reply a person waits for (the target is 250 ms at p99), up to a minute-long stall.
REPLY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LATENESS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0, 86400.0)
FAILED_KEPT = 1024  # update ids remembered as failed, until their last group has run


def command_of(summary: str) -> str:
    """A bounded label from bot.handlers.updates.summary: "/status", "text", "callback st"."""
    kind, _, rest = summary.partition(" ")
    if kind in {"message", "edited"}:
        return rest if rest.startswith("/") else rest or kind
    return f"{kind} {rest}".strip()


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.updates = Counter(
            "chitieu_updates",
            "Updates handled, by command and outcome (ok, error)",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "chitieu_reply_seconds",
            "Seconds from an update's handling start to its last group",
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.outbox = Counter(
            "chitieu_outbox_messages",
            "Outbox sends by outcome (sent, failed, blocked, retried, rate_limited)",
            ["outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "chitieu_telegram_429", "429 answers from Telegram to sends", registry=self.registry
        )
        self.notices = Counter(
            "chitieu_notices_sent",
            "Messages Telegram accepted from the outbox, by kind (reminder, alert, ...)",
            ["kind"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "chitieu_job_runs",
            "Scheduled job runs by job (reminders, summary, alerts) and outcome",
            ["job", "outcome"],
            registry=self.registry,
        )
        self.job_lateness = Histogram(
            "chitieu_job_lateness_seconds",
            "Seconds between a job's fire time and its run",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.leader = Gauge(
            "chitieu_leader", "1 while this process leads the scheduler", registry=self.registry
        )
        self.outbox_depth = Gauge(
            "chitieu_outbox_depth", "Messages due and not yet sent", registry=self.registry
        )
        self.outbox_oldest = Gauge(
            "chitieu_outbox_oldest_pending_seconds",
            "Seconds the oldest due message has waited",
            registry=self.registry,
        )
        self.database_up = Gauge(
            "chitieu_database_up",
            "1 when the database answered the last probe",
            registry=self.registry,
        )
        self.last_update_at: float | None = None  # wall-clock seconds (time.time())
        self._failed: OrderedDict[int, None] = OrderedDict()

    def update_failed(self, update_id: int, summary: str) -> None:
        """The error handler saw this update fail (counted once, whatever follows)."""
        if update_id in self._failed:
            return
        self._failed[update_id] = None
        while len(self._failed) > FAILED_KEPT:
            self._failed.popitem(last=False)
        self.updates.labels(command_of(summary), "error").inc()

    def update_handled(self, update_id: int, summary: str, seconds: float) -> None:
        """The update's last group ran (ok unless its handling failed)."""
        self.last_update_at = time.time()
        self.reply_seconds.observe(seconds)
        if update_id in self._failed:
            del self._failed[update_id]
            return  # counted as an error already
        self.updates.labels(command_of(summary), "ok").inc()

    def delivery(self, outcome: str, kind: str) -> None:
        """An outcome of the delivery worker for a message of `kind`."""
        self.outbox.labels(outcome).inc()
        if outcome == "rate_limited":
            self.rate_limited.inc()
        elif outcome == "sent":
            self.notices.labels(kind).inc()

    def job(self, name: str, outcome: str, lateness: float) -> None:
        self.job_runs.labels(name.split(":", maxsplit=1)[0], outcome).inc()
        self.job_lateness.observe(max(0.0, lateness))
