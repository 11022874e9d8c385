"""Injected faults: blocked and deactivated users, kicked bots, floods, 5xx, slowness, drops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Methods that send a message: the ones flood limits and floods apply to.
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
# Methods a polling or webhook bot calls on its own: transport faults spare them by default,
# so that a fault aimed at a send is not eaten by the polling loop.
UPDATE_METHODS = frozenset(
    {"getupdates", "setwebhook", "deletewebhook", "getwebhookinfo", "getme", "close", "logout"}
)


@dataclass
class CountedFault:
    """A fault for the next `count` matching calls; `methods` narrows which calls match."""

    count: int = 0
    methods: frozenset[str] | None = None
    status: int = 500
    seconds: float = 0.0
    retry_after: float = 5.0

    def matches(self, method: str, default: frozenset[str] | None) -> bool:
        if self.count <= 0:
            return False
        if self.methods is not None:
            return method in self.methods
        if default is SEND_METHODS:
            return method in SEND_METHODS
        return method not in UPDATE_METHODS

    def take(self) -> None:
        self.count -= 1

    def to_json(self, *extra: str) -> dict[str, Any]:
        answer: dict[str, Any] = {"count": self.count}
        for name in extra:
            answer[name] = getattr(self, name)
        if self.methods is not None:
            answer["methods"] = sorted(self.methods)
        return answer


@dataclass
class Migration:
    chat_id: int
    new_chat_id: int


@dataclass
class Faults:
    blocked_users: set[int] = field(default_factory=set)
    deactivated_users: set[int] = field(default_factory=set)
    kicked_from: set[int] = field(default_factory=set)
    flood: CountedFault = field(default_factory=CountedFault)
    server_errors: CountedFault = field(default_factory=CountedFault)
    slow: CountedFault = field(default_factory=CountedFault)
    drop: CountedFault = field(default_factory=CountedFault)

    def to_json(self) -> dict[str, Any]:
        return {
            "blocked_users": sorted(self.blocked_users),
            "deactivated_users": sorted(self.deactivated_users),
            "kicked_from": sorted(self.kicked_from),
            "flood": self.flood.to_json("retry_after"),
            "server_errors": self.server_errors.to_json("status"),
            "slow": self.slow.to_json("seconds"),
            "drop": self.drop.to_json(),
        }


def _int_list(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        raise ValueError(f"{name} must be a list of integers")
    return value


def _number(spec: dict[str, Any], name: str, default: float) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a non-negative number")
    return float(value)


def counted_fault(spec: Any, name: str) -> CountedFault:
    """Parse {"count": N, ...} for one of flood, server_errors, slow, drop."""
    if not isinstance(spec, dict):
        raise ValueError(f"{name} must be an object")  # noqa: TRY004 (answered as a 400)
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"{name}.count must be a non-negative integer")
    methods = spec.get("methods")
    if methods is not None and (
        not isinstance(methods, list) or not all(isinstance(m, str) for m in methods)
    ):
        raise ValueError(f"{name}.methods must be a list of method names")
    fault = CountedFault(
        count=count,
        methods=frozenset(m.lower() for m in methods) if methods is not None else None,
    )
    if name == "server_errors":
        status = spec.get("status", 500)
        if status not in {500, 502, 503, 504}:
            raise ValueError("server_errors.status must be 500, 502, 503 or 504")
        fault.status = status
    elif name == "slow":
        fault.seconds = _number(spec, "seconds", 1.0)
    elif name == "flood":
        fault.retry_after = _number(spec, "retry_after", 5.0)
        if fault.retry_after <= 0:
            raise ValueError("flood.retry_after must be positive")
    return fault


def apply_user_faults(faults: Faults, body: dict[str, Any]) -> None:
    """The user and chat lists of a POST /emulator/faults body."""
    faults.blocked_users.update(_int_list(body, "blocked_users"))
    for user_id in _int_list(body, "unblocked_users"):
        faults.blocked_users.discard(user_id)
    faults.deactivated_users.update(_int_list(body, "deactivated_users"))
    for user_id in _int_list(body, "reactivated_users"):
        faults.deactivated_users.discard(user_id)
    faults.kicked_from.update(_int_list(body, "kicked_from"))
    for chat_id in _int_list(body, "readded_to"):
        faults.kicked_from.discard(chat_id)
