"""The delivery worker's pacing and backoff, on a clock the test moves (no sleeping)."""

from __future__ import annotations

from scheduler.delivery import DeliveryLimits, Pacer

LIMITS = DeliveryLimits()


def sends_within(pacer: Pacer, chats: list[int], seconds: float, step: float = 0.001) -> int:
    """How many messages the pacer lets out in `seconds`, round robin over `chats`."""
    sent = 0
    now = 0.0
    turn = 0
    while now < seconds:
        chat = chats[turn % len(chats)]
        if pacer.wait(chat, now) == 0:
            pacer.take(chat, now)
            sent += 1
            turn += 1
        now += step
    return sent


def test_the_overall_rate_is_kept_after_a_small_burst() -> None:
    pacer = Pacer(LIMITS, 0.0)
    sent = sends_within(pacer, list(range(1, 5001)), 10.0)
    assert 300 <= sent <= 300 + LIMITS.overall_burst


def test_one_private_chat_gets_about_one_message_a_second() -> None:
    pacer = Pacer(LIMITS, 0.0)
    assert sends_within(pacer, [42], 10.0) in {10, 11}


def test_a_group_gets_at_most_twenty_messages_a_minute() -> None:
    pacer = Pacer(LIMITS, 0.0)
    assert sends_within(pacer, [-100], 60.0, step=0.01) <= 21


def test_a_scaled_pacer_is_as_much_faster() -> None:
    pacer = Pacer(LIMITS.scaled(3), 0.0)
    sent = sends_within(pacer, list(range(1, 5001)), 10.0)
    assert 900 <= sent <= 900 + LIMITS.overall_burst


def test_a_pause_stops_every_chat_until_it_ends() -> None:
    pacer = Pacer(LIMITS, 0.0)
    pacer.pause(5.0)
    assert pacer.wait(1, 0.0) == 5.0
    assert pacer.wait(2, 4.0) == 1.0
    assert pacer.wait(3, 5.0) == 0.0
    pacer.pause(2.0)  # an earlier end does not shorten the pause
    assert pacer.paused_until == 5.0


def test_a_chat_waiting_does_not_hold_other_chats_back() -> None:
    pacer = Pacer(LIMITS, 0.0)
    pacer.take(42, 0.0)
    assert pacer.wait(42, 0.1) > 0.8
    assert pacer.wait(43, 0.1) == 0.0


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    limits = DeliveryLimits(backoff_base=2.0, backoff_max=60.0)
    assert [limits.backoff(n, 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert [limits.backoff(n, 0.999) for n in (1, 2)] == [1.999, 3.998]
    assert limits.backoff(20, 0.0) == 30.0
    assert limits.backoff(20, 1.0) == 60.0


def test_idle_chats_are_forgotten() -> None:
    pacer = Pacer(LIMITS, 0.0)
    now = 0.0
    for chat in range(1, 1001):
        now += 0.04
        pacer.take(chat, now)
    assert len(pacer.chats) < 100
