"""The people of `bench.updates`: who they are, which unit they report for, and what they type.

Each person is bound to a department or a commune (heads and members alternately) and fills in
/submit with figures derived from a demo profile (`cli.demo.month_values`), so that every answer
set obeys the catalogue's rules. A form skips one group of related elements (the elements a rule
or a "part of" links together), so that a skipped figure never meets a typed one in a rule, and
now and then an answer is first mistyped and refused.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cli import demo
from kpi.access import Role
from kpi.catalogue import Catalogue
from kpi.elements import DataElement, ElementKind
from kpi.units import Level, Unit

FIRST_USER_ID = 710_001
DEPARTMENT_SHARE = 0.4  # of the people, the rest report for communes
TYPO_CHANCE = 0.3  # of a form having one answer mistyped first (and refused)
TYPOS = ("abc", "-5", "1,5")
REASON = "Cập nhật theo sổ theo dõi hồ sơ của đơn vị"


@dataclass(frozen=True, slots=True)
class Person:
    telegram_id: int
    name: str
    unit: Unit
    role: Role
    profile: demo.Profile


@dataclass(frozen=True, slots=True)
class Answer:
    """One step of the form: `skip`, a flag (`flag` is 1 or 0), or `text` typed (after `typo`)."""

    element: str
    skip: bool = False
    flag: int | None = None
    text: str | None = None
    typo: str | None = None


def _profile(unit: Unit, index: int, side: Level) -> demo.Profile:
    for profile in demo.PROFILES:
        if profile.unit == unit.code:
            return profile
    pool = demo.DEPARTMENTS if unit.level == side else demo.LOCALS
    return dataclasses.replace(pool[index % len(pool)], unit=unit.code)


def _ordered(units: Iterable[Unit], first: Sequence[str]) -> list[Unit]:
    """Units with those of the demo (which have figures) first."""
    listed = list(units)
    return sorted(listed, key=lambda u: (u.code not in first, listed.index(u)))


def roster(catalogue: Catalogue, count: int) -> list[Person]:
    """`count` people: DEPARTMENT_SHARE of them for departments, the rest for communes; a unit
    gets a second person only once every unit of its level has one."""
    demo_units = [p.unit for p in demo.PROFILES]
    order = catalogue.units.level_order
    side, leaf = order[1], order[-1]  # the departments' level, and the bottom one
    departments = _ordered((u for u in catalogue.units if u.level == side), demo_units)
    leaves = _ordered((u for u in catalogue.units if u.level == leaf), demo_units)
    to_departments = round(count * DEPARTMENT_SHARE)
    people: list[Person] = []
    for index in range(count):
        if index < to_departments:
            unit = departments[index % len(departments)]
        else:
            unit = leaves[(index - to_departments) % len(leaves)]
        people.append(
            Person(
                telegram_id=FIRST_USER_ID + index,
                name=f"Cán bộ {index + 1:02d}",
                unit=unit,
                role=Role.HEAD if index % 2 == 0 else Role.MEMBER,
                profile=_profile(unit, index, side),
            )
        )
    return people


def related_groups(catalogue: Catalogue, questions: Sequence[DataElement]) -> list[set[str]]:
    """The unit's questions grouped by the rules and "part of" links that join them."""
    codes = {q.code for q in questions}
    parent = {code: code for code in codes}

    def root(code: str) -> str:
        while parent[code] != code:
            code = parent[code]
        return code

    def join(linked: Iterable[str]) -> None:
        present = [code for code in linked if code in codes]
        for code in present[1:]:
            parent[root(code)] = root(present[0])

    for rule in catalogue.rules:
        join([*rule.left, *rule.right])
    for question in questions:
        if question.part_of is not None:
            join([question.code, question.part_of])
    groups: dict[str, set[str]] = {}
    for code in codes:
        groups.setdefault(root(code), set()).add(code)
    return sorted(groups.values(), key=sorted)


def typed(value: int, rng: random.Random) -> str:
    """A count as a person types it: 1020 or 1.020."""
    if value >= 1000 and rng.random() < 0.5:
        return f"{value:,}".replace(",", ".")
    return str(value)


def form_answers(
    catalogue: Catalogue, person: Person, rng: random.Random
) -> tuple[list[Answer], int]:
    """One /submit: an answer per question, and which month's load the figures follow."""
    questions = catalogue.elements_for(person.unit)
    month = rng.choice(sorted(demo.MONTH_LOAD))
    values = demo.month_values(person.profile, month)
    groups = [g for g in related_groups(catalogue, questions) if g <= set(values)]
    skipped = rng.choice(groups) if groups else set()
    typo_at = rng.randrange(len(questions)) if rng.random() < TYPO_CHANCE else -1
    answers: list[Answer] = []
    for index, question in enumerate(questions):
        value = values.get(question.code)
        if value is None or question.code in skipped:
            answers.append(Answer(question.code, skip=True))
        elif question.kind is ElementKind.FLAG:
            answers.append(Answer(question.code, flag=1 if value else 0))
        else:
            typo = rng.choice(TYPOS) if index == typo_at else None
            answers.append(Answer(question.code, text=typed(value, rng), typo=typo))
    return answers, month
