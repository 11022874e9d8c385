"""The sandbox's demo: who is in it, and a realistic set of figures for some units.

On the Kon Tum 2022 catalogue: six departments, the district of Đăk Glei and its twelve communes
report January to May 2022. Most meet their targets; on V.1 (dossiers resolved early or on time)
the district stays under its 97 %, a few units under their own target, and Đăk Blô under the 95 %
floor. On another catalogue (`demo_for`), the same profiles are given to its units of the same
code, else to its first units of the same place in the tree (below the root, with units under
them, at the bottom), for the months of its year. Figures are
derived from one profile a unit (per-mille shares of an ordinary month) by `demo_figures`, and
saved through `services.figures.submit_figures`, checked like any other submission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from kpi.access import Role
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from services.ports import UnitOfWork

YEAR = 2022
MONTHS = (1, 2, 3, 4, 5)
# An ordinary month is 100; Tết falls in February.
MONTH_LOAD = {1: 100, 2: 70, 3: 110, 4: 105, 5: 115, 6: 100}
AUTHOR = Author("sandbox", "Dữ liệu mẫu (sandbox)")


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A person of the demo: an emulator user with a label, and what the bot knows of them."""

    telegram_id: int
    name: str
    label: str  # shown under the name in the web chat's list of users
    unit: str | None = None
    role: Role | None = None
    admin: bool = False


ADMIN = DemoUser(9001, "Nguyễn Thị Thu", "Quản trị viên (Văn phòng UBND tỉnh)", admin=True)
DEPARTMENT_HEAD = DemoUser(9002, "Lê Văn Hùng", "Trưởng Sở Y tế", "so-y-te", Role.HEAD)
MIDDLE_HEAD = DemoUser(9003, "A Tuấn", "Chủ tịch UBND huyện Đăk Glei", "dak-glei", Role.HEAD)
LOCAL_HEAD = DemoUser(9004, "Y Hoa", "Chủ tịch UBND xã Đăk Blô", "dak-blo", Role.HEAD)
# Not bound to any unit: the sandbox makes an invite for them (INVITE) to show onboarding.
STRANGER = DemoUser(9005, "Trần Minh Khoa", "Người dùng mới")
USERS = (ADMIN, DEPARTMENT_HEAD, MIDDLE_HEAD, LOCAL_HEAD, STRANGER)

# The invite the stranger is given: an official reporting for Sở Y tế.
INVITE_UNIT = "so-y-te"
INVITE_ROLE = Role.MEMBER
INVITE_DAYS = 30


@dataclass(frozen=True, slots=True)
class Profile:
    """An ordinary month of one unit; shares are per mille (962 = 96.2 %)."""

    unit: str
    received: int  # dossiers received
    online: int  # share received online (III.2, target 25 %)
    in_time: int  # share of resolved dossiers resolved early or on time (V.1)
    synced: int = 980  # share of resolved whose results reached the national portal
    payments: int = 0  # fee payments
    paid_online: int = 0  # share paid online on the provincial system (IV.3.a, 30 %)
    paid_national: int = 0  # share paid online through the national portal (IV.1, 30 %)
    procedures: int = 0  # procedures within the unit's competence (stock)
    procedures_online: int = 0  # of those, online at level 3/4
    with_dossiers: int = 0  # online procedures that received a dossier (III.1, 50 %)
    with_fees: int = 0  # procedures with a fee
    fees_online: int = 0  # of those, set up for online payment (IV.3, 100 %)
    fees_national: int = 0  # of those, paid online on the national portal (IV.2, 60 %)
    e_receipts: bool = True  # a fee account and electronic receipts (IV.5)
    land: int = 0  # land dossiers with a financial obligation (IV.4, 30 %)
    land_online: int = 0
    certifications: int = 0  # certification dossiers (III.4.b, 10 %)
    e_certified: int = 0
    e_cert: bool = True  # offers electronic certified copies (III.4.a)
    eligible: int = 0  # departments: procedures eligible for level 3/4 (II.4)
    social: tuple[int, int] = (0, 0)  # departments: (total, online) services by sector
    education: tuple[int, int] = (0, 0)
    health: tuple[int, int] = (0, 0)


