"""The quickstart runs as written: its scripts, unchanged, in processes of their own, pointed at
the emulator by the three variables the page tells the reader to export."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import pytest
from _examples import EXAMPLES

from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator, Faults

QUICKSTART = EXAMPLES.parent / "quickstart.md"


def exported(page: str) -> dict[str, str]:
    return dict(re.findall(r"^export (TWILIO_\w+)=(\S+)$", page, re.MULTILINE))


async def run_script(name: str, env: dict[str, str]) -> tuple[str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / f"{name}.py"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=50)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode(), stderr.decode()


def environment_for(emulator: Emulator) -> dict[str, str]:
    """The reader's shell after pasting the page's export lines (the port made the emulator's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(exported(QUICKSTART.read_text()))
    env["TWILIO_CONVERSATIONS_BASE_URL"] = emulator.base_url
    env["PYTHONWARNINGS"] = "error"
    return env


def test_the_page_exports_the_emulators_defaults() -> None:
    variables = exported(QUICKSTART.read_text())
    assert variables == {
        "TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:8099",
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
    }
    page = QUICKSTART.read_text()
    for script in ("quickstart_first_participant", "quickstart_bulk"):
        assert f"examples/{script}.py" in page


async def test_the_first_participant_script_runs(emulator: Emulator) -> None:
    stdout, _ = await run_script("quickstart_first_participant", environment_for(emulator))
    assert re.fullmatch(r"alice joined CH[0-9a-f]{32} as MB[0-9a-f]{32}\n", stdout)
    assert emulator.participants_created == 1


@pytest.mark.slow  # 100 paced writes to one conversation: about 5 s
async def test_the_bulk_script_adds_everyone_once_through_429s() -> None:
    # The page's suggestion: an emulator allowing fewer writes per second than Twilio does.
    async with Emulator(faults=Faults(writes_per_second=20)) as emulator:
        stdout, stderr = await run_script("quickstart_bulk", environment_for(emulator))
        conversation = next(iter(emulator.store.conversations.values()))
        identities = sorted(p["identity"] for p in conversation.participants.values())
        throttled = emulator.counters.throttled
    assert "<BulkReport 50 results: created=50>" in stdout
    assert "second run: 50 already there" in stdout
    assert identities == [f"user-{i:03d}" for i in range(50)]
    assert throttled > 0
    assert "INFO conversations_async: retrying POST" in stderr
    # The emulator answers a spent per-conversation write budget as Twilio documents it (50063).
    assert "after 429 (code 50063)" in stderr
