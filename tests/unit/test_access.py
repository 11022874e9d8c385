"""Invites, administrators and who may see or submit what, on fakes and the real catalogue."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kpi.access import Invite, Membership, Person, Role
from kpi.catalogue import Catalogue
from kpi.errors import AmbiguousUnitError, DomainError, UnknownUnitError
from services.access import (
    Outcome,
    Redemption,
    add_admin,
    create_invite,
    identify,
    redeem_invite,
    set_language,
)
from services.ports import UnitOfWork
from tests.fakes import FakeState, FakeUnitOfWork, FakeUnits

NOW = datetime(2022, 4, 1, 1, 0, tzinfo=UTC)
ADMIN = "tg:42"
LAN = 5_000_000_001
BINH = 5_000_000_002


async def store(kontum: Catalogue) -> tuple[FakeState, Callable[[], UnitOfWork]]:
    """A fake store with the catalogue's units."""
    state = FakeState()
    await FakeUnits(state).sync(kontum.units)
    return state, lambda: FakeUnitOfWork(state)


def no_database() -> UnitOfWork:
    raise AssertionError("the store must not be opened")


async def invite(
    uow: Callable[[], UnitOfWork],
    kontum: Catalogue,
    unit: str = "dak-ha",
    role: Role = Role.HEAD,
    days: int = 7,
) -> Invite:
    return await create_invite(uow, kontum, unit, role, ADMIN, NOW, days)


async def person(state: FakeState, telegram_id: int) -> Person:
    found = state.people.get(telegram_id)
    assert found is not None
    return found


# creating invites ------------------------------------------------------------------------------
async def test_an_invite_code_is_16_url_safe_characters_valid_as_a_deep_link_parameter(
    kontum: Catalogue,
) -> None:
    state, uow = await store(kontum)

    codes = {(await invite(uow, kontum)).code for _ in range(50)}

    assert len(codes) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", code) for code in codes)
    assert set(state.invites) == codes


