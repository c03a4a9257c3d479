"""Every runnable example of the docs (``docs/examples/*.py`` with ``async def main(session)``)
runs against the emulator, so the docs cannot rot."""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from pathlib import Path

import pytest
from _examples import EXAMPLES, load_example

from conversations_async import Session
from conversations_async.testing import Emulator


def _runnable() -> list[Path]:
    # The quickstart's scripts open their own Session from the environment: test_quickstart.py.
    return sorted(p for p in EXAMPLES.glob("*.py") if "async def main(session" in p.read_text())


def test_there_are_examples_to_run() -> None:
    assert len(_runnable()) >= 3


@pytest.mark.parametrize("path", _runnable(), ids=lambda p: p.stem)
async def test_example_runs_against_the_emulator(path: Path, session: Session) -> None:
    main = load_example(path.stem).main
    assert inspect.iscoroutinefunction(main)
    await main(session)


async def test_the_readme_quickstart_runs_as_written(emulator: Emulator) -> None:
    """The quickstart block of README.md, unchanged, pointed at the emulator through the
    environment only."""
    readme = (EXAMPLES.parents[1] / "README.md").read_text()
    block = readme.split("<!-- quickstart-start -->")[1].split("<!-- quickstart-end -->")[0]
    code = block.split("```python")[1].split("```")[0]
    env = {
        **os.environ,
        "TWILIO_ACCOUNT_SID": emulator.account_sid,
        "TWILIO_AUTH_TOKEN": emulator.auth_token,
        "TWILIO_CONVERSATIONS_BASE_URL": emulator.base_url,
        "PYTHONWARNINGS": "error",
    }
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_EDGE", "TWILIO_REGION"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    sid, role = stdout.decode().split()
    assert sid.startswith("MB")
    assert role == "agent"
    assert emulator.participants_created == 1
