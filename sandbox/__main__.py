"""`python -m sandbox --host H --port P`: run the Bot API emulator alone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence

from sandbox.server import serve


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chitieu emulator", description="Run the local Telegram Bot API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    options = parser.parse_args(argv)

    def ready(base_url: str) -> None:
        print(f"Emulator ready: {base_url}/", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.host, options.port, ready))
    return 0


if __name__ == "__main__":
    sys.exit(main())
