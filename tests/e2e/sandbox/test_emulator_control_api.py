"""The control API under /emulator/ and its Python client."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox import EmulatorClient, RunningEmulator
from sandbox.__main__ import main
from sandbox.client import EmulatorError
from sandbox.testing import TEST_BOT_ID as BOT_ID
from sandbox.testing import TEST_TOKEN as TOKEN
from sandbox.testing import BotApi

USER = 3003
GROUP = -3003
ROOT = Path(__file__).resolve().parents[3]


async def test_a_user_message_arrives_as_an_update_with_its_command_entity(
    api: BotApi, control: EmulatorClient
) -> None:
    sent = await control.send(USER, "/start abc", first_name="Lan", language_code="vi")
    assert sent["chat_id"] == USER
    assert sent["message_id"] == 1
    (update,) = await api.ok("getUpdates")
    assert update["update_id"] == sent["update_id"]
    message = update["message"]
    assert message["chat"] == {"id": USER, "type": "private", "first_name": "Lan"}
    assert message["from"] == {
        "id": USER,
        "is_bot": False,
        "first_name": "Lan",
        "language_code": "vi",
    }
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert isinstance(message["date"], int)
    assert message["date"] < 10**11  # seconds, not milliseconds


async def test_a_group_is_created_on_first_use_and_the_user_joins_it(
    api: BotApi, control: EmulatorClient
) -> None:
    sent = await control.send(USER, "hi all", chat_id=GROUP, chat_title="Tổ công tác")
    assert sent["chat_id"] == GROUP
    added, update = await api.ok("getUpdates")  # the bot is told it was added, then the text
    assert added["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert update["message"]["chat"] == {"id": GROUP, "type": "group", "title": "Tổ công tác"}
    await api.ok("sendMessage", chat_id=GROUP, text="chào nhóm")
    chats = await control.chats(USER)
    assert [(c["chat_id"], c["type"], c["title"]) for c in chats] == [
        (USER, "private", "User 3003"),
        (GROUP, "group", "Tổ công tác"),
    ]
    assert chats[1]["last_text"] == "chào nhóm"
    assert chats[1]["last_seq"] > 0


async def test_messages_list_the_bots_messages_in_order_with_a_cursor(
    api: BotApi, control: EmulatorClient
) -> None:
    await control.send(USER, "hi")
    markup = {
        "inline_keyboard": [
            [{"text": "A", "callback_data": "a"}, {"text": "W", "url": "https://example.org"}]
        ]
    }
    first = await api.ok("sendMessage", chat_id=USER, text="one", reply_markup=markup)
    second = await api.ok("sendMessage", chat_id=USER, text="<i>two</i>", parse_mode="HTML")
    listed = await control.messages(USER)
    assert [m["text"] for m in listed["messages"]] == ["one", "two"]
    one, two = listed["messages"]
    assert one["buttons"] == [
        [{"text": "A", "callback_data": "a"}, {"text": "W", "url": "https://example.org"}]
    ]
    assert one["sender"] == "bot"
    assert two["parse_mode"] == "HTML"
    assert two["entities"] == [{"type": "italic", "offset": 0, "length": 3}]
    assert listed["cursor"] == two["seq"] > one["seq"]
    assert await control.messages(USER, since=listed["cursor"]) == {
        "messages": [],
        "cursor": listed["cursor"],
    }
    await api.ok("editMessageText", chat_id=USER, message_id=first["message_id"], text="uno")
    await api.ok("deleteMessage", chat_id=USER, message_id=second["message_id"])
    changed = await control.messages(USER, since=listed["cursor"])
    assert [(m["text"], m["edited"], m["deleted"]) for m in changed["messages"]] == [
        ("uno", True, False),
        ("two", False, True),
    ]
    everything = await control.messages(USER, include_user=True)
    assert [(m["sender"], m["user_id"]) for m in everything["messages"]] == [
        ("user", USER),
        ("bot", None),
        ("bot", None),
    ]


async def test_wait_answers_as_soon_as_the_bot_posts(api: BotApi, control: EmulatorClient) -> None:
    await control.send(USER, "hi")
    cursor = (await control.messages(USER))["cursor"]
    waiting = asyncio.create_task(control.wait(USER, since=cursor, timeout=20))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await api.ok("sendMessage", chat_id=USER, text="now")
    answer = await asyncio.wait_for(waiting, 2)
    assert [m["text"] for m in answer["messages"]] == ["now"]
    anywhere = await control.wait(None, since=cursor, timeout=1)
    assert [m["chat_id"] for m in anywhere["messages"]] == [USER]


async def test_wait_gives_an_empty_list_at_its_timeout(
    api: BotApi, control: EmulatorClient
) -> None:
    del api
    assert await control.wait(USER, since=5, timeout=0.1) == {"messages": [], "cursor": 5}
    with pytest.raises(TimeoutError):
        await control.wait_for_text(USER, "never", timeout=0.1)


async def test_an_uploaded_document_reaches_the_bot_with_its_name_and_type(
    api: BotApi, control: EmulatorClient
) -> None:
    uploaded = await control.upload(
        USER, "báo cáo.xlsx", b"PK\x03\x04", content_type="application/vnd.ms-excel", caption="Q3"
    )
    (update,) = await api.ok("getUpdates")
    document = update["message"]["document"]
    assert document["file_id"] == uploaded["file_id"]
    assert document["file_name"] == "báo cáo.xlsx"
    assert document["mime_type"] == "application/vnd.ms-excel"
    assert update["message"]["caption"] == "Q3"
    file = await api.ok("getFile", file_id=uploaded["file_id"])
    assert (await api.http.get(f"/file/bot{TOKEN}/{file['file_path']}")).content == b"PK\x03\x04"
    listed = await control.messages(USER, include_user=True)
    assert listed["messages"][0]["document"]["url"] == f"/emulator/files/{uploaded['file_id']}"


async def test_users_and_groups_can_be_prepared_before_they_speak(
    api: BotApi, control: EmulatorClient
) -> None:
    admin = await control.create_user(
        7,
        "Minh",
        last_name="Trần",
        username="minh_tran",
        language_code="vi",
        label="Quản trị viên",
    )
    assert admin["label"] == "Quản trị viên"
    await control.create_user(7, "Minh Anh")
    (user,) = await control.users()
    assert (user["first_name"], user["label"], user["username"]) == (
        "Minh Anh",
        "Quản trị viên",
        "minh_tran",
    )
    group = await control.create_group("Ban chỉ đạo", [7, 8], chat_type="supergroup")
    assert group < -1_000_000_000_000
    sent = await api.ok("sendMessage", chat_id=group, text="họp lúc 9 giờ")
    assert sent["chat"]["type"] == "supergroup"
    assert await api.ok("sendMessage", chat_id="@minh_tran", text="chào")
    assert [c["chat_id"] for c in await control.chats(8)] == [8, group]


async def test_several_bots_are_served_and_addressed_by_bot_id(
    server: RunningEmulator, api: BotApi, control: EmulatorClient
) -> None:
    other = BotApi(api.http, "999:echo-bot")
    await other.ok("getMe")
    configured = await control.set_bot(TOKEN, username="chitieu_bot", first_name="Chỉ tiêu")
    assert configured["bot_id"] == BOT_ID
    assert (await api.ok("getMe"))["username"] == "chitieu_bot"
    await control.send(USER, "to the echo bot")  # the most recently created bot
    await control.send(USER, "to ours", bot_id=BOT_ID)
    assert [u["message"]["text"] for u in await other.ok("getUpdates")] == ["to the echo bot"]
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["to ours"]
    assert set(server.emulator.bots) == {BOT_ID, 999}


async def test_control_errors_are_json_with_a_4xx_status(
    server: RunningEmulator, control: EmulatorClient
) -> None:
    with pytest.raises(EmulatorError) as no_bot:
        await control.send(USER, "nobody listens")
    assert no_bot.value.status == 409
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        answer = await http.post("/emulator/faults", json={"teleport": True})
        assert answer.status_code == 400
        assert "unknown fault keys" in answer.json()["error"]
        answer = await http.post("/emulator/users", content=b"not json")
        assert answer.status_code == 400
        assert answer.json() == {"error": "the body must be a JSON object"}


async def test_reset_forgets_everything_and_stats_count_what_happened(
    server: RunningEmulator, api: BotApi, control: EmulatorClient
) -> None:
    await control.send(USER, "hi")
    await api.ok("sendMessage", chat_id=USER, text="one")
    await api.error("sendMessage", chat_id=USER)
    await control.faults(blocked_users=[USER], limits={"enabled": True})
    stats = await control.stats()
    assert stats["requests"]["sendMessage"] == 2
    assert stats["requests"]["getMe"] == 1
    assert stats["sent"] == 1
    assert stats["messages_per_chat"] == {str(USER): 1}
    assert stats["errors"] == {"400": 1}
    assert stats["rate_limited"] == 0
    await control.reset()
    assert await control.stats() == {
        "requests": {},
        "rate_limited": 0,
        "messages_per_chat": {},
        "sent": 0,
        "errors": {},
    }
    assert await control.users() == []
    assert server.emulator.bots == {}
    state = await control.faults()
    assert state["blocked_users"] == []
    assert state["limits"]["enabled"] is False


async def test_the_web_chat_is_served_from_the_sandbox_folder(server: RunningEmulator) -> None:
    web = ROOT / "sandbox" / "web"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        index = await http.get("/")
        if (web / "index.html").is_file():
            assert index.status_code == 200
            assert index.content == (web / "index.html").read_bytes()
        else:
            assert index.status_code == 404
        for path in sorted(web.iterdir()):
            if path.is_file():
                assert (await http.get(f"/web/{path.name}")).content == path.read_bytes()
        assert (await http.get("/web/missing.js")).status_code == 404
        assert (await http.get("/web/%2e%2e/server.py")).status_code == 404


async def test_many_messages_stay_fast_to_list_since_a_cursor(
    server: RunningEmulator, api: BotApi, control: EmulatorClient
) -> None:
    await control.send(USER, "hi")
    loop = asyncio.get_running_loop()
    for i in range(300):
        await api.ok("sendMessage", chat_id=USER, text=f"m{i}")
    cursor = (await control.messages(USER))["cursor"]
    await api.ok("sendMessage", chat_id=USER, text="latest")
    started = loop.time()
    for _ in range(50):
        latest = await control.messages(USER, since=cursor)
    assert [m["text"] for m in latest["messages"]] == ["latest"]
    assert loop.time() - started < 2
    assert len(server.emulator.conversations) == 1


def test_main_refuses_a_bad_port() -> None:
    with pytest.raises(SystemExit):
        main(["--port", "not-a-port"])


def test_python_m_sandbox_prints_its_url_once_listening() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.fullmatch(r"Emulator ready: (http://127\.0\.0\.1:\d+/)\n", line)
            assert match, line
            answer = httpx.get(f"{match.group(1)}bot1:x/getMe", timeout=5)
            assert answer.json()["result"]["username"] == "bot1_bot"
        finally:
            process.terminate()
            process.wait(timeout=10)
