"""How close create_many gets to Twilio's 30 writes/s per conversation, and how many 429s it meets.

600 participants into one conversation cannot take less than 20 s at 30 writes/s. The emulator
enforces the limit strictly (a sliding one-second window, answered 429 beyond it) with a small
latency; the default Session paces writes itself. Prints the wall time against that minimum and
the share of requests answered 429, for each run and as the median, and writes JSON to
benchmarks/results/bulk_rate.json.

    python benchmarks/bulk_rate.py [--runs 3] [--participants 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from conversations_async import NewParticipant
from conversations_async.testing import Emulator, Faults

WRITES_PER_SECOND = 30.0
RESULTS = Path(__file__).resolve().parent / "results" / "bulk_rate.json"


async def one_run(participants: int, latency: float) -> dict[str, Any]:
    faults = Faults(writes_per_second=WRITES_PER_SECOND, max_in_flight=20, latency=latency)
    async with Emulator(faults=faults) as emulator, emulator.session() as session:
        conversation = await session.conversations.create(friendly_name="bench")
        emulator.reset_counters()
        specs = [NewParticipant(identity=f"user-{i:05d}") for i in range(participants)]
        started = time.perf_counter()
        report = await session.participants.create_many(conversation.sid, specs)
        wall = time.perf_counter() - started
        counters = emulator.counters
    # n writes at r/s: the last may start (n - 1) / r after the first; with the window, n / r.
    minimum = participants / WRITES_PER_SECOND
    return {
        "participants": participants,
        "ok": report.ok,
        "created": len(report.created),
        "wall_seconds": round(wall, 3),
        "minimum_seconds": minimum,
        "over_minimum": round(wall / minimum - 1, 4),
        "requests": counters.requests,
        "answered_429": counters.throttled,
        "share_429": round(counters.throttled / max(1, counters.requests), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--participants", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.01, help="server latency, seconds")
    args = parser.parse_args()
    runs = []
    for number in range(1, args.runs + 1):
        run = asyncio.run(one_run(args.participants, args.latency))
        runs.append(run)
        print(
            f"run {number}: {run['wall_seconds']:.2f} s for {run['participants']} "
            f"(minimum {run['minimum_seconds']:.1f} s, +{run['over_minimum']:.1%}), "
            f"429s {run['answered_429']}/{run['requests']} ({run['share_429']:.2%}), ok={run['ok']}"
        )
    median_wall = statistics.median(r["wall_seconds"] for r in runs)
    median_share = statistics.median(r["share_429"] for r in runs)
    minimum = runs[0]["minimum_seconds"]
    summary = {
        "benchmark": "bulk_rate",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "writes_per_second": WRITES_PER_SECOND,
        "median_wall_seconds": median_wall,
        "median_over_minimum": round(median_wall / minimum - 1, 4),
        "median_share_429": median_share,
        "targets": {"over_minimum": 0.05, "share_429": 0.01},
        "runs": runs,
    }
    print(
        f"median: {median_wall:.2f} s vs minimum {minimum:.1f} s "
        f"(+{median_wall / minimum - 1:.1%}, target <= 5%); "
        f"429 share {median_share:.2%} (target <= 1%)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