DEPARTMENTS = (
    Profile(
        "so-y-te",
        260,
        310,
        996,
        payments=120,
        paid_online=380,
        paid_national=330,
        procedures=143,
        procedures_online=131,
        with_dossiers=72,
        with_fees=61,
        fees_online=61,
        fees_national=40,
        eligible=131,
        health=(24, 22),
    ),
    Profile(
        "so-tu-phap",
        410,
        270,
        999,
        payments=300,
        paid_online=340,
        paid_national=310,
        procedures=152,
        procedures_online=140,
        with_dossiers=77,
        with_fees=48,
        fees_online=48,
        fees_national=31,
        eligible=140,
    ),
    Profile(
        "so-ke-hoach-va-dau-tu",
        520,
        640,
        1000,
        payments=90,
        paid_online=520,
        paid_national=450,
        procedures=118,
        procedures_online=118,
        with_dossiers=90,
        with_fees=22,
        fees_online=22,
        fees_national=18,
        eligible=118,
    ),
    Profile(
        "so-tai-nguyen-va-moi-truong",
        380,
        160,
        978,
        payments=210,
        paid_online=240,
        paid_national=190,
        procedures=121,
        procedures_online=97,
        with_dossiers=41,
        with_fees=57,
        fees_online=50,
        fees_national=29,
        land=60,
        land_online=210,
        eligible=104,
    ),
    Profile(
        "so-giao-thong-van-tai",
        690,
        410,
        993,
        payments=640,
        paid_online=460,
        paid_national=390,
        procedures=96,
        procedures_online=90,
        with_dossiers=58,
        with_fees=41,
        fees_online=41,
        fees_national=27,
        eligible=90,
    ),
    Profile(
        "so-lao-dong-thuong-binh-va-xa-hoi",
        230,
        190,
        986,
        payments=40,
        paid_online=200,
        paid_national=150,
        procedures=134,
        procedures_online=119,
        with_dossiers=52,
        with_fees=12,
        fees_online=12,
        fees_national=6,
        eligible=125,
        social=(38, 31),
    ),
)

MIDDLE = Profile(
    "dak-glei",
    310,
    140,
    961,
    payments=180,
    paid_online=260,
    paid_national=210,
    procedures=221,
    procedures_online=170,
    with_dossiers=79,
    with_fees=64,
    fees_online=58,
    fees_national=33,
    land=45,
    land_online=180,
    certifications=120,
    e_certified=90,
)


def _local(unit: str, received: int, online: int, in_time: int, e_certified: int = 140) -> Profile:
    return Profile(
        unit,
        received,
        online,
        in_time,
        synced=950,
        payments=received // 3,
        paid_online=320,
        paid_national=260,
        procedures=108,
        procedures_online=84,
        with_dossiers=40,
        with_fees=19,
        fees_online=19,
        fees_national=12,
        certifications=received // 2,
        e_certified=e_certified,
    )


LOCALS = (
    _local("dak-glei-dak-glei", 96, 330, 1000),
    _local("dak-blo", 38, 120, 935, e_certified=60),  # under the 95 % floor on V.1
    _local("dak-choong", 44, 210, 1000),
    _local("dak-kroong", 41, 260, 1000),
    _local("dak-glei-dak-long", 35, 190, 1000),
    _local("dak-man", 33, 170, 985),  # under its 100 % target on V.1
    _local("dak-mon", 47, 280, 1000),
    _local("dak-nhoong", 29, 150, 1000),
    _local("dak-pek", 52, 300, 1000),
    _local("muong-hoong", 31, 140, 990),  # under its 100 % target on V.1
    _local("ngoc-linh", 27, 110, 1000),
    _local("xop", 24, 200, 1000),
)

PROFILES = (*DEPARTMENTS, MIDDLE, *LOCALS)


@dataclass(frozen=True, slots=True)
class DemoSet:
    """The demo on one catalogue: its year, the profiles of its units, its people."""

    year: int
    profiles: tuple[Profile, ...]
    users: tuple[DemoUser, ...]
    invite_unit: str


def _placed(profiles: Sequence[Profile], units: Sequence[str]) -> list[Profile]:
    """The profiles on the given units, in order (as many as both have)."""
    return [replace(p, unit=u) for p, u in zip(profiles, units, strict=False)]


def demo_for(catalogue: Catalogue) -> DemoSet:
    """The demo on `catalogue`: as it is when the catalogue has the demo's units, else the
    profiles moved onto units of the same place in its tree."""
    tree = catalogue.units
    if all(p.unit in tree for p in PROFILES):
        return DemoSet(catalogue.year, PROFILES, USERS, INVITE_UNIT)
    root = tree.root
    below_root = [u for u in tree.children(root.code) if not tree.children(u.code)]
    second = tree.level_order[1] if len(tree.level_order) > 1 else root.level
    bottom = tree.level_order[-1]
    sides = [u.code for u in below_root if u.level == second and u.level != bottom]
    same = [p for p in DEPARTMENTS if p.unit in tree]
    departments = same or _placed(DEPARTMENTS, sides)
    middles = [u.code for u in tree if u.parent is not None and tree.children(u.code)]
    middle = _placed([MIDDLE], middles[:1])
    leaves = [u.code for u in tree if u.level == bottom and not tree.children(u.code)]
    locals_ = _placed(LOCALS, leaves)
    users: list[DemoUser] = [ADMIN]
    if departments:
        users.append(replace(DEPARTMENT_HEAD, unit=departments[0].unit, label="Trưởng đơn vị"))
    if middle:
        users.append(replace(MIDDLE_HEAD, unit=middle[0].unit, label="Chủ tịch UBND"))
    if len(locals_) > 1:
        local = tree.get(locals_[1].unit)
        users.append(replace(LOCAL_HEAD, unit=local.code, label=f"Chủ tịch UBND {local.name.vi}"))
    users.append(STRANGER)
    invite = departments[0].unit if departments else root.code
    return DemoSet(catalogue.year, (*departments, *middle, *locals_), tuple(users), invite)


