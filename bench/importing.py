"""Benchmark of `chitieu figures import`: rows per second and peak memory, by file size.

    python -m bench.importing [--rows 10000,200000] [--backends sqlite,postgresql]
                              [--database-url postgresql://...]

For each size, a CSV file of that many rows (unit, element, period, value: the figures of a
synthetic 1,000-unit tree over the months of 2022, `bench._synthetic`, which satisfy the
catalogue's rules) is imported into an empty database by `services.importing.import_figures`,
as the command line does (every row checked, then saved in short batches that move the
totals). Each import runs in a process of its own, so that its peak resident memory is its own.
PostgreSQL runs when `--database-url`, BENCH_DATABASE_URL or TEST_DATABASE_URL names a server
(a throw-away database is created and dropped).

The last line printed is `key=value` pairs, ending with `targets_met=1|0` (200,000 rows in
under 30 s on SQLite; peak memory for 200,000 rows under 4 times that for 10,000).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from bench._synthetic import YEAR, figures, synthetic_catalogue
from bench.status import POSTGRES_ENV, backend_url, render, say
from kpi.revisions import Author
from services.catalogue_file import DEFAULT_CATALOGUE, load_catalogue
from services.catalogues import Catalogues
from services.importing import import_figures
from storage import Database

UNITS = 1_000  # 1,000 units × 12 months × their levels' elements: about 330,000 figures
SEED = 2022
TARGET_200K_SQLITE_S = 30.0
TARGET_MEMORY_RATIO = 4.0
BACKENDS = ("sqlite", "postgresql")


def write_file(path: Path, rows: int) -> None:
    catalogue = synthetic_catalogue(load_catalogue(DEFAULT_CATALOGUE)[0], UNITS)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["unit", "element", "period", "value"])
        written = 0
        for figure in islice(figures(catalogue, SEED), rows):
            writer.writerow([figure.unit, figure.element, figure.period.key, figure.value])
            written += 1
    if written < rows:
        raise SystemExit(f"the synthetic tree gives {written} figures, fewer than {rows}")


async def import_once(url: str, path: Path) -> dict[str, float | int]:
    """Import `path` into the empty database at `url`: seconds, rows, peak memory (MiB)."""
    catalogue = synthetic_catalogue(load_catalogue(DEFAULT_CATALOGUE)[0], UNITS)
    async with Database.connect(url) as db:
        await db.upgrade()
        async with db.unit_of_work() as uow:
            await uow.units.sync(catalogue.units)
            await uow.commit()
        batches = 0

        async def counted(_revisions: int) -> None:
            nonlocal batches
            batches += 1

        started, cpu = time.perf_counter(), time.process_time()
        report = await import_figures(
            db.unit_of_work,
            path,
            Author("cli:bench", "bench"),
            catalogues=Catalogues({YEAR: catalogue}),
            on_batch=counted,
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows": report.rows,
        "revisions": report.revisions,
        "batches": batches,
        "peak_mib": peak,
    }


def run_child(url: str, path: Path) -> dict[str, float | int]:
    """`import_once` in a process of its own (its own peak memory)."""
    done = subprocess.run(  # noqa: S603 (our own module, our own arguments)
        [sys.executable, "-m", "bench.importing", "--child", url, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float | int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def bench(backends: Sequence[str], sizes: Sequence[int], postgres: str | None) -> int:
    metrics: dict[str, float | int] = {}
    missed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="chitieu-bench-import-") as directory:
        for rows in sizes:
            path = Path(directory) / f"{rows}.csv"
            write_file(path, rows)
            for backend in backends:
                if backend == "postgresql" and postgres:
                    os.environ[POSTGRES_ENV[0]] = postgres
                async with backend_url(backend) as url:
                    result = await asyncio.to_thread(run_child, url, path)
                prefix = f"{backend}_{rows}"
                rate = result["rows"] / result["seconds"]
                say(
                    f"[{backend}] {rows:,} rows: {result['seconds']:.1f} s"
                    f" ({result['cpu_seconds']:.1f} s of CPU), {rate:,.0f} rows/s,"
                    f" {result['batches']} batches, peak {result['peak_mib']:.0f} MiB"
                )
                metrics[f"{prefix}_s"] = result["seconds"]
                metrics[f"{prefix}_cpu_s"] = result["cpu_seconds"]
                metrics[f"{prefix}_rows_per_s"] = round(rate)
                metrics[f"{prefix}_batches"] = result["batches"]
                metrics[f"{prefix}_peak_mib"] = round(result["peak_mib"])
    big, small = max(sizes), min(sizes)
    if (
        "sqlite" in backends
        and big >= 200_000
        and metrics[f"sqlite_{big}_s"] >= TARGET_200K_SQLITE_S
    ):
        missed.append(f"sqlite: {big:,} rows take {TARGET_200K_SQLITE_S:.0f} s or more")
    for backend in backends:
        if big > small:
            ratio = metrics[f"{backend}_{big}_peak_mib"] / metrics[f"{backend}_{small}_peak_mib"]
            metrics[f"{backend}_memory_ratio"] = round(ratio, 2)
            if ratio >= TARGET_MEMORY_RATIO:
                missed.append(f"{backend}: peak memory grows {ratio:.1f} times")
    for what in missed:
        say(f"target missed: {what}")
    metrics["targets_met"] = int(not missed)
    say(" ".join(f"{key}={render(value)}" for key, value in metrics.items()))
    return 0


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(asyncio.run(import_once(argv[1], Path(argv[2])))))
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench.importing", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", default="10000,200000", help="file sizes in rows")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to use")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.rows.split(",") if s.strip())
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - set(BACKENDS) or not sizes:
        parser.error(f"backends are among {', '.join(BACKENDS)}; rows are integers")
    postgres = args.database_url or next(
        (os.environ[n] for n in POSTGRES_ENV if os.environ.get(n, "").strip()), None
    )
    if "postgresql" in backends and not postgres:
        say(f"postgresql: skipped (no --database-url, and {' or '.join(POSTGRES_ENV)} unset)")
        backends.remove("postgresql")
    return asyncio.run(bench(backends, sizes, postgres))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
