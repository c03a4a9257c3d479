"""``conversations-async demo``: onboard participants into the embedded emulator, with
Twilio-like limits and faults, and show what happened."""

from __future__ import annotations

import time
from collections.abc import Sequence

from .._bulk import BulkStatus
from ..resources import NewParticipant
from ..testing import Emulator, Faults
from ._output import console, progress

EXIT_OK = 0
EXIT_FAILED = 1


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_demo(
    participants: int,
    *,
    latency: float,
    max_in_flight: int,
    writes_per_second: float,
    error_rate: float,
    disconnect_rate: float,
    seed: int,
) -> int:
    """Onboard ``participants`` chat users into one conversation of a local, faulty emulator."""
    from rich.console import Console
    from rich.table import Table

    out = Console()
    faults = Faults(
        latency=latency,
        max_in_flight=max_in_flight,
        writes_per_second=writes_per_second,
        server_error_rate=error_rate,
        disconnect_after_commit_rate=disconnect_rate,
        seed=seed,
    )
    async with Emulator(faults=faults, seed=seed) as emulator, emulator.session() as session:
        out.print(
            f"Emulator at [bold]{emulator.base_url}[/]: at most {max_in_flight} requests in"
            f" flight, {writes_per_second:g} writes/s per conversation, {error_rate:.0%} 5xx,"
            f" {disconnect_rate:.0%} connections cut after commit"
        )
        conversation = await session.conversations.create(friendly_name="Onboarding demo")
        emulator.reset_counters()
        specs = (NewParticipant(identity=f"user-{i:05d}") for i in range(participants))
        started = time.perf_counter()
        with progress(console(), enabled=True) as bar:
            task = bar.add_task("Adding participants", total=participants)
            report = await session.participants.create_many(
                conversation.sid, specs, on_result=lambda _: bar.advance(task)
            )
        elapsed = time.perf_counter() - started

        identities = [
            p["identity"]
            for p in emulator.store.conversations[conversation.sid].participants.values()
        ]
        counts = report.counts
        latencies = [result.elapsed for result in report]
        counters = emulator.counters
        table = Table(title=f"Onboarded into {conversation.sid}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("created", str(counts[BulkStatus.CREATED]))
        table.add_row("  of which settled by reading back", str(sum(r.reconciled for r in report)))
        table.add_row("existed", str(counts[BulkStatus.EXISTED]))
        table.add_row("failed", str(counts[BulkStatus.FAILED]))
        table.add_row("unknown (re-run to settle)", str(counts[BulkStatus.UNKNOWN]))
        table.add_row("on the server", str(len(identities)))
        table.add_row("duplicates on the server", str(len(identities) - len(set(identities))))
        table.add_row("wall time", f"{elapsed:.2f} s")
        table.add_row(
            "rate",
            f"{participants / elapsed:.1f} creates/s (limit {writes_per_second:g}/s,"
            f" {participants / elapsed / writes_per_second:.0%})",
        )
        table.add_row(
            "429s met",
            f"{counters.throttled} of {counters.requests} requests"
            f" ({counters.throttled / max(1, counters.requests):.1%})",
        )
        table.add_row(
            "5xx met / connections cut", f"{counters.server_errors} / {counters.disconnects}"
        )
        table.add_row("retries by the session", str(session.stats.retries))
        table.add_row(
            "max in flight at the server", f"{counters.max_in_flight} (cap {max_in_flight})"
        )
        table.add_row(
            "p50 / p99 per participant",
            f"{_percentile(latencies, 0.5) * 1000:.0f} / {_percentile(latencies, 0.99) * 1000:.0f} ms",
        )
        out.print(table)
        ok = report.ok and len(identities) == len(set(identities)) == participants
        return EXIT_OK if ok else EXIT_FAILED
