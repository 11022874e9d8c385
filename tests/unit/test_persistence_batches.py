"""StorePersistence: the writes PTB hands over together are committed in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.persistence import StorePersistence, conversation_namespace
from tests.fakes import FakeConversations, FakeState, FakeUnitOfWork


async def test_concurrent_writes_are_committed_together_and_each_returns_after_it() -> None:
    state = FakeState()
    persistence = StorePersistence(lambda: FakeUnitOfWork(state))

    await asyncio.gather(
        persistence.update_user_data(7, {"submit": {"unit": "so-tu-phap"}}),
        persistence.update_conversation("submit", (7, 7), "question"),
    )

    assert state.commits == 1
    assert state.conversations == {
        ("user_data", "7"): '{"submit": {"unit": "so-tu-phap"}}',
        (conversation_namespace("submit"), "[7, 7]"): '"question"',
    }
    await persistence.update_conversation("submit", (7, 7), None)
    assert state.commits == 2
    assert (conversation_namespace("submit"), "[7, 7]") not in state.conversations
    assert await StorePersistence(lambda: FakeUnitOfWork(state)).get_user_data() == {
        7: {"submit": {"unit": "so-tu-phap"}}
    }


async def test_a_failed_batch_fails_every_write_in_it_and_the_next_one_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = FakeState()
    persistence = StorePersistence(lambda: FakeUnitOfWork(state))
    save = FakeConversations.save

    async def broken(self: FakeConversations, namespace: str, key: str, value: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(FakeConversations, "save", broken)
    results = await asyncio.gather(
        persistence.update_user_data(7, {"a": 1}),
        persistence.update_conversation("submit", (7, 7), "question"),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [OSError, OSError]
    assert state.commits == 0

    monkeypatch.setattr(FakeConversations, "save", save)
    await persistence.update_user_data(7, {"a": 1})  # not marked as stored: written again
    assert state.commits == 1
    assert state.conversations == {("user_data", "7"): '{"a": 1}'}


async def test_an_unchanged_conversation_state_is_not_written_again() -> None:
    state = FakeState()
    persistence = StorePersistence(lambda: FakeUnitOfWork(state))
    await persistence.update_conversation("submit", (7, 7), "question")
    await persistence.update_conversation("submit", (7, 7), "question")
    assert state.commits == 1

    reloaded = StorePersistence(lambda: FakeUnitOfWork(state))
    assert await reloaded.get_conversations("submit") == {(7, 7): "question"}
    await reloaded.update_conversation("submit", (7, 7), "question")
    await reloaded.update_conversation("submit", (8, 8), None)  # never stored
    assert state.commits == 1
    await reloaded.update_conversation("submit", (7, 7), "confirm")
    await reloaded.update_conversation("submit", (7, 7), None)
    assert state.commits == 3
    assert state.conversations == {}


async def test_every_batch_is_written_by_save_all_in_a_unit_of_work_of_autocommit() -> None:
    state = FakeState()
    opened: list[str] = []

    def opening(kind: str) -> Callable[[], FakeUnitOfWork]:
        def open_one() -> FakeUnitOfWork:
            opened.append(kind)
            return FakeUnitOfWork(state)

        return open_one

    persistence = StorePersistence(opening("transaction"), autocommit=opening("autocommit"))
    await persistence.update_conversation("submit", (7, 7), "question")
    await asyncio.gather(
        persistence.update_user_data(7, {"a": 1}),
        persistence.update_conversation("submit", (7, 7), "answer"),
    )

    assert opened == ["autocommit", "autocommit"]
    assert state.commits == 2
    assert state.conversations == {
        ("user_data", "7"): '{"a": 1}',
        (conversation_namespace("submit"), "[7, 7]"): '"answer"',
    }
