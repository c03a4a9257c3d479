"""The ``conversations-async`` command: a demo, and the emulator as a standalone server."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from .testing import Emulator, Faults


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_demo(participants: int, *, latency: float, max_in_flight: int, seed: int) -> int:
    """Onboard ``participants`` chat users into one conversation of a local emulator."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    from . import ConversationsError

    console = Console()
    faults = Faults(latency=latency, max_in_flight=max_in_flight, seed=seed)
    async with Emulator(faults=faults, seed=seed) as emulator, emulator.session() as session:
        console.print(f"Emulator listening on [bold]{emulator.base_url}[/]")
        conversation = await session.conversations.create(friendly_name="Onboarding demo")
        latencies: list[float] = []
        failures: list[str] = []

        async def add(index: int) -> None:
            started = time.perf_counter()
            try:
                await session.participants.create(conversation.sid, identity=f"user-{index:05d}")
            except ConversationsError as error:
                failures.append(str(error))
            latencies.append(time.perf_counter() - started)
            progress.advance(task)

        started = time.perf_counter()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Adding participants", total=participants)
            await asyncio.gather(*(add(i) for i in range(participants)))
        elapsed = time.perf_counter() - started

        table = Table(title=f"Onboarded into {conversation.sid}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("created", str(participants - len(failures)))
        table.add_row("failed", str(len(failures)))
        table.add_row("on the server", str(emulator.participants_created))
        table.add_row("wall time", f"{elapsed:.2f} s")
        table.add_row("rate", f"{participants / elapsed:.0f} creates/s")
        table.add_row("429s met", str(emulator.counters.throttled))
        table.add_row("retries", str(session.stats.retries))
        table.add_row(
            "max in flight at server", f"{emulator.counters.max_in_flight} (cap {max_in_flight})"
        )
        table.add_row(
            "p50 / p99 latency",
            f"{_percentile(latencies, 0.5) * 1000:.0f} / {_percentile(latencies, 0.99) * 1000:.0f} ms",
        )
        console.print(table)
        return 1 if failures else 0


async def run_emulator(host: str, port: int, faults: Faults | None = None) -> None:
    """Serve the emulator until interrupted."""
    async with Emulator(host=host, port=port, faults=faults) as emulator:
        print(f"Conversations emulator at {emulator.base_url}")
        print(f"  account_sid={emulator.account_sid} auth_token={emulator.auth_token}")
        print("Press Ctrl+C to stop.", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conversations-async", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="onboard participants into the embedded emulator")
    demo.add_argument("--participants", type=int, default=300)
    demo.add_argument("--latency", type=float, default=0.02, help="server latency in seconds")
    demo.add_argument("--max-in-flight", type=int, default=20, help="server concurrency cap")
    demo.add_argument("--seed", type=int, default=7)
    emulator = commands.add_parser("emulator", help="run the emulator as a standalone server")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8099)
    emulator.add_argument("--latency", type=float, default=0.0, help="server latency in seconds")
    emulator.add_argument(
        "--max-in-flight", type=int, default=None, help="answer 429 above this many concurrent"
    )
    emulator.add_argument(
        "--writes-per-second",
        type=float,
        default=None,
        help="answer 429 above this many writes per conversation or service per second",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return asyncio.run(
                run_demo(
                    args.participants,
                    latency=args.latency,
                    max_in_flight=args.max_in_flight,
                    seed=args.seed,
                )
            )
        faults = Faults(
            latency=args.latency,
            max_in_flight=args.max_in_flight,
            writes_per_second=args.writes_per_second,
        )
        asyncio.run(run_emulator(args.host, args.port, faults))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
