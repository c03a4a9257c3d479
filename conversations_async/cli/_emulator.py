"""``conversations-async emulator``: the emulator as a standalone server, with faults."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal

from ..testing import Emulator, Faults
from ..testing._serving import STATS_PATH


def describe(faults: Faults) -> str:
    """The faults in a few words (or "none")."""
    parts = []
    if faults.latency:
        parts.append(f"{faults.latency * 1000:g} ms latency")
    if faults.max_in_flight is not None:
        parts.append(f"429 above {faults.max_in_flight} in flight")
    if faults.writes_per_second is not None:
        parts.append(f"429 above {faults.writes_per_second:g} writes/s per conversation or service")
    if faults.server_error_rate:
        parts.append(f"{faults.server_error_rate:.0%} answered 500")
    if faults.disconnect_after_commit_rate:
        parts.append(f"{faults.disconnect_after_commit_rate:.0%} of writes cut after commit")
    if parts:
        parts.append(f"seed {faults.seed}")
    return ", ".join(parts) or "none"


async def run_emulator(host: str, port: int, faults: Faults) -> None:
    """Serve the emulator until SIGINT or SIGTERM, printing how to point a program at it."""
    async with Emulator(host=host, port=port, faults=faults, seed=faults.seed) as emulator:
        url = emulator.base_url
        lines = [
            f"Conversations emulator at {url}",
            f"Faults: {describe(faults)}",
            "Point a program (or this command) at it:",
            f"  export TWILIO_CONVERSATIONS_BASE_URL={shlex.quote(url)}",
            f"  export TWILIO_ACCOUNT_SID={shlex.quote(emulator.account_sid)}",
            f"  export TWILIO_AUTH_TOKEN={shlex.quote(emulator.auth_token)}",
            "  unset TWILIO_API_KEY TWILIO_API_SECRET",
            f"Counters: {url}{STATS_PATH}",
            "Press Ctrl+C to stop.",
        ]
        print("\n".join(lines), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signum)
        print("Emulator stopped.", flush=True)