def _share(whole: int, per_mille: int) -> int:
    return whole * per_mille // 1000


def month_values(profile: Profile, month: int) -> dict[str, int]:
    """Every element the profile gives for `month` (the caller keeps those the unit reports)."""
    load = MONTH_LOAD[month]
    received = profile.received * load // 100
    resolved = received * 96 // 100  # a few dossiers are still being worked on
    late = -(-resolved * (1000 - profile.in_time) // 1000)  # rounded up: never hides a late one
    in_time = resolved - late
    early = in_time * 3 // 10
    payments = profile.payments * load // 100
    land = profile.land * load // 100
    certifications = profile.certifications * load // 100
    growth = month - 1  # procedures go online month by month
    online = min(profile.procedures_online - len(MONTHS) + 1 + growth, profile.procedures)
    return {
        "dossiers_received": received,
        "dossiers_received_online": _share(received, profile.online),
        "dossiers_resolved": resolved,
        "dossiers_resolved_early": early,
        "dossiers_resolved_on_time": in_time - early,
        "dossiers_resolved_late": late,
        "results_synced_national": _share(resolved, profile.synced),
        "payment_transactions": payments,
        "payments_online": _share(payments, profile.paid_online),
        "payments_online_national": _share(payments, profile.paid_national),
        "land_fin_dossiers": land,
        "land_fin_paid_online": _share(land, profile.land_online),
        "cert_dossiers": certifications,
        "e_cert_dossiers": _share(certifications, profile.e_certified),
        "tthc_total": profile.procedures,
        "tthc_online": max(online, 0),
        "tthc_online_with_dossiers": min(profile.with_dossiers, max(online, 0)),
        "tthc_online_eligible": profile.eligible,
        "tthc_with_fees": profile.with_fees,
        "tthc_fees_online": profile.fees_online,
        "tthc_fees_paid_national": profile.fees_national,
        "dvc_social_total": profile.social[0],
        "dvc_social_online": profile.social[1],
        "dvc_edu_total": profile.education[0],
        "dvc_edu_online": profile.education[1],
        "dvc_health_total": profile.health[0],
        "dvc_health_online": profile.health[1],
        "e_cert_provided": int(profile.e_cert),
        "fee_account_e_receipts": int(profile.e_receipts),
    }


@dataclass(frozen=True, slots=True)
class Submission:
    unit: str
    period: Period
    values: dict[str, int]
    at: datetime  # when the unit sent them (UTC)


def demo_figures(catalogue: Catalogue, today: date) -> Iterator[Submission]:
    """The demo's submissions for the months of the catalogue's year that ended before `today`,
    each with the elements its unit's level reports, sent on the second day after the month's
    cut-off."""
    demo = demo_for(catalogue)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    cutoff = catalogue.calendar.cutoff_day
    for month in MONTHS:
        period = Period.month(demo.year, month)
        sent = date(demo.year, month, cutoff + 2)
        if sent >= today:
            continue
        at = datetime.combine(sent, time(9, 30), zone).astimezone(UTC)
        for profile in demo.profiles:
            unit = catalogue.units.get(profile.unit)
            asked = {e.code for e in catalogue.elements_for(unit)}
            values = {
                code: value
                for code, value in month_values(profile, month).items()
                if code in asked
            }
            yield Submission(unit.code, period, values, at)


async def load_demo_figures(
    unit_of_work: Callable[[], UnitOfWork], catalogue: Catalogue, today: date
) -> int:
    """Save the demo figures (source: sandbox); how many submissions were made."""
    made = 0
    for submission in demo_figures(catalogue, today):
        await submit_figures(
            unit_of_work,
            catalogue,
            submission.unit,
            submission.period,
            submission.values,
            AUTHOR,
            Source.SANDBOX,
            reason="dữ liệu mẫu",
            now=submission.at,
        )
        made += 1
    return made
