"""The command itself: --version, --help, the emulator command, and Ctrl+C (run as the entry
point in a subprocess where that matters)."""

from __future__ import annotations

import asyncio
import base64
import re
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from _cli import (
    FAST,
    command,
    conversation_with,
    read_results,
    subprocess_environment,
    write_people,
)
from aiohttp import web

from conversations_async import __version__, cli
from conversations_async.testing import Emulator

SUBCOMMANDS = [
    "add-participants",
    "remove-participants",
    "sync-participants",
    "export-participants",
    "emulator",
    "demo",
]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"conversations-async {__version__}"


@pytest.mark.parametrize("name", ["", *SUBCOMMANDS])
def test_help_shows_defaults_and_no_rst_markup(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([name, "--help"] if name else ["--help"]) == 0
    text = capsys.readouterr().out
    assert "``" not in text and not re.search(r":(class|meth|func|mod|attr):", text)
    assert "(default: None)" not in text and "(default: False)" not in text
    if name in {"add-participants", "remove-participants", "sync-participants"}:
        assert "(default: 50)" in text and "(default: 30.0)" in text  # concurrency, pacing
        assert "Exit status:" in text
    if name == "emulator":
        assert "(default: 8099)" in text and "--disconnect-rate" in text and "--seed" in text


def test_a_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["add-participants"]) == 2
    assert "the following arguments are required" in capsys.readouterr().err


async def test_the_emulator_command_serves_with_its_faults_and_stops() -> None:
    process = await asyncio.create_subprocess_exec(
        *command(), "emulator", "--port", "0", "--error-rate", "1", "--seed", "5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=subprocess_environment(),
    )  # fmt: skip
    assert process.stdout is not None
    printed: list[str] = []
    try:
        while not printed or printed[-1] != "Press Ctrl+C to stop.":
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "the emulator exited before it was ready"
            printed.append(line.decode().rstrip("\n"))
        exports = dict(
            re.findall(r"^  export (TWILIO_[A-Z_]+)=(\S+)$", "\n".join(printed), re.MULTILINE)
        )
        assert set(exports) == {
            "TWILIO_CONVERSATIONS_BASE_URL",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
        }
        assert "Faults: 100% answered 500, seed 5" in printed
        base_url = exports["TWILIO_CONVERSATIONS_BASE_URL"]
        credentials = f"{exports['TWILIO_ACCOUNT_SID']}:{exports['TWILIO_AUTH_TOKEN']}"
        auth = {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base_url}/_emulator/stats") as answer:
                assert answer.status == 200 and (await answer.json())["requests"] == 0
            async with http.get(f"{base_url}/v1/Conversations", headers=auth) as answer:
                body = await answer.json()
                assert answer.status == 500 and body["code"] == 20500  # the fault applied
            async with http.get(f"{base_url}/_emulator/stats") as answer:
                assert (await answer.json())["server_errors"] == 1
        process.send_signal(signal.SIGINT)
        out, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0
        assert out.decode().strip().endswith("Emulator stopped.")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def hanging_emulator() -> AsyncIterator[tuple[Emulator, asyncio.Event]]:
    """An emulator that answers the first participant create and holds every later one until
    the test ends; the event is set when the second create has arrived."""
    emulator = Emulator()
    held = asyncio.Event()
    release = asyncio.Event()
    creates = 0

    @web.middleware
    async def hold(request: web.Request, handler: object) -> web.StreamResponse:
        nonlocal creates
        if request.method == "POST" and request.path.endswith("/Participants"):
            creates += 1
            if creates > 1:
                held.set()
                await release.wait()
        return await handler(request)  # type: ignore[operator, no-any-return]

    emulator.app.middlewares.append(hold)
    async with emulator:
        yield emulator, held
        release.set()


@pytest.mark.timeout(120)  # a subprocess start and two 30 s waits, on a loaded machine
async def test_ctrl_c_exits_130_with_the_summary(
    hanging_emulator: tuple[Emulator, asyncio.Event], tmp_path: Path
) -> None:
    emulator, held = hanging_emulator
    sid = conversation_with(emulator, [])
    source = tmp_path / "people.csv"
    write_people(source, 50)
    results = tmp_path / "results.csv"
    # The command must start with Ctrl+C at its default: a test run started in the background
    # of a non-interactive shell (`.ci/run &`) ignores SIGINT, and a child inherits an ignored
    # signal, so the command would rightly ignore it too (and hang here). exec resets a
    # *handled* signal to its default, so the parent handles it while starting the child.
    # Waited for in a thread with faulthandler on: if it ever hangs, the failure shows where.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(  # noqa: ASYNC220 (starting it does not wait; waits are threaded)
            [*command(), "add-participants", sid, str(source), "--results", str(results),
             "--concurrency", "1", *FAST],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=subprocess_environment(emulator, PYTHONFAULTHANDLER="1"),
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        await asyncio.wait_for(held.wait(), 30)  # one added, the next one in flight
        process.send_signal(signal.SIGINT)
        try:
            _, err = await asyncio.to_thread(process.communicate, timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            _, err = await asyncio.to_thread(process.communicate, timeout=30)
            pytest.fail(f"no exit 30 s after Ctrl+C; its stacks:\n{err.decode(errors='replace')}")
    finally:
        if process.poll() is None:
            process.kill()
            await asyncio.to_thread(process.wait)
    text = err.decode()
    assert process.returncode == 130, text
    assert "Summary: 50 lines; created 1, existed 0, failed 0, unknown 0" in text
    assert "Interrupted: running the same command again is safe" in text
    assert f"Results are in {results}." in text
    assert [(r["line"], r["status"]) for r in read_results(results)] == [("2", "created")]


def test_the_emulator_command_exits_2_when_its_port_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["emulator", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
