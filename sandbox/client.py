"""A small async client over the emulator's control API, for tests, demos and benchmarks."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self

import httpx

JSON = dict[str, Any]


class EmulatorError(Exception):
    """The control API refused a call: its status and {"error": ...} message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class EmulatorClient:
    """`async with EmulatorClient(base_url) as emulator: await emulator.send(42, "/start")`.

    Calls address the bot given as `bot_id` (here or per call), else the emulator's most
    recently created bot.
    """

    def __init__(
        self,
        base_url: str,
        *,
        bot_id: int | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_id = bot_id
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise EmulatorError(response.status_code, str(message))
        return response.json()

    async def _get(self, path: str, params: dict[str, Any], wait: float | None = None) -> Any:
        if wait is None:
            response = await self._http.get(path, params=_clean(params))
        else:
            response = await self._http.get(path, params=_clean(params), timeout=wait + 10)
        return self._answer(response)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._answer(await self._http.post(path, json=_clean(body)))

    def _bot(self, bot_id: int | None) -> int | None:
        return bot_id if bot_id is not None else self.bot_id

    # --- bots, users, groups ------------------------------------------------------------------

    async def set_bot(
        self, token: str, *, username: str | None = None, first_name: str | None = None
    ) -> JSON:
        body = {"token": token, "username": username, "first_name": first_name}
        answer: JSON = await self._post("/emulator/bots", body)
        return answer

    async def users(self) -> list[JSON]:
        answer: list[JSON] = (await self._get("/emulator/users", {}))["users"]
        return answer

    async def create_user(
        self,
        user_id: int | None = None,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        label: str | None = None,
    ) -> JSON:
        body = {
            "user_id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "label": label,
        }
        answer: JSON = await self._post("/emulator/users", body)
        return answer

    async def create_group(
        self,
        title: str,
        member_ids: list[int],
        *,
        chat_id: int | None = None,
        chat_type: str = "group",
        bot_id: int | None = None,
    ) -> int:
        body = {
            "title": title,
            "member_ids": member_ids,
            "chat_id": chat_id,
            "type": chat_type,
            "bot_id": self._bot(bot_id),
        }
        answer = await self._post("/emulator/groups", body)
        return int(answer["chat_id"])

    async def chats(self, user_id: int, *, bot_id: int | None = None) -> list[JSON]:
        params = {"user_id": user_id, "bot_id": self._bot(bot_id)}
        answer: list[JSON] = (await self._get("/emulator/chats", params))["chats"]
        return answer

    # --- what users do ------------------------------------------------------------------------

    async def send(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str | None = None,
        chat_title: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        reply_to_message_id: int | None = None,
        bot_id: int | None = None,
    ) -> JSON:
        """A user writes to the bot; {update_id, chat_id, message_id}."""
        body = {
            "user_id": user_id,
            "text": text,
            "chat_id": chat_id,
            "chat_type": chat_type,
            "chat_title": chat_title,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "reply_to_message_id": reply_to_message_id,
            "bot_id": self._bot(bot_id),
        }
        answer: JSON = await self._post("/emulator/send", body)
        return answer

    async def press(
        self, user_id: int, chat_id: int, message_id: int, data: str, *, bot_id: int | None = None
    ) -> JSON:
        """A user presses an inline button; {update_id, callback_query_id}."""
        body = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "data": data,
            "bot_id": self._bot(bot_id),
        }
        answer: JSON = await self._post("/emulator/press", body)
        return answer

    async def press_button(
        self, user_id: int, message: JSON, text: str, *, bot_id: int | None = None
    ) -> JSON:
        """Press the button labelled `text` on a message listed by messages() or wait()."""
        for row in message["buttons"]:
            for button in row:
                if button["text"] == text and "callback_data" in button:
                    return await self.press(
                        user_id,
                        message["chat_id"],
                        message["message_id"],
                        button["callback_data"],
                        bot_id=bot_id,
                    )
        raise LookupError(f"no callback button {text!r} on message {message['message_id']}")

    async def callback_answer(self, callback_query_id: str) -> JSON | None:
        """What the bot answered to a press ({text, show_alert, ...}), or None."""
        answer: JSON | None = await self._get(
            "/emulator/callback_answers", {"callback_query_id": callback_query_id}
        )
        return answer

    async def upload(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
        chat_id: int | None = None,
        caption: str | None = None,
        bot_id: int | None = None,
    ) -> JSON:
        """A user sends a document; {update_id, chat_id, message_id, file_id}."""
        data = _clean(
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "caption": caption,
                "bot_id": self._bot(bot_id),
            }
        )
        response = await self._http.post(
            "/emulator/upload",
            data={key: str(value) for key, value in data.items()},
            files={"file": (filename, content, content_type)},
        )
        answer: JSON = self._answer(response)
        return answer

    async def download(self, url: str) -> bytes:
        """The bytes behind a photo or document url from a listed message."""
        response = await self._http.get(url)
        response.raise_for_status()
        return response.content

    # --- what the bots said -------------------------------------------------------------------

    async def messages(
        self,
        chat_id: int,
        since: int = 0,
        *,
        include_user: bool = False,
        bot_id: int | None = None,
    ) -> JSON:
        """{"messages": [...], "cursor": N}: messages changed after `since`, in order."""
        params = {
            "chat_id": chat_id,
            "since": since,
            "include_user": int(include_user),
            "bot_id": self._bot(bot_id),
        }
        answer: JSON = await self._get("/emulator/messages", params)
        return answer

    async def wait(
        self,
        chat_id: int | None = None,
        since: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109 (the server waits: it is its parameter)
        *,
        include_user: bool = False,
        bot_id: int | None = None,
    ) -> JSON:
        """Like messages(), answered as soon as something newer than `since` exists."""
        params = {
            "chat_id": chat_id,
            "since": since,
            "timeout": timeout,
            "include_user": int(include_user),
            "bot_id": self._bot(bot_id),
        }
        answer: JSON = await self._get("/emulator/wait", params, wait=timeout)
        return answer

    async def wait_for_text(
        self,
        chat_id: int | None,
        contains: str,
        since: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109 (a deadline across several server waits)
        *,
        bot_id: int | None = None,
    ) -> JSON:
        """The first bot message after `since` whose text or caption contains `contains`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        cursor = since
        seen: list[str] = []
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no bot message containing {contains!r} within {timeout} s; saw {seen[-5:]}"
                )
            answer = await self.wait(chat_id, cursor, remaining, bot_id=bot_id)
            for message in answer["messages"]:
                shown = message["text"] if message["text"] is not None else message["caption"]
                if message["deleted"] or shown is None:
                    continue
                if contains in shown:
                    found: JSON = message
                    return found
                seen.append(shown)
            cursor = answer["cursor"]

    # --- faults, stats, reset -----------------------------------------------------------------

    async def faults(self, **changes: Any) -> JSON:
        """POST /emulator/faults: faults(blocked_users=[42], flood={"count": 1, ...})."""
        answer: JSON = await self._post("/emulator/faults", changes)
        return answer

    async def reset(self) -> None:
        await self._post("/emulator/reset", {})

    async def stats(self) -> JSON:
        answer: JSON = await self._get("/emulator/stats", {})
        return answer
