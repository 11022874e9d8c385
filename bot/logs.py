"""Logging for the bot's processes: one line per update at INFO, and never the token."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx logs every request URL at INFO, and a Bot API URL holds the token.
QUIET = ("httpx", "httpcore", "apscheduler")


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then replaces the secrets (message, arguments and tracebacks alike)."""

    def __init__(self, secrets: tuple[str, ...], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text


def configure_logging(*secrets: str, level: int = logging.INFO) -> None:
    """Log to stderr at `level`; httpx only on warnings; `secrets` never written."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    formatter = RedactingFormatter(secrets)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
