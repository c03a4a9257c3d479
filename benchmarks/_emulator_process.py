"""The emulator as a process of its own, driven over stdin/stdout (one JSON line per answer).

The benchmark harness starts one of these per scenario, pinned to its own core where the machine
has one, so that the emulator's CPU never competes with the client being measured. The library's
CLI is not used: this launcher also answers the harness's questions about server-side truth.

Commands, one per line on stdin:

- ``new``: reset counters and add a fresh conversation; answers ``{"conversation": "CH…"}``
  (``new {"conversations": 200}`` adds that many and answers ``{"conversations": [...]}``).
- ``caps {"at": [[0, 20], [4, 10], [8, 30]]}``: from now, set the concurrency cap to each value
  that many seconds later; answers ``{"started": <Unix time>}``. ``caps`` alone answers the caps
  applied so far, ``{"applied": [[<Unix time>, cap], ...]}``.
- ``stats {"conversation": "CH…", "prefix": "user-", "n": 2000, "reported_failed": [...]}``:
  answers the counters and what exists in that conversation: participants present, distinct
  identities among them, inputs missing, identities present more than once, and how many of the
  identities the client reported failed are present after all (false failures).
- ``faults {"concurrent_requests_header": false}``: set fields of the emulator's faults.
- ``counters``: the emulator's counters since the last ``new`` (requests, 429s, creates, …).
- ``quit``: stop.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import time
from typing import Any

from conversations_async.testing import Emulator, Faults, Limits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one core")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--max-in-flight", type=int, default=None)
    parser.add_argument("--retry-after", type=float, default=None)
    parser.add_argument("--writes-per-second", type=float, default=None)
    parser.add_argument("--server-error-rate", type=float, default=0.0)
    parser.add_argument("--server-error-after-commit-rate", type=float, default=0.0)
    parser.add_argument("--disconnect-after-commit-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-concurrent-requests-header",
        action="store_true",
        help="answer without Twilio-Concurrent-Requests",
    )
    return parser.parse_args(argv)


def pin(cpu: int | None) -> bool:
    """Pin this process to ``cpu`` when the OS allows it; whether it did."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return False
    if cpu not in os.sched_getaffinity(0):
        return False
    os.sched_setaffinity(0, {cpu})
    return True


def census(emulator: Emulator, query: dict[str, Any]) -> dict[str, Any]:
    """The server's truth about one conversation after a client run."""
    entry = emulator.store.conversations[query["conversation"]]
    identities = collections.Counter(
        record["identity"] for record in entry.participants.values() if record["identity"]
    )
    prefix, n = query["prefix"], int(query["n"])
    expected = {f"{prefix}{i}" for i in range(n)}
    reported_failed = set(query.get("reported_failed", ()))
    return {
        **emulator.stats(),
        "participants_present": len(entry.participants),
        "distinct_identities": len(identities),
        "duplicates": sum(count - 1 for count in identities.values() if count > 1),
        "missing": len(expected - identities.keys()),
        "unexpected": len(identities.keys() - expected),
        "false_failures": len(reported_failed & identities.keys()),
    }


async def serve(args: argparse.Namespace) -> None:
    faults = Faults(
        latency=args.latency,
        max_in_flight=args.max_in_flight,
        retry_after=args.retry_after,
        writes_per_second=args.writes_per_second,
        server_error_rate=args.server_error_rate,
        server_error_after_commit_rate=args.server_error_after_commit_rate,
        disconnect_after_commit_rate=args.disconnect_after_commit_rate,
        seed=args.seed,
        concurrent_requests_header=not args.no_concurrent_requests_header,
    )
    # Twilio caps a conversation at 1,000 participants; a benchmark adds far more to one.
    limits = Limits(participants_per_conversation=10**9, non_chat_per_conversation=10**9)
    # keep_requests=0: the request log would only cost the emulator memory and time.
    async with Emulator(port=args.port, faults=faults, limits=limits, keep_requests=0) as emulator:
        reply({"base_url": emulator.base_url, "pinned": pin(args.cpu)})
        applied: list[tuple[float, int]] = []
        schedule: asyncio.Task[None] = asyncio.create_task(asyncio.sleep(0))

        async def apply_caps(emulator: Emulator, plan: dict[str, Any]) -> None:
            applied.clear()
            started = time.monotonic()
            for offset, cap in plan["at"]:
                await asyncio.sleep(max(0.0, started + float(offset) - time.monotonic()))
                emulator.faults.max_in_flight = int(cap)
                applied.append((time.time(), int(cap)))

        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            command, _, argument = line.strip().partition(" ")
            if command in {"", "quit"}:
                return
            if command == "new":
                emulator.reset_counters()
                count = json.loads(argument)["conversations"] if argument else None
                sids = [
                    emulator.store.create_conversation(None, {"FriendlyName": "benchmark"})["sid"]
                    for _ in range(count or 1)
                ]
                reply({"conversation": sids[0]} if count is None else {"conversations": sids})
            elif command == "caps":
                if argument:
                    schedule.cancel()
                    schedule = asyncio.create_task(apply_caps(emulator, json.loads(argument)))
                    reply({"started": time.time()})
                else:
                    reply({"applied": applied})
            elif command == "faults":
                for name, value in json.loads(argument).items():
                    setattr(emulator.faults, name, value)
                reply({"faults": str(emulator.faults)})
            elif command == "counters":
                reply(emulator.stats())
            elif command == "stats":
                reply(census(emulator, json.loads(argument)))
            else:
                reply({"error": f"unknown command {command!r}"})


def reply(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
