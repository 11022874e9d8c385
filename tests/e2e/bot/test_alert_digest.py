"""The sandbox's Đăk Glei case, as its district head reads it: the alert sweep over the demo's
2022 figures sends one digest, short enough for one message on a phone, naming each indicator
once, with how many units meet the indicators that bind each unit and the projection's basis."""

from __future__ import annotations

import re
from pathlib import Path

from cli import demo
from cli.sandbox_runner import SandboxOptions, running_sandbox
from sandbox import EmulatorClient
from services.alerts import sweep_alerts

WAIT = 30.0  # the sweep queues one message per person and group; delivery is paced
LIMIT = 1500  # characters of the alert
CODE = re.compile(r"^[⚠️🔴🟡✅]+ (?P<code>[IV]+\.\d+(?:\.[a-z])?) ", re.MULTILINE)


async def test_the_dak_glei_alert_is_one_short_digest_naming_each_indicator_once(
    tmp_path: Path,
) -> None:
    options = SandboxOptions(port=0, database=tmp_path / "sandbox.db")
    async with running_sandbox(options) as sandbox:
        application = sandbox.application
        services = application.services
        runner = application.runner
        assert runner is not None
        catalogue = services.catalogues.for_year(demo.YEAR)
        async with EmulatorClient(sandbox.base_url) as control:
            since = 0  # the start's catch-up sweep may have sent it already
            await sweep_alerts(
                sandbox.database.unit_of_work,
                catalogue,
                services.clock(),
                runner.jobs.writer,
                services.settings.tzinfo,
            )
            services.outbox_ready()
            alert = await control.wait_for_text(
                demo.MIDDLE_HEAD.telegram_id, "Huyện Đăk Glei · năm 2022", since, WAIT
            )
            later = await control.messages(demo.MIDDLE_HEAD.telegram_id, since)
    text = alert["text"]
    assert len(text) <= LIMIT, text
    assert text.count("Huyện Đăk Glei") == 1  # the unit once, in the heading
    assert text.count("năm 2022") == 1  # the period once
    codes = [m["code"] for m in CODE.finditer(text)]
    assert codes, text
    lines = [line for line in text.splitlines() if CODE.match(line)]
    titles = [line.split(":")[0] for line in lines]  # "⚠️ V.1 Hồ sơ … (cấp huyện)"
    assert len(titles) == len(set(titles)), titles  # each indicator line named once
    assert all(codes.count(code) == 1 for code in codes if code != "V.1"), codes
    assert "chỉ tiêu chưa đạt" in text.splitlines()[1]
    assert "Dự kiến cuối năm: " in text  # the projection's basis, said once
    assert "theo nhịp" in text or "giữ mức hiện tại" in text
    assert "\u00a0%" in text  # "%" never wraps alone
    assert " %" not in text
    button = alert["buttons"][0][0]
    assert button["callback_data"] == "st:dak-glei:2022"
    heads = [m for m in later["messages"] if (m["text"] or "").startswith(("⚠️ Huyện Đăk Glei ·",))]
    assert len(heads) == 1  # one digest, not one message per indicator or scope
