"""The webhook's answer to a body that is not an update: 200, logged, dropped.

python-telegram-bot's webhook server answers a body that is not JSON with 500 and JSON that is
not an update with 400; Telegram then delivers the same body again and again (it retries every
non-2xx answer), and the updates queued behind it wait. A body that cannot be read will not
become readable: answer 200 and log a warning with its size (never its content, which may be
what a person typed). A missing or wrong secret is still refused with 403.

`tolerate_malformed_updates()` puts `TolerantTelegramHandler` in place of PTB's request
handler; `bot.app.run` calls it before `run_webhook`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import tornado.web
from telegram.ext._utils import webhookhandler

logger = logging.getLogger("bot.webhook")


class TolerantTelegramHandler(webhookhandler.TelegramHandler):
    """PTB's webhook handler, answering 200 to a body that is not an update."""

    async def post(self) -> None:
        try:
            await super().post()
        except ValueError:  # not JSON (json.JSONDecodeError), or not UTF-8
            self._dropped("is not JSON")
        except tornado.web.HTTPError as error:
            if error.status_code != HTTPStatus.BAD_REQUEST:
                raise  # 403: no secret, or a wrong one
            self._dropped("is not an update")

    def _dropped(self, why: str) -> None:
        logger.warning(
            "webhook: a body of %d bytes %s: answered 200 and dropped", len(self.request.body), why
        )
        self.set_status(HTTPStatus.OK)


def tolerate_malformed_updates() -> None:
    """Make PTB's webhook server use TolerantTelegramHandler (idempotent)."""
    webhookhandler.TelegramHandler = TolerantTelegramHandler  # type: ignore[misc]
