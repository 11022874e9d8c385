"""Benchmark of `status` and the alert sweep on a synthetic country-sized tree.

    python -m bench.status [--sizes 1000,10000] [--backends sqlite,postgresql]

For each size, a synthetic tree (1 province, departments and districts, communes under the
districts) gets every element its levels report for the twelve months of 2022, loaded in bulk
(Core executemany, not through the service), with totals from `kpi.aggregate.rollup` stored by
`replace_totals`. Then, on SQLite and on PostgreSQL (`BENCH_DATABASE_URL` or
`TEST_DATABASE_URL`; a throw-away database is created and dropped):

- `unit_status` of the root and of random communes (fresh unit of work per call): p50, p99;
- `sweep` (every unit and indicator once, what the alert sweep does): seconds;
- the naive loop: for every unit, the lines `unit_status` gives, computed the naive way: one
  query summing the subtree's current figures by element and level
  (`storage.naive.naive_subtree_values_by_level`) and, where an indicator binds each unit
  (III.4.b), one query for the members' own figures (`naive_member_values`), each member judged;
  then `evaluate_unit`. With more than `NAIVE_ALL` units it runs on a sample stratified by level
  and is extrapolated.

The last line printed is `key=value` pairs, ending with `targets_met=1|0`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import asyncpg
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from bench._synthetic import YEAR, figures, shape, synthetic_catalogue
from kpi.aggregate import Figure, Total, TotalKey, rollup
from kpi.catalogue import Catalogue
from kpi.each_unit import COUNTERS, Counts, counter_code, counter_rollup, each_unit_indicators
from kpi.evaluation import evaluate_unit, own_attainment
from kpi.periods import Period
from kpi.units import Level, Unit
from services.catalogue_file import DEFAULT_CATALOGUE, load_catalogue
from services.status import sweep, unit_status
from storage import Database
from storage.naive import naive_member_values, naive_subtree_values_by_level
from storage.tables import current_table, revision_table, unit_table

PERIOD = Period.parse(f"{YEAR}-Q1")
CHUNK = 5_000
WARMUPS = 3
ROOT_CALLS = 50
LEAF_CALLS = 200
SWEEPS = 3
NAIVE_ALL = 2_000  # up to this many units the naive loop runs on all of them
NAIVE_SAMPLE = 300  # above, on a sample of this many units stratified by level
SEED = 2022

TARGET_P99_MS = 50.0
TARGET_SWEEP_S = 5.0
TARGET_FLATNESS = 2.0

BACKENDS = ("sqlite", "postgresql")
POSTGRES_ENV = ("BENCH_DATABASE_URL", "TEST_DATABASE_URL")

Metrics = dict[str, float | int]
T = TypeVar("T")


def say(message: str) -> None:
    print(message, flush=True)


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


# data ---------------------------------------------------------------------------------------


@dataclass
class Dataset:
    catalogue: Catalogue
    figures: list[Figure]
    totals: dict[TotalKey, Total]
    generate_s: float
    rollup_s: float


def make_dataset(size: int) -> Dataset:
    base = load_catalogue(DEFAULT_CATALOGUE)[0]
    catalogue = synthetic_catalogue(base, size)
    s = shape(size)
    say(
        f"[{size}] tree: 1 province, {s.departments} departments, {s.middles} middle units,"
        f" {s.leaves} leaves"
    )
    started = time.perf_counter()
    data = list(figures(catalogue, SEED))
    generate_s = time.perf_counter() - started
    say(f"[{size}] {len(data):,} figures generated in {generate_s:.1f} s")
    started = time.perf_counter()
    totals = rollup(catalogue.units, catalogue.elements, data)
    totals.update(counter_rollup(catalogue, totals))  # each-unit verdicts, as the service keeps
    rollup_s = time.perf_counter() - started
    say(f"[{size}] kpi.aggregate.rollup: {len(totals):,} totals in {rollup_s:.1f} s")
    return Dataset(catalogue, data, totals, generate_s, rollup_s)


# backends -----------------------------------------------------------------------------------


def postgres_admin_url() -> str | None:
    for name in POSTGRES_ENV:
        url = os.environ.get(name, "").strip()
        if url:
            return url
    return None


def _asyncpg_dsn(url: str) -> str:
    parsed = make_url(url)
    parsed = parsed.set(drivername="postgresql", query={})
    return parsed.render_as_string(hide_password=False)


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def backend_url(backend: str) -> AsyncIterator[str]:
    """The URL of an empty database of `backend`, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="chitieu-bench-") as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        return
    admin = postgres_admin_url()
    assert admin is not None
    name = f"chitieu_bench_{uuid4().hex[:12]}"
    await _admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# loading ------------------------------------------------------------------------------------


