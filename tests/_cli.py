"""Running the ``conversations-async`` command in tests: in-process (``cli.main`` in a thread,
while the emulator serves in the test's loop) or as a subprocess of its entry point."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from conversations_async import cli
from conversations_async.testing import Emulator

# Participant writes are paced at Twilio's 30/s by default; the tests' emulator has no limit.
FAST = ("--writes-per-second", "10000", "--no-progress")

# The five bad lines of the 500-line file, by line number (the header is line 1).
BAD_LINES: Mapping[int, str] = {
    101: "role_sid",
    202: "identity",  # empty
    303: "attributes",
    404: "names the same participant as line 12",
    455: "identity: is 300 characters",
}


def use_emulator(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    """The environment ``conversations-async emulator`` prints, for this emulator."""
    for name, value in environment(emulator).items():
        monkeypatch.setenv(name, value)
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)


def environment(emulator: Emulator) -> dict[str, str]:
    return {
        "TWILIO_CONVERSATIONS_BASE_URL": emulator.base_url,
        "TWILIO_ACCOUNT_SID": emulator.account_sid,
        "TWILIO_AUTH_TOKEN": emulator.auth_token,
    }


def subprocess_environment(emulator: Emulator | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    if emulator is not None:
        env.update(environment(emulator))
    env.update(extra)
    return env


async def run_cli(*argv: str) -> int:
    # The CLI runs its own event loop, so it runs in a thread while the emulator serves here.
    return await asyncio.to_thread(cli.main, list(argv))


def command() -> list[str]:
    """The installed ``conversations-async`` script (the entry point), or ``python -m``."""
    script = Path(sys.executable).with_name("conversations-async")
    return [str(script)] if script.exists() else [sys.executable, "-m", "conversations_async.cli"]


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def write_people(path: Path, n: int, *, bad: bool = False, prefix: str = "user") -> None:
    """``n`` chat participants as CSV; with ``bad``, the five bad lines of :data:`BAD_LINES`."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["identity", "attributes", "role_sid"])
        for i in range(n):
            line = i + 2
            identity, attributes, role = f"{prefix}-{i:04d}", json.dumps({"n": i}), ""
            if bad and line == 101:
                role = "RL-nope"
            if bad and line == 202:
                identity = ""
            if bad and line == 303:
                attributes = "{not json"
            if bad and line == 404:
                identity = f"{prefix}-0010"  # line 12's
            if bad and line == 455:
                identity = "x" * 300
            writer.writerow([identity, attributes, role])


def conversation_with(emulator: Emulator, identities: list[str], unique_name: str = "team") -> str:
    """A conversation holding these chat participants (made in the store: no requests)."""
    sid: str = emulator.store.create_conversation(None, {"UniqueName": unique_name})["sid"]
    for identity in identities:
        emulator.store.create_participant(None, sid, {"Identity": identity})
    return sid


def members(emulator: Emulator, conversation: str) -> list[str]:
    entry = emulator.store.conversations[conversation]
    return sorted(
        p["identity"] or p["messaging_binding"]["address"] for p in entry.participants.values()
    )
