"""Helpers for tests of and with the emulator: raw Bot API calls, images, free ports, and a
checker of JSON against the Bot API specification."""

from __future__ import annotations

import json
import socket
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

TEST_TOKEN = "123456:TEST-token_abc"  # noqa: S105 (a made-up token for the emulator)
TEST_BOT_ID = 123456


class BotApi:
    """Raw Bot API calls, to see exactly what Telegram would answer."""

    def __init__(self, http: httpx.AsyncClient, token: str = TEST_TOKEN) -> None:
        self.http = http
        self.token = token

    async def call(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = await self.http.post(f"/bot{self.token}/{method}", json=params)
        return response.status_code, response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.call(method, **params)
        if status != 200:
            raise AssertionError(body)
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self.call(method, **params)
        if body["ok"] is not False or body["error_code"] != status:
            raise AssertionError(body)
        return status, str(body["description"])


def png(width: int, height: int) -> bytes:
    """A valid PNG image of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SpecChecker:
    """Checks JSON values against the Bot API specification's types, recursively."""

    @classmethod
    def load(cls, path: Path) -> SpecChecker:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.types: dict[str, Any] = spec["types"]
        self.methods: dict[str, Any] = spec["methods"]
        self.seen: set[str] = set()

    def problems(self, value: Any, type_names: list[str], where: str = "$") -> list[str]:
        """Problems of value against any of the spec's type strings (empty when it fits one)."""
        best: list[str] | None = None
        for type_name in type_names:
            found = self._check(value, type_name, where)
            if not found:
                return []
            if best is None or len(found) < len(best):
                best = found
        return best or [f"{where}: no type among {type_names}"]

    def _check(self, value: Any, type_name: str, where: str) -> list[str]:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}, got {type(value).__name__}"]
            inner = type_name.removeprefix("Array of ")
            return [
                p
                for i, item in enumerate(value)
                for p in self._check(item, inner, f"{where}[{i}]")
            ]
        primitive: dict[str, Callable[[Any], bool]] = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "String": lambda v: isinstance(v, str),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
        }
        if type_name in primitive:
            return [] if primitive[type_name](value) else [f"{where}: not {type_name}: {value!r}"]
        definition = self.types[type_name]
        if "subtypes" in definition:
            return self.problems(value, definition["subtypes"], where)
        if not isinstance(value, dict):
            return [f"{where}: expected {type_name} object, got {value!r}"]
        self.seen.add(type_name)
        fields = {field["name"]: field for field in definition["fields"]}
        found = [
            f"{where}: {type_name} has no field {name!r}" for name in value if name not in fields
        ]
        for name, field in fields.items():
            if name not in value:
                if field["required"]:
                    found.append(f"{where}: {type_name} misses required {name!r}")
                continue
            found += self.problems(value[name], field["types"], f"{where}.{name}")
        return found