async def load(db: Database, dataset: Dataset, label: str) -> float:
    """Units by `sync`, figures by Core executemany, totals by `replace_totals`; seconds."""
    started = time.perf_counter()
    async with db.unit_of_work() as uow:
        await uow.units.sync(dataset.catalogue.units)
        await uow.commit()
    at = datetime(YEAR, 12, 20, tzinfo=UTC)
    async with db.unit_of_work() as uow:
        connection = await uow.session.connection()
        ids = dict(
            (await connection.execute(select(unit_table.c.code, unit_table.c.id))).tuples().all()
        )
        loaded = 0
        for chunk in chunks(enumerate(dataset.figures, start=1), CHUNK):
            revisions: list[dict[str, Any]] = []
            current: list[dict[str, Any]] = []
            for revision_id, figure in chunk:
                unit_id = ids[figure.unit]
                period = figure.period
                common = {
                    "unit_id": unit_id,
                    "element_code": figure.element,
                    "period_key": period.key,
                    "year": period.year,
                    "first_month": period.first,
                    "last_month": period.last,
                    "value": figure.value,
                }
                revisions.append(
                    {
                        **common,
                        "id": revision_id,
                        "number": 1,
                        "previous": None,
                        "author_id": "bench:synthetic",
                        "author_name": "bench",
                        "source": "import",
                        "reason": None,
                        "created_at": at,
                    }
                )
                current.append({**common, "revision_id": revision_id, "updated_at": at})
            await connection.execute(insert(revision_table), revisions)
            await connection.execute(insert(current_table), current)
            loaded += len(chunk)
            if loaded % 500_000 < CHUNK:
                say(
                    f"  {label}: {loaded:,} figures loaded ({time.perf_counter() - started:.0f} s)"
                )
        await uow.commit()
    figures_done = time.perf_counter()
    async with db.unit_of_work() as uow:
        await uow.figures.replace_totals(YEAR, dataset.totals.items())
        await uow.commit()
    totals_done = time.perf_counter()
    async with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    done = time.perf_counter()
    say(
        f"  {label}: loaded in {done - started:.1f} s (figures {figures_done - started:.1f} s,"
        f" totals {totals_done - figures_done:.1f} s, analyze {done - totals_done:.1f} s)"
    )
    return done - started


# measurements -------------------------------------------------------------------------------


async def timed_calls(
    db: Database, call: Callable[[Any, str], Awaitable[object]], codes: Sequence[str]
) -> list[float]:
    """Seconds of `call(uow, code)` for each code, each in a fresh unit of work."""
    samples: list[float] = []
    for code in codes:
        started = time.perf_counter()
        async with db.unit_of_work() as uow:
            await call(uow, code)
        samples.append(time.perf_counter() - started)
    return samples


