"""Each client the instruction count runs (``benchmarks.instructions``) adds what it reports.

That benchmark needs valgrind and is not run here; its clients are, each as the process of its
own that callgrind would watch, against the emulator in another process. No figure is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.instructions import CLIENTS
from benchmarks.run import EmulatorProcess, client_environment
from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
N = 30

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess({"latency": 0.0}, None)
    try:
        yield process
    finally:
        process.close()


@pytest.mark.parametrize("client", [c for c in CLIENTS if c != "twilio"])
def test_the_client_creates_every_participant_it_reports(
    client: str, emulator: EmulatorProcess
) -> None:
    conversation = emulator.ask("new")["conversation"]
    command = [sys.executable, "-m", "benchmarks._client", client, "--base-url", emulator.base_url]
    command += ["--account-sid", DEFAULT_ACCOUNT_SID, "--auth-token", DEFAULT_AUTH_TOKEN]
    command += ["--conversation", conversation, "-n", str(N), "--concurrency", "5"]
    done = subprocess.run(
        command, cwd=ROOT, env=client_environment(ROOT), capture_output=True, text=True, timeout=100
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["successes"], result["failures"]) == (N, 0)
    server = emulator.ask("stats", {"conversation": conversation, "prefix": "user-", "n": N})
    assert server["participants_present"] == N
    assert server["missing"] == server["duplicates"] == 0
