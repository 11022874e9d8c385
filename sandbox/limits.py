"""Telegram's flood limits as token buckets, switchable and scalable for benchmarks.

Defaults follow Telegram's FAQ: about one message a second per chat (short bursts allowed),
20 a minute per group and 30 a second overall, per bot. `scale` multiplies every rate (not the
burst sizes): scale 10 allows ten times Telegram's rates.

`retry_after` is a whole number of seconds, at least 1, computed from when the emptiest bucket
frees a token, as Telegram sends it. With scale > 1 the real wait is often below a second:
then retry_after is fractional (rounded up to a millisecond), which python-telegram-bot accepts
(RetryAfter takes a float or timedelta), so a scaled benchmark does not wait a full second.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LimitSettings:
    enabled: bool = False
    scale: float = 1.0
    per_chat_per_second: float = 1.0
    per_chat_burst: float = 3.0
    per_group_per_minute: float = 20.0
    per_group_burst: float = 20.0
    global_per_second: float = 30.0
    global_burst: float = 30.0

    def update(self, changes: dict[str, Any]) -> None:
        """Apply the fields present in changes, checking their types."""
        for name, value in changes.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown limit {name!r}")
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ValueError("limits.enabled must be a boolean")
                self.enabled = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"limits.{name} must be a positive number")
            setattr(self, name, float(value))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens = min(capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now

    def wait(self) -> float:
        """Seconds until one token is available (0 when one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    settings: LimitSettings = field(default_factory=LimitSettings)
    _buckets: dict[tuple[int, str, int], TokenBucket] = field(default_factory=dict)

    def reset(self) -> None:
        self._buckets.clear()

    def _bucket(
        self, key: tuple[int, str, int], now: float, rate: float, capacity: float
    ) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(rate, capacity, capacity, now)
            self._buckets[key] = bucket
        else:
            bucket.refill(now, rate, capacity)
        return bucket

    def check(self, bot_id: int, chat_id: int, is_group: bool, now: float) -> float | None:
        """Take a token for one message; None when allowed, else the retry_after to send."""
        settings = self.settings
        if not settings.enabled:
            return None
        scale = settings.scale
        buckets = [
            self._bucket(
                (bot_id, "chat", chat_id),
                now,
                settings.per_chat_per_second * scale,
                settings.per_chat_burst,
            ),
            self._bucket(
                (bot_id, "global", 0),
                now,
                settings.global_per_second * scale,
                settings.global_burst,
            ),
        ]
        if is_group:
            buckets.append(
                self._bucket(
                    (bot_id, "group", chat_id),
                    now,
                    settings.per_group_per_minute / 60 * scale,
                    settings.per_group_burst,
                )
            )
        wait = max(bucket.wait() for bucket in buckets)
        if wait > 0:
            return retry_after_for(wait, scale)
        for bucket in buckets:
            bucket.tokens -= 1
        return None


def retry_after_for(wait: float, scale: float) -> float:
    """Whole seconds ≥ 1 as Telegram sends; fractional only for a limit scaled above 1."""
    if scale > 1:
        return max(math.ceil(wait * 1000) / 1000, 0.001)
    return float(max(1, math.ceil(wait)))