def naive_sample(catalogue: Catalogue, rng: random.Random) -> tuple[list[Unit], dict[Level, int]]:
    """Every unit up to NAIVE_ALL units, else NAIVE_SAMPLE of them stratified by level: every
    unit of the small levels (the root always), the rest of the budget to the larger ones."""
    order = catalogue.units.level_order
    by_level: dict[Level, list[Unit]] = {level: [] for level in order}
    for unit in catalogue.units:
        by_level[unit.level].append(unit)
    counts = {level: len(units) for level, units in by_level.items()}
    if len(catalogue.units) <= NAIVE_ALL:
        return list(catalogue.units), counts
    chosen: list[Unit] = []
    budget = NAIVE_SAMPLE
    levels = sorted((level for level in order if counts[level]), key=lambda lvl: counts[lvl])
    for i, level in enumerate(levels):
        share = max(1, budget // (len(levels) - i))
        units = by_level[level]
        taken = units if len(units) <= share else rng.sample(units, share)
        chosen.extend(taken)
        budget -= len(taken)
    return chosen, counts


async def naive_loop(
    db: Database, catalogue: Catalogue, units: Sequence[Unit]
) -> dict[Level, list[float]]:
    """Seconds per unit of the naive queries and evaluation, by level.

    The naive way computes the same lines as `unit_status`: one query summing the subtree's
    current figures by element and level, and, where an indicator binds each unit (III.4.b),
    one query for the members' own figures, each member judged and the verdicts counted.
    """
    spent: dict[Level, list[float]] = {level: [] for level in catalogue.units.level_order}
    each = each_unit_indicators(catalogue)
    async with db.unit_of_work() as uow:
        for unit in units:
            started = time.perf_counter()
            sums = await naive_subtree_values_by_level(uow, unit.code, PERIOD)
            totals: dict[tuple[str, Level], Total] = {
                (element, level): Total(value, 1) for (element, level), value in sums.items()
            }
            present = set(catalogue.units.levels_in_subtree(unit.code))
            for indicator in each:
                judged_levels = sorted(present & indicator.levels)
                if not judged_levels:
                    continue
                members = await naive_member_values(
                    uow,
                    unit.code,
                    PERIOD,
                    list(indicator.elements),
                    list(judged_levels),
                )
                for code, own in members.items():
                    member = catalogue.units.get(code)
                    mine = {(e, member.level): Total(v, 1) for e, v in own.items()}
                    counts = Counts.of(own_attainment(catalogue, member, indicator, mine))
                    for counter in COUNTERS:
                        key = (counter_code(indicator.code, counter), member.level)
                        previous = totals.get(key, Total(0, 0))
                        totals[key] = previous + Total(getattr(counts, counter), counts.judged)
            evaluate_unit(catalogue, unit, totals)
            spent[unit.level].append(time.perf_counter() - started)
    return spent


@dataclass
class Run:
    label: str
    metrics: Metrics = field(default_factory=dict)

    def put(self, name: str, value: float) -> None:
        self.metrics[f"{self.label}_{name}"] = value


async def measure(db: Database, dataset: Dataset, label: str) -> Metrics:
    catalogue = dataset.catalogue
    run = Run(label)
    rng = random.Random(SEED)
    root = catalogue.units.root.code
    leaf = catalogue.units.level_order[-1]
    leaves = [u.code for u in catalogue.units if u.level == leaf]

    async def status(uow: Any, code: str) -> object:
        return await unit_status(uow, catalogue, code, PERIOD)

    async with db.unit_of_work() as uow:
        lines = await unit_status(uow, catalogue, root, PERIOD)
        below = sum(1 for line in lines if line.attainment.status.severity)
    say(f"  {label}: root has {len(lines)} lines, {below} below target")

    await timed_calls(db, status, [root] * WARMUPS)
    samples = await timed_calls(db, status, [root] * ROOT_CALLS)
    run.put("root_p50_ms", 1000 * percentile(samples, 50))
    run.put("root_p99_ms", 1000 * percentile(samples, 99))
    say(
        f"  {label}: status(root) x{ROOT_CALLS}: p50 {run.metrics[f'{label}_root_p50_ms']:.1f} ms,"
        f" p99 {run.metrics[f'{label}_root_p99_ms']:.1f} ms"
    )

    await timed_calls(db, status, rng.sample(leaves, WARMUPS))
    samples = await timed_calls(db, status, [rng.choice(leaves) for _ in range(LEAF_CALLS)])
    run.put("leaf_p50_ms", 1000 * percentile(samples, 50))
    run.put("leaf_p99_ms", 1000 * percentile(samples, 99))
    say(
        f"  {label}: status(leaf) x{LEAF_CALLS}:"
        f" p50 {run.metrics[f'{label}_leaf_p50_ms']:.1f} ms,"
        f" p99 {run.metrics[f'{label}_leaf_p99_ms']:.1f} ms"
    )

    sweeps: list[float] = []
    for _ in range(SWEEPS):
        started = time.perf_counter()
        async with db.unit_of_work() as uow:
            swept = await sweep(uow, catalogue, PERIOD)
        sweeps.append(time.perf_counter() - started)
        assert len(swept) == len(catalogue.units)
    sweep_s = statistics.median(sweeps)
    run.put("sweep_s", sweep_s)
    shown = ", ".join(f"{s:.2f}" for s in sweeps)
    say(f"  {label}: sweep of {len(catalogue.units):,} units: {shown} s")

    units, counts = naive_sample(catalogue, rng)
    extrapolated = len(units) < len(catalogue.units)
    say(
        f"  {label}: naive loop on {len(units)} units"
        + (" (stratified sample, extrapolated to all)" if extrapolated else "")
    )
    spent = await naive_loop(db, catalogue, units)
    naive_s = sum(
        statistics.fmean(spent[level]) * counts[level] for level in spent if spent[level]
    )
    for level in spent:
        if spent[level]:
            say(
                f"    {level}: {len(spent[level])} units,"
                f" mean {1000 * statistics.fmean(spent[level]):.2f} ms"
            )
    run.put("naive_s", naive_s)
    run.put("naive_extrapolated", int(extrapolated))
    run.put("speedup", naive_s / sweep_s)
    say(f"  {label}: naive {naive_s:.2f} s, sweep {sweep_s:.2f} s: x{naive_s / sweep_s:.1f}")
    return run.metrics


async def bench_backend(backend: str, dataset: Dataset) -> Metrics:
    size = len(dataset.catalogue.units)
    label = f"{backend}_{size}"
    async with backend_url(backend) as url:
        db = Database.connect(url)
        try:
            await db.upgrade()
            load_s = await load(db, dataset, label)
            metrics = await measure(db, dataset, label)
            metrics[f"{label}_load_s"] = load_s
        finally:
            await db.dispose()
    return metrics


# targets and output -------------------------------------------------------------------------


def judge(
    metrics: Metrics, sizes: Sequence[int], backends: Sequence[str]
) -> tuple[Metrics, list[str]]:
    """Flatness ratios and whether every target holds (at the largest size measured)."""
    extra: Metrics = {}
    missed: list[str] = []
    largest = max(sizes)
    smallest = min(sizes)

    def check(ok: bool, what: str) -> None:
        if not ok:
            missed.append(what)

    for backend in backends:
        big = f"{backend}_{largest}"
        if f"{big}_sweep_s" not in metrics:
            continue
        if backend == "sqlite":
            for where in ("root", "leaf"):
                p99 = metrics[f"{big}_{where}_p99_ms"]
                check(p99 <= TARGET_P99_MS, f"{big} {where} p99 {p99:.1f} ms > {TARGET_P99_MS}")
        check(
            metrics[f"{big}_sweep_s"] <= TARGET_SWEEP_S,
            f"{big} sweep {metrics[f'{big}_sweep_s']:.2f} s > {TARGET_SWEEP_S}",
        )
        if smallest < largest:
            small = f"{backend}_{smallest}"
            for where in ("root", "leaf"):
                ratio = metrics[f"{big}_{where}_p50_ms"] / metrics[f"{small}_{where}_p50_ms"]
                extra[f"{backend}_flatness_{where}"] = ratio
                check(ratio <= TARGET_FLATNESS, f"{backend} {where} flatness {ratio:.2f} > 2")
    if smallest == largest:
        missed.append("flatness not measured: give two sizes (e.g. 1000,10000)")
    return extra, missed


def render(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.status", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="1000,10000", help="unit counts (default 1000,10000)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - set(BACKENDS)
    if unknown or not args.backends or not args.sizes:
        parser.error(f"backends are among {', '.join(BACKENDS)}; sizes are integers")
    return args


async def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    backends: list[str] = list(args.backends)
    if "postgresql" in backends and postgres_admin_url() is None:
        say(f"postgresql: skipped ({' and '.join(POSTGRES_ENV)} are not set)")
        backends.remove("postgresql")
    metrics: Metrics = {}
    for size in sorted(args.sizes):
        dataset = make_dataset(size)
        # The harness's millions of figures and totals are not the bot's: keep them out of the
        # garbage collector's scans, or its pauses land in the timings.
        gc.collect()
        gc.freeze()
        metrics[f"{size}_figures"] = len(dataset.figures)
        metrics[f"{size}_totals"] = len(dataset.totals)
        metrics[f"{size}_rollup_s"] = dataset.rollup_s
        for backend in backends:
            metrics.update(await bench_backend(backend, dataset))
        del dataset
        gc.unfreeze()
        gc.collect()
    extra, missed = judge(metrics, args.sizes, backends)
    metrics.update(extra)
    for what in missed:
        say(f"target missed: {what}")
    metrics["wall_s"] = time.perf_counter() - started
    metrics["targets_met"] = int(not missed and bool(backends))
    say(" ".join(f"{key}={render(value)}" for key, value in metrics.items()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
