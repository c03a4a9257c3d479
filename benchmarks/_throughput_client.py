"""One throughput run as a process of its own: N creates under one ``asyncio.gather``, spread
over many conversations, through one Session. Reads its options as one JSON line on stdin,
prints ``ready`` once imported, reads the Unix time to start at as a second line, and prints
one JSON line of figures at the end.

Options: ``base_url``, ``conversations`` (SIDs; create ``i`` goes to ``i % len``), ``n``,
``max_concurrency`` (the Session's), ``limiter`` (``"adaptive"``: the default limiter of that
Session; ``"oracle"``: one that knows the cap, ``AdaptiveLimiter(max_permits=cap,
initial_permits=cap)``, never above it), ``cap``, ``sample_every`` (seconds between two
snapshots of the limiter's state; none when absent), ``cpu``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from conversations_async import AdaptiveLimiter, Session
from conversations_async.errors import ConversationsError
from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


async def run(options: dict[str, Any]) -> dict[str, Any]:
    conversations: list[str] = options["conversations"]
    n = int(options["n"])
    limiter = None
    if options["limiter"] == "oracle":
        cap = int(options["cap"])
        limiter = AdaptiveLimiter(max_permits=cap, initial_permits=cap)
    session = Session(
        account_sid=DEFAULT_ACCOUNT_SID,
        auth_token=DEFAULT_AUTH_TOKEN,
        base_url=options["base_url"],
        max_concurrency=int(options["max_concurrency"]),
        limiter=limiter,
    )
    failures: dict[str, int] = {}
    samples: list[tuple[float, int, int, int | None]] = []
    done = asyncio.Event()

    async def add(i: int) -> None:
        try:
            await session.participants.create(
                conversations[i % len(conversations)], identity=f"user-{i}"
            )
        except ConversationsError as error:
            name = type(error).__name__
            failures[name] = failures.get(name, 0) + 1

    async def sample(every: float) -> None:
        while not done.is_set():
            state = session.limiter.state
            samples.append((time.time(), state.permits, state.in_flight, state.ceiling))
            await asyncio.sleep(every)

    async with session:
        print("ready", flush=True)
        start_at = float(await asyncio.to_thread(sys.stdin.readline))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        sampler = None
        if options.get("sample_every"):
            sampler = asyncio.create_task(sample(float(options["sample_every"])))
        started = time.time()
        await asyncio.gather(*(add(i) for i in range(n)))
        ended = time.time()
        done.set()
        if sampler is not None:
            await sampler
        state = session.limiter.state
    return {
        "started": started,
        "ended": ended,
        "wall_s": ended - started,
        "failures": failures,
        "throttled_seen": session.stats.throttled,
        "retries": session.stats.retries,
        "final_permits": state.permits,
        "final_ceiling": state.ceiling,
        "samples": samples,
    }


def main() -> None:
    options = json.loads(sys.stdin.readline())
    cpu = options.get("cpu")
    if cpu is not None and hasattr(os, "sched_setaffinity") and cpu in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {cpu})
    print(json.dumps(asyncio.run(run(options))))


if __name__ == "__main__":
    main()
