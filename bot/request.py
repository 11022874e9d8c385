"""python-telegram-bot's HTTP layer over aiohttp instead of httpx.

    ApplicationBuilder()....request(AiohttpRequest(16)).get_updates_request(AiohttpRequest(1))

Every update costs the bot a getUpdates share and one or two Bot API calls; with PTB's default
`HTTPXRequest`, httpx and httpcore spent about a third of the bot's CPU per update (the
benchmark `python -m bench.updates`, profiled with py-spy), aiohttp a fraction of that. The
contract is PTB's `BaseRequest.do_request`: the status and the body of the answer, `TimedOut`
when a timeout passes, `NetworkError` for any other failure to talk to the Bot API; PTB itself
turns the status and body into its exceptions (RetryAfter, Forbidden, ChatMigrated, ...).
Parameters go as one JSON document, files as multipart/form-data, both as the Bot API takes them.

A last guard: a text or caption longer than the Bot API takes (a message's 4,096 UTF-16 units,
a caption's 1,024, a button's alert's 200) is cut, marked with "…" and logged, instead of being
refused with "message is too long" after the person waited (the views split their long texts
into several messages themselves; this catches what nobody foresaw, e.g. an echoed name).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT: Final = 5.0  # seconds, PTB's own defaults for read, write and connect
DEFAULT_POOL_TIMEOUT: Final = 1.0
MEDIA_WRITE_TIMEOUT: Final = 20.0
JSON_HEADERS: Final = {"Content-Type": "application/json"}
# the parameter each method may overfill, and the most UTF-16 code units the Bot API takes in it
TEXT_LIMITS: Final = {
    "sendMessage": ("text", 4096),
    "editMessageText": ("text", 4096),
    "answerCallbackQuery": ("text", 200),
    "sendPhoto": ("caption", 1024),
    "sendDocument": ("caption", 1024),
    "editMessageCaption": ("caption", 1024),
}

logger = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """At most `connection_pool_size` connections to the Bot API, kept alive between calls."""

    __slots__ = ("_connect", "_limit", "_pool", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 1,
        *,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size is at least 1")
        self._limit = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _chosen(read_timeout, self._read)
        write = _chosen(write_timeout, MEDIA_WRITE_TIMEOUT if files else self._write)
        connect = _chosen(connect_timeout, self._connect)
        pool = _chosen(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            # aiohttp's `connect` is the wait for a pooled connection plus making a new one
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
            # no write timeout of its own in aiohttp: the whole call is bounded instead
            total=_total(read, write, connect, pool),
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files and request_data is not None:
            form = aiohttp.FormData(within_limits(url, request_data.json_parameters))
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
        elif request_data is not None and request_data.parameters:
            # one JSON document, as the Bot API also takes: a fraction of what encoding every
            # parameter as a form field costs (aiohttp's FormData quotes each character)
            parameters = within_limits(url, request_data.parameters)
            body = json.dumps(parameters, ensure_ascii=False).encode()
            headers = JSON_HEADERS
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as failed:
            raise TimedOut from failed
        except aiohttp.ClientError as failed:
            raise NetworkError(f"aiohttp.{type(failed).__name__}: {failed}") from failed


def utf16_length(text: str) -> int:
    """The length the Bot API measures: UTF-16 code units (an emoji such as 🔴 counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def within_limits(url: str, parameters: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parameters, the text (or caption) of the method cut to what the Bot API takes; a
    text formatted with a parse mode is left whole (a cut could break its markup)."""
    method = url.rsplit("/", 1)[-1]
    limit = TEXT_LIMITS.get(method)
    value = parameters.get(limit[0]) if limit is not None else None
    if (
        limit is None
        or not isinstance(value, str)
        or utf16_length(value) <= limit[1]
        or "parse_mode" in parameters
    ):
        return parameters
    name, most = limit
    logger.warning("%s: a %s of %d characters cut to the limit", method, name, len(value))
    cut = value[: most - 1]
    while (excess := utf16_length(cut) - (most - 1)) > 0:
        cut = cut[:-excess]
    return {**parameters, name: cut + "…"}


def _chosen(given: ODVInput[float], default: float | None) -> float | None:
    """A timeout PTB passes, or this request's own default where it passes DEFAULT_NONE."""
    return default if isinstance(given, DefaultValue) else given


def _total(*parts: float | None) -> float | None:
    """The sum of the timeouts, or none when any of them is none (wait as long as it takes)."""
    given = [part for part in parts if part is not None]
    return sum(given) if len(given) == len(parts) else None