async def test_an_invite_names_its_unit_role_author_and_expiry(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    created = await create_invite(uow, kontum, "Huyện Đăk Hà", Role.MEMBER, ADMIN, NOW, days=30)

    assert state.invites[created.code] == created
    assert (created.unit, created.role, created.created_by) == ("dak-ha", Role.MEMBER, ADMIN)
    assert (created.created_at, created.expires_at) == (NOW, NOW + timedelta(days=30))
    assert state.commits == 1


async def test_an_invite_to_a_commune_may_name_it_without_diacritics(kontum: Catalogue) -> None:
    _, uow = await store(kontum)

    created = await invite(uow, kontum, "xa dak hring")

    assert created.unit == "dak-hring"


async def test_an_ambiguous_unit_name_is_answered_with_its_candidates(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    with pytest.raises(AmbiguousUnitError) as raised:
        await invite(uow, kontum, "Đăk Hà")

    assert [u.code for u in raised.value.candidates] == [
        "dak-ha",
        "dak-ha-dak-ha",
        "tu-mo-rong-dak-ha",
    ]
    assert state.invites == {}


async def test_an_unknown_unit_is_refused(kontum: Catalogue) -> None:
    _, uow = await store(kontum)

    with pytest.raises(UnknownUnitError):
        await invite(uow, kontum, "Atlantis")


@pytest.mark.parametrize("days", [1, 90])
async def test_an_invite_may_last_from_one_to_ninety_days(kontum: Catalogue, days: int) -> None:
    _, uow = await store(kontum)

    created = await invite(uow, kontum, days=days)

    assert created.expires_at - created.created_at == timedelta(days=days)


@pytest.mark.parametrize("days", [0, -1, 91, 365])
async def test_an_invite_for_a_duration_out_of_range_is_refused(
    days: int, kontum: Catalogue
) -> None:
    with pytest.raises(DomainError, match="from 1 to 90 days"):
        await create_invite(no_database, kontum, "dak-ha", Role.HEAD, ADMIN, NOW, days)


# redeeming invites -----------------------------------------------------------------------------
async def test_redeeming_an_invite_joins_its_unit_with_its_role(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    code = (await invite(uow, kontum, "dak-ha", Role.MEMBER)).code

    result = await redeem_invite(uow, code, LAN, "Nguyễn Thị Lan", NOW + timedelta(hours=1))

    assert result == Redemption(Outcome.JOINED, "dak-ha", Role.MEMBER)
    assert await person(state, LAN) == Person(
        LAN, "Nguyễn Thị Lan", memberships=(Membership("dak-ha", Role.MEMBER),)
    )
    used = state.invites[code]
    assert (used.used_at, used.used_by) == (NOW + timedelta(hours=1), LAN)


async def test_a_code_that_was_never_issued_is_unknown(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    await invite(uow, kontum)

    result = await redeem_invite(uow, "AAAAAAAAAAAAAAAA", LAN, "Lan", NOW)

    assert result == Redemption(Outcome.UNKNOWN)
    assert state.people == {}


@pytest.mark.parametrize(
    "code", ["", "short", "AAAAAAAAAAAAAAAAA", "AAAAAAAA AAAAAAA", "AAAAAAAAAAAAAAA=", "Đ" * 16]
)
async def test_a_code_of_the_wrong_shape_is_unknown_without_opening_the_store(code: str) -> None:
    result = await redeem_invite(no_database, code, LAN, "Lan", NOW)

    assert result == Redemption(Outcome.UNKNOWN)


async def test_a_code_used_by_someone_else_is_used(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    code = (await invite(uow, kontum)).code
    await redeem_invite(uow, code, LAN, "Lan", NOW)
    commits = state.commits

    result = await redeem_invite(uow, code, BINH, "Bình", NOW)

    assert result == Redemption(Outcome.USED)
    assert BINH not in state.people
    assert state.commits == commits


async def test_redeeming_again_the_code_one_used_says_already_a_member(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    code = (await invite(uow, kontum, "dak-ha", Role.HEAD)).code
    await redeem_invite(uow, code, LAN, "Lan", NOW)
    commits = state.commits

    result = await redeem_invite(uow, code, LAN, "Lan", NOW + timedelta(days=30))

    assert result == Redemption(Outcome.ALREADY_MEMBER, "dak-ha", Role.HEAD)
    assert state.commits == commits


async def test_a_fresh_code_for_a_role_one_already_has_is_left_unused(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    first = (await invite(uow, kontum, "dak-ha", Role.HEAD)).code
    second = (await invite(uow, kontum, "dak-ha", Role.HEAD)).code
    await redeem_invite(uow, first, LAN, "Lan", NOW)

    result = await redeem_invite(uow, second, LAN, "Lan", NOW)

    assert result.outcome is Outcome.ALREADY_MEMBER
    assert state.invites[second].used_at is None


async def test_a_code_for_another_role_of_the_same_unit_changes_the_role(
    kontum: Catalogue,
) -> None:
    state, uow = await store(kontum)
    viewer = (await invite(uow, kontum, "dak-ha", Role.VIEWER)).code
    member = (await invite(uow, kontum, "dak-ha", Role.MEMBER)).code
    await redeem_invite(uow, viewer, LAN, "Lan", NOW)

    result = await redeem_invite(uow, member, LAN, "Lan", NOW)

    assert result == Redemption(Outcome.JOINED, "dak-ha", Role.MEMBER)
    assert (await person(state, LAN)).memberships == (Membership("dak-ha", Role.MEMBER),)


async def test_joining_a_second_unit_keeps_the_first(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    for unit in ("sa-thay", "dak-ha"):
        code = (await invite(uow, kontum, unit, Role.HEAD)).code
        await redeem_invite(uow, code, LAN, "Lan", NOW)

    assert [m.unit for m in (await person(state, LAN)).memberships] == ["dak-ha", "sa-thay"]


async def test_an_invite_expires_at_the_exact_moment_it_was_given(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    at_expiry = await invite(uow, kontum, days=7)
    just_before = await invite(uow, kontum, days=7)
    expiry = NOW + timedelta(days=7)

    expired = await redeem_invite(uow, at_expiry.code, LAN, "Lan", expiry)
    joined = await redeem_invite(
        uow, just_before.code, BINH, "Bình", expiry - timedelta(microseconds=1)
    )

    assert expired == Redemption(Outcome.EXPIRED)
    assert joined.outcome is Outcome.JOINED
    assert LAN not in state.people
    assert state.invites[at_expiry.code].used_at is None


async def test_a_code_pasted_with_spaces_around_it_still_works(kontum: Catalogue) -> None:
    _, uow = await store(kontum)
    code = (await invite(uow, kontum)).code

    result = await redeem_invite(uow, f"  {code}\n", LAN, "Lan", NOW)

    assert result.joined


async def test_redeeming_refreshes_the_name_of_someone_already_known(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    for unit, name in (("sa-thay", "Lan"), ("dak-ha", "Nguyễn Thị Lan")):
        code = (await invite(uow, kontum, unit)).code
        await redeem_invite(uow, code, LAN, name, NOW)

    assert (await person(state, LAN)).name == "Nguyễn Thị Lan"


# who may see and submit what ---------------------------------------------------------------------
async def joined(
    state: FakeState, uow: Callable[[], UnitOfWork], kontum: Catalogue, unit: str, role: Role
) -> Person:
    code = (await invite(uow, kontum, unit, role)).code
    assert (await redeem_invite(uow, code, LAN, "Lan", NOW)).joined
    return await person(state, LAN)


async def test_a_viewer_sees_their_unit_but_cannot_submit(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    viewer = await joined(state, uow, kontum, "so-tu-phap", Role.VIEWER)

    assert viewer.is_known
    assert viewer.can_see("so-tu-phap", kontum.units)
    assert not viewer.can_submit("so-tu-phap", kontum.units)


async def test_a_district_head_sees_and_submits_for_its_communes_but_not_another_district(
    kontum: Catalogue,
) -> None:
    state, uow = await store(kontum)

    head = await joined(state, uow, kontum, "dak-ha", Role.HEAD)

    tree = kontum.units
    for unit in ("dak-ha", "dak-hring", "dak-la", "dak-ha-dak-ha"):
        assert head.can_see(unit, tree)
        assert head.can_submit(unit, tree)
    for unit in ("sa-thay", "ho-moong", "kon-tum", "so-tu-phap", "tu-mo-rong-dak-ha"):
        assert not head.can_see(unit, tree)
        assert not head.can_submit(unit, tree)
    assert head.home_unit() == "dak-ha"


async def test_a_member_may_submit_for_their_unit(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    member = await joined(state, uow, kontum, "ho-moong", Role.MEMBER)

    assert member.can_submit("ho-moong", kontum.units)
    assert not member.can_see("sa-thay", kontum.units)


async def test_an_administrator_sees_and_submits_for_every_unit(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    admin = await add_admin(uow, 42, "Cường")

    assert admin == Person(42, "Cường", is_admin=True)
    assert state.people[42] == admin
    assert all(admin.can_see(u.code, kontum.units) for u in kontum.units)
    assert all(admin.can_submit(u.code, kontum.units) for u in kontum.units)


# administrators, identification and language -------------------------------------------------
async def test_an_administrator_added_by_id_alone_is_named_after_the_id(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    admin = await add_admin(uow, 42)
    renamed = await identify(uow, 42, "Cường")

    assert admin.name == "tg:42"
    assert renamed == state.people[42] == Person(42, "Cường", is_admin=True)


async def test_making_a_member_an_administrator_keeps_their_name_and_memberships(
    kontum: Catalogue,
) -> None:
    state, uow = await store(kontum)
    await joined(state, uow, kontum, "dak-ha", Role.HEAD)

    admin = await add_admin(uow, LAN)

    assert admin == Person(
        LAN, "Lan", is_admin=True, memberships=(Membership("dak-ha", Role.HEAD),)
    )


async def test_a_stranger_is_not_identified_nor_recorded(kontum: Catalogue) -> None:
    state, uow = await store(kontum)

    assert await identify(uow, LAN, "Lan") is None
    assert state.people == {}
    assert state.commits == 0


async def test_identifying_a_known_person_refreshes_their_display_name(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    await joined(state, uow, kontum, "dak-ha", Role.HEAD)

    same = await identify(uow, LAN, "Lan")
    commits = state.commits
    renamed = await identify(uow, LAN, "Nguyễn Thị Lan")

    assert same is not None
    assert same.name == "Lan"
    assert renamed is not None
    assert renamed.name == (await person(state, LAN)).name == "Nguyễn Thị Lan"
    assert state.commits == commits + 1


async def test_a_person_chooses_a_language_or_goes_back_to_telegrams(kontum: Catalogue) -> None:
    state, uow = await store(kontum)
    await add_admin(uow, 42, "Cường")

    english = await set_language(uow, 42, "Cường", "en")
    telegrams = await set_language(uow, 42, "Cường", None)

    assert english == Person(42, "Cường", "en", is_admin=True)
    assert telegrams == state.people[42] == Person(42, "Cường", is_admin=True)


async def test_a_language_the_bot_does_not_speak_is_refused(kontum: Catalogue) -> None:
    with pytest.raises(DomainError, match="vi, en"):
        await set_language(no_database, 42, "Cường", "fr")


async def test_a_stranger_choosing_a_language_is_recorded_but_still_a_stranger(
    kontum: Catalogue,
) -> None:
    state, uow = await store(kontum)

    chosen = await set_language(uow, LAN, "Lan", "vi")

    assert chosen == state.people[LAN] == Person(LAN, "Lan", "vi")
    assert not chosen.is_known
    assert await identify(uow, LAN, "Lan") == chosen
