"""Benchmark of entering figures fast: a free-text message read, a 500-row file checked.

    python -m bench.entry [--rows 500] [--messages 200]

- free text: `kpi.free_text.read_figures` of the six-figure message a commune head writes, against
  the elements a commune is asked, `--messages` times: CPU milliseconds per message;
- file: `services.entry.check_file` (what the bot does when a file arrives: read, every row
  checked as the import checks it, the rules over the stored figures, the units allowed) of a
  CSV of `--rows` rows (communes × months × dossier elements) on a fresh SQLite database with
  the Kon Tum catalogue loaded: CPU milliseconds of the process for the whole check.

CPU time (`time.process_time`), not wall-clock: the machine is shared. The last line printed is
`key=value` pairs, ending with `targets_met=1|0` (each under 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from kpi.free_text import element_words, read_figures
from kpi.numbers import parse_count, parse_flag
from kpi.periods import Period
from services.catalogue_file import DEFAULT_CATALOGUE, load_catalogue
from services.catalogues import Catalogues, load_into_store
from services.entry import check_file
from storage import Database

MESSAGE = (
    "Tháng 11: tiếp nhận 1.200, trực tuyến 300, giải quyết 1.150 "
    "(trước hạn 600, đúng hạn 500, trễ 50)"
)
TARGET_MS = 100.0
DOSSIERS = (
    ("dossiers_received", 1200),
    ("dossiers_received_online", 300),
    ("dossiers_resolved", 1150),
    ("dossiers_resolved_early", 600),
    ("dossiers_resolved_on_time", 500),
    ("dossiers_resolved_late", 50),
)


def free_text_ms(messages: int) -> float:
    catalogue = load_catalogue(DEFAULT_CATALOGUE)[0]
    words = element_words(catalogue.elements_for(catalogue.units.get("dak-blo")))
    month = Period.month(2022, 11)
    started = time.process_time()
    for _ in range(messages):
        reading = read_figures(MESSAGE, words, parse_count, parse_flag, 2022, month)
    spent = time.process_time() - started
    assert len(reading.values) == len(DOSSIERS), reading
    return spent * 1000 / messages


def csv_of(rows: int, leaves: list[str]) -> str:
    lines = ["unit,element,period,value"]
    for unit in leaves:
        for month in range(1, 13):
            for element, value in DOSSIERS:
                if len(lines) > rows:
                    return "\n".join(lines) + "\n"
                lines.append(f"{unit},{element},2022-{month:02d},{value}")
    return "\n".join(lines) + "\n"


async def file_ms(rows: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database.connect(f"sqlite+aiosqlite:///{folder}/bench.db")
        try:
            await database.upgrade()
            await load_into_store(database.unit_of_work, DEFAULT_CATALOGUE)
            async with database.unit_of_work() as uow:
                catalogues = await Catalogues.from_store(uow)
            units = catalogues.newest.units
            parents = {u.parent for u in units}
            leaves = [u.code for u in units if u.code not in parents]  # the lowest level
            path = Path(folder) / "figures.csv"
            path.write_text(csv_of(rows, leaves), encoding="utf-8")
            started = time.process_time()
            async with database.autocommit() as uow:
                groups = await check_file(uow, catalogues, path, Path(folder), lambda _u: True)
            spent = time.process_time() - started
        finally:
            await database.dispose()
    return spent * 1000, sum(len(g.values) for g in groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    message_ms = free_text_ms(args.messages)
    print(f"free text: {message_ms:.2f} ms CPU per message ({args.messages} messages)")
    check_ms, checked = asyncio.run(file_ms(args.rows))
    print(f"file check: {check_ms:.1f} ms CPU for {checked} rows")
    met = int(message_ms < TARGET_MS and check_ms < TARGET_MS)
    print(
        f"free_text_ms={message_ms:.2f} file_rows={checked} file_check_ms={check_ms:.1f}"
        f" target_ms={TARGET_MS:.0f} targets_met={met}"
    )


if __name__ == "__main__":
    main()
