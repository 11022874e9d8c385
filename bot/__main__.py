"""`python -m bot`: run the bot (long polling, or a webhook when WEBHOOK_URL is set)."""

from __future__ import annotations

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
