"""Many processes, one account: per-process limiters against one RedisLimiter.

Starts a standalone emulator (its own process, with a concurrency cap and 30 writes per second
per conversation) and a redis-server, then runs ``--workers`` worker processes that onboard
``--participants`` participants into ``--conversations`` conversations with plain
``session.participants.create`` under ``asyncio.gather``: first each worker with its own
in-process limiter, then all sharing one :class:`~conversations_async.redis_limiter.RedisLimiter`.

Reports the server's 429s, failed creates, the most requests in flight at the server, and the
wall time against the theoretical minimum: creates / (30 per second x conversations), or
creates x latency / cap when the concurrency cap binds first (many conversations, slow server). Writes
``benchmarks/results/multiprocess_redis.json`` and prints a table. Needs ``redis-server`` on PATH.

    python benchmarks/multiprocess_redis.py --participants 300 --repeats 3
    python benchmarks/multiprocess_redis.py --conversations 8 --latency 0.25 \
        --output benchmarks/results/multiprocess_redis_concurrency.json

``run_workers`` (the worker processes of one shared run, against an emulator already running)
is also what ``python -m benchmarks.throughput`` runs for its RedisLimiter grid and plot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conversations_async import ConversationsError, Session
from conversations_async._limits import AdaptiveLimiter, Limiter
from conversations_async.redis_limiter import RedisLimiter
from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

WRITES_PER_SECOND = 30.0
RESULTS = Path(__file__).parent / "results" / "multiprocess_redis.json"
MODES = ("per-process", "shared")
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start") from None
            time.sleep(0.02)


# -- worker process -------------------------------------------------------------------------------


def in_process_limiter(cap: int) -> tuple[Limiter, str]:
    limiter = AdaptiveLimiter(max_permits=cap, writes_per_second=WRITES_PER_SECOND)
    return limiter, "AdaptiveLimiter"


async def work(options: dict[str, Any]) -> dict[str, Any]:
    cap = int(options["cap"])
    redis_limiter: RedisLimiter | None = None
    if options["mode"] == "shared":
        # ``knows_cap``: a floor for the shared limiter, which starts at the cap and never
        # passes it (what Redis costs, without estimating the cap).
        known = options.get("knows_cap")
        redis_limiter = RedisLimiter(
            options["redis_url"],
            account_sid=DEFAULT_ACCOUNT_SID,
            max_permits=cap if known is None else int(known),
            initial_permits=None if known is None else int(known),
        )
        await redis_limiter.check()
        limiter: Limiter = redis_limiter
        kind = "RedisLimiter"
    else:
        limiter, kind = in_process_limiter(cap)
    conversations: list[str] = options["conversations"]
    mine = range(int(options["index"]), int(options["participants"]), int(options["workers"]))
    failures: list[str] = []
    session = Session(
        account_sid=DEFAULT_ACCOUNT_SID,
        auth_token=DEFAULT_AUTH_TOKEN,
        base_url=options["base_url"],
        limiter=limiter,
        max_concurrency=cap,
    )

    async def add(i: int) -> None:
        try:
            await session.participants.create(
                conversations[i % len(conversations)], identity=f"user-{i:06d}"
            )
        except ConversationsError as error:
            failures.append(f"{type(error).__name__}: {error}")

    samples: list[tuple[float, int, int, int | None]] = []

    async def sample(every: float) -> None:
        # The account-wide numbers, as every worker shares them: permits, leases held, ceiling.
        assert redis_limiter is not None
        while True:
            shared = await redis_limiter.shared_state()
            samples.append((time.time(), shared.permits, shared.in_flight, shared.ceiling))
            await asyncio.sleep(every)

    sampler: asyncio.Task[None] | None = None
    try:
        # Ready (imported, connected): the coordinator says when to start once all are.
        print("ready", flush=True)
        start_at = float(await asyncio.to_thread(sys.stdin.readline))
        await asyncio.sleep(max(0.0, start_at - time.time()))
        started = time.time()
        if options.get("sample_every") and redis_limiter is not None:
            sampler = asyncio.create_task(sample(float(options["sample_every"])))
        await asyncio.gather(*(add(i) for i in mine))
        ended = time.time()
    finally:
        if sampler is not None:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        await session.aclose()
        if redis_limiter is not None:
            await redis_limiter.aclose()
    return {
        "limiter": kind,
        "started": started,
        "ended": ended,
        "samples": samples,
        "creates": len(mine),
        "failures": len(failures),
        "first_failures": failures[:3],
        "retries": session.stats.retries,
        "throttled_seen": session.stats.throttled,
    }


# -- coordinator ----------------------------------------------------------------------------------


async def create_conversations(base_url: str, count: int) -> list[str]:
    async with Session(
        account_sid=DEFAULT_ACCOUNT_SID, auth_token=DEFAULT_AUTH_TOKEN, base_url=base_url
    ) as session:
        return [
            (await session.conversations.create(friendly_name=f"bench-{n}")).sid
            for n in range(count)
        ]


def run_workers(
    common: dict[str, Any], count: int, on_start: Callable[[float], None] | None = None
) -> list[dict[str, Any]]:
    """Run ``count`` worker processes with the ``common`` options (each told its ``index``, and
    the ``sample_every`` of ``common`` for the first only), start them together once every one
    is ready (``on_start`` is told when, a Unix time); their JSON outputs, in order."""
    workers = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for index, worker in enumerate(workers):
        options = {**common, "index": index, "workers": count}
        if index:
            options.pop("sample_every", None)
        assert worker.stdin is not None
        worker.stdin.write(json.dumps(options) + "\n")
        worker.stdin.flush()
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker failed to start")
    start_at = time.time() + 0.2
    if on_start is not None:
        on_start(start_at)
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(f"{start_at}\n")
        worker.stdin.close()
    outputs = []
    for worker in workers:
        assert worker.stdout is not None
        outputs.append(json.loads(worker.stdout.read()))
        worker.stdout.close()
        if worker.wait() != 0:
            raise RuntimeError("a worker failed")
    return outputs


def run_once(args: argparse.Namespace, mode: str, redis_url: str) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [
            *(sys.executable, "-m", "conversations_async.cli", "emulator", "--port", str(port)),
            *("--max-in-flight", str(args.cap), "--writes-per-second", str(WRITES_PER_SECOND)),
            *("--latency", str(args.latency)),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, emulator)
        conversations = asyncio.run(create_conversations(base_url, args.conversations))
        outputs = run_workers(
            {
                "mode": mode,
                "participants": args.participants,
                "cap": args.cap,
                "base_url": base_url,
                "redis_url": redis_url,
                "conversations": conversations,
            },
            args.workers,
        )
        start_at = min(o["started"] for o in outputs)
        with urllib.request.urlopen(f"{base_url}/_emulator/stats") as response:
            stats = json.load(response)
    finally:
        emulator.terminate()
        emulator.wait()
    wall = max(o["ended"] for o in outputs) - start_at
    # Whichever binds: the write budget of the conversations, or the cap with the server latency.
    minimum = max(
        args.participants / (WRITES_PER_SECOND * args.conversations),
        args.participants * args.latency / args.cap,
    )
    return {
        "mode": mode,
        "limiter": outputs[0]["limiter"],
        "wall_seconds": round(wall, 3),
        "minimum_seconds": round(minimum, 3),
        "wall_over_minimum": round(wall / minimum, 3),
        "server_requests": stats["requests"],
        "server_429s": stats["throttled"],
        "server_429_fraction": round(stats["throttled"] / max(1, stats["requests"]), 4),
        "max_in_flight_at_server": stats["max_in_flight"],
        "failures": sum(o["failures"] for o in outputs),
        "created_on_server": stats["participants_created"],
        "client_retries": sum(o["retries"] for o in outputs),
        "first_failures": [f for o in outputs for f in o["first_failures"]][:3],
    }


def summarize(runs: list[dict[str, Any]], cap: int) -> dict[str, Any]:
    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    summary: dict[str, Any] = {
        "limiter": runs[0]["limiter"],
        "runs": len(runs),
        "wall_seconds": median("wall_seconds"),
        "minimum_seconds": runs[0]["minimum_seconds"],
        "wall_over_minimum": median("wall_over_minimum"),
        "server_429s": median("server_429s"),
        "server_429_fraction": median("server_429_fraction"),
        "max_in_flight_at_server": max(r["max_in_flight_at_server"] for r in runs),
        "failures": median("failures"),
        "client_retries": median("client_retries"),
    }
    if runs[0]["mode"] == "shared":
        summary["targets"] = {
            "never_over_cap": summary["max_in_flight_at_server"] <= cap,
            "at_most_1pct_429": all(r["server_429_fraction"] <= 0.01 for r in runs),
            "no_failures": all(r["failures"] == 0 for r in runs),
            "wall_within_15pct": summary["wall_over_minimum"] <= 1.15,
        }
    return summary


def main() -> int:
    if "--worker" in sys.argv:
        options = json.loads(sys.stdin.readline())
        print(json.dumps(asyncio.run(work(options))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--conversations", type=int, default=1)
    parser.add_argument("--cap", type=int, default=20, help="the account's requests in flight")
    parser.add_argument("--latency", type=float, default=0.02, help="server latency, seconds")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    binary = shutil.which("redis-server")
    if binary is None:
        print("redis-server is not installed (apt-get install redis-server)", file=sys.stderr)
        return 2
    redis_port = free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(redis_port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    try:
        wait_for_port(redis_port, redis)
        for repeat in range(args.repeats):
            for mode in MODES:
                # A fresh account state per run: the shared limiter starts at full permits.
                subprocess.run(
                    ["redis-cli", "-p", str(redis_port), "FLUSHALL"],
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                run = run_once(args, mode, redis_url)
                runs[mode].append(run)
                print(
                    f"run {repeat + 1} {mode:<11} wall {run['wall_seconds']:6.2f} s "
                    f"429s {run['server_429s']:4d} failures {run['failures']:3d} "
                    f"max in flight {run['max_in_flight_at_server']:3d}",
                    flush=True,
                )
    finally:
        redis.terminate()
        redis.wait()

    summaries = {mode: summarize(runs[mode], args.cap) for mode in MODES}
    result = {
        "benchmark": "multiprocess_redis",
        "settings": {
            "participants": args.participants,
            "workers": args.workers,
            "conversations": args.conversations,
            "cap": args.cap,
            "latency": args.latency,
            "writes_per_second": WRITES_PER_SECOND,
            "repeats": args.repeats,
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        },
        "summary": summaries,
        "runs": runs,
        "avoided_429s": summaries["per-process"]["server_429s"]
        - summaries["shared"]["server_429s"],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")

    print()
    print(f"{'medians':<26}{'per-process':>16}{'shared (Redis)':>16}")
    rows = [
        ("limiter", "limiter"),
        ("wall seconds", "wall_seconds"),
        ("wall / minimum", "wall_over_minimum"),
        ("429s at the server", "server_429s"),
        ("429 fraction", "server_429_fraction"),
        ("failed creates", "failures"),
        ("client retries", "client_retries"),
        ("max in flight (all runs)", "max_in_flight_at_server"),
    ]
    for label, key in rows:
        left, right = summaries["per-process"][key], summaries["shared"][key]
        print(f"{label:<26}{left!s:>16}{right!s:>16}")
    print(f"theoretical minimum: {summaries['shared']['minimum_seconds']} s; cap {args.cap}")
    print(f"targets (shared): {summaries['shared']['targets']}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
