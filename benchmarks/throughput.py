"""How well the limiters use the account's cap (issue 15): a grid of cells, and a cap that moves.

::

    python -m benchmarks.throughput            # grid + moving cap + plot + docs/benchmarks.md
    python -m benchmarks.throughput --quick    # a smoke run: tiny N, one repetition, one cell
    python -m benchmarks.throughput --modes adaptive-header --caps 20 --latencies 20

**A cell** is a cap ``C`` (the emulator answers 429 beyond ``C`` requests in flight), a latency
``L`` (every answer that is not a 429 takes that long) and the Session's starting
``max_concurrency`` ``S``. ``N`` participant creates go out under one ``asyncio.gather``, spread
over ``K`` conversations (create ``i`` into conversation ``i % K``), so the 30 writes per second
per conversation (paced by the client, enforced by the emulator) never bind. The minimum is
``N·L/C``; the target is at most 1.10 times that, with at most 2% of requests answered 429.

**Modes** (each cell runs each):

- ``adaptive-header``: one process, a ``Session(max_concurrency=S)`` with its default
  ``AdaptiveLimiter``; the emulator sends ``Twilio-Concurrent-Requests``.
- ``adaptive-plain``: the same, the emulator sends no such header.
- ``oracle``: a limiter that knows the cap (``AdaptiveLimiter(max_permits=C,
  initial_permits=C)``): never a 429. What this machine can do at best: the floor of the cell.
- ``redis-header`` / ``redis-plain``: four worker processes, ``N/4`` creates each, sharing one
  ``RedisLimiter(max_permits=S)`` (``benchmarks/multiprocess_redis.py``).
- ``redis-oracle``: the same four processes sharing a ``RedisLimiter(max_permits=C,
  initial_permits=C)``, which knows the cap: the floor of sharing through Redis on this machine.

**The moving cap**: the cap goes 20 -> 10 -> 30 (5 s each) while one run goes on; the limiter's
state is sampled every 20 ms and plotted against the cap (``docs/_static/limiter-permits.png``,
needs matplotlib: ``nox -s throughput``).

The emulator runs in a process of its own, pinned to core 1 where the machine has two; the
single-process client is pinned to core 0; the Redis workers and redis-server are not pinned.
Results: ``benchmarks/results/throughput.json``; the page section is between the
``throughput`` markers in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import multiprocess_redis
from .run import (
    CLIENT_CPU,
    EMULATOR_CPU,
    ROOT,
    EmulatorProcess,
    can_pin,
    client_environment,
    machine,
)

RESULTS = ROOT / "benchmarks" / "results" / "throughput.json"
PAGE = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "_static" / "limiter-permits.png"
MODES = (
    "adaptive-header",
    "adaptive-plain",
    "oracle",
    "redis-header",
    "redis-plain",
    "redis-oracle",
)
ORACLES = ("oracle", "redis-oracle")
WORKERS = 4
MOVING_CAPS = ((0.0, 20), (5.0, 10), (10.0, 30))
MOVING_LATENCY = 0.05
MOVING_SECONDS = 15.0
START_MARK = "<!-- throughput:start -->"
END_MARK = "<!-- throughput:end -->"
WALL_LIMIT = 1.10
THROTTLED_LIMIT = 0.02


# -- one run -------------------------------------------------------------------------------------


def run_adaptive(
    options: dict[str, Any], pin: bool, on_start: Callable[[float], None] | None = None
) -> dict[str, Any]:
    """One single-process run (``adaptive-*`` or ``oracle``) through ``_throughput_client``,
    started once it is ready (``on_start`` is told when, a Unix time)."""
    if pin:
        options = {**options, "cpu": CLIENT_CPU}
    client = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._throughput_client"],
        cwd=ROOT,
        env=client_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None
    assert client.stdout is not None
    client.stdin.write(json.dumps(options) + "\n")
    client.stdin.flush()
    if client.stdout.readline().strip() == "ready":
        start_at = time.time() + 0.1
        if on_start is not None:
            on_start(start_at)
        client.stdin.write(f"{start_at}\n")
        client.stdin.flush()
    output, errors = client.communicate()
    if client.returncode != 0:
        raise RuntimeError(f"the throughput client failed:\n{errors}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def run_redis(
    options: dict[str, Any], redis: RedisServer, on_start: Callable[[float], None] | None = None
) -> dict[str, Any]:
    """One run of four RedisLimiter workers sharing the account (a fresh account state), started
    together once all are ready (``on_start`` is told when)."""
    redis.flush()
    outputs = multiprocess_redis.run_workers(
        {
            "mode": "shared",
            "participants": options["n"],
            "cap": options["max_concurrency"],
            "base_url": options["base_url"],
            "redis_url": redis.url,
            "conversations": options["conversations"],
            **({"sample_every": options["sample_every"]} if "sample_every" in options else {}),
            **({"knows_cap": options["cap"]} if options["limiter"] == "oracle" else {}),
        },
        WORKERS,
        on_start,
    )
    started = min(output["started"] for output in outputs)
    ended = max(output["ended"] for output in outputs)
    return {
        "started": started,
        "late_start_s": max(output["started"] for output in outputs) - started,
        "ended": ended,
        "wall_s": ended - started,
        "failures": {"ConversationsError": sum(o["failures"] for o in outputs)},
        "throttled_seen": sum(o["throttled_seen"] for o in outputs),
        "retries": sum(o["retries"] for o in outputs),
        "samples": outputs[0]["samples"],
    }


class RedisServer:
    """A redis-server of the benchmark's own, without persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed: run without the redis-* modes")
        self.port = multiprocess_redis.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                *multiprocess_redis.NO_PERSISTENCE,
            ],
            stdout=subprocess.DEVNULL,
        )
        multiprocess_redis.wait_for_port(self.port, self._process)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(64)

    def close(self) -> None:
        self._process.terminate()
        self._process.wait()


def run_one(
    mode: str,
    emulator: EmulatorProcess,
    redis: RedisServer | None,
    *,
    n: int,
    conversations: int,
    cap: int,
    start: int,
    pin: bool,
    sample_every: float | None = None,
) -> dict[str, Any]:
    header = mode.endswith("-header") or mode in ORACLES
    emulator.ask("faults", {"concurrent_requests_header": header})
    sids = emulator.ask("new", {"conversations": conversations})["conversations"]
    created_before = emulator.ask("counters")["participants_created"]
    options: dict[str, Any] = {
        "base_url": emulator.base_url,
        "conversations": sids,
        "n": n,
        "max_concurrency": start,
        "limiter": "oracle" if mode in ORACLES else "adaptive",
        "cap": cap,
    }
    if sample_every is not None:
        options["sample_every"] = sample_every
    if mode.startswith("redis"):
        assert redis is not None
        result = run_redis(options, redis)
    else:
        result = run_adaptive(options, pin)
    server = emulator.ask("counters")
    result["server"] = server
    result["throttled_share"] = server["throttled"] / max(1, server["requests"])
    result["created"] = server["participants_created"] - created_before
    return result


# -- the grid ------------------------------------------------------------------------------------


def cells(args: argparse.Namespace) -> Iterator[tuple[int, float, int]]:
    for cap, latency_ms, start in itertools.product(args.caps, args.latencies, args.starts):
        yield cap, latency_ms / 1000.0, start


def summarise(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_grid(
    args: argparse.Namespace, redis: RedisServer | None, pin: bool
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    by_cap_latency = itertools.groupby(cells(args), key=lambda cell: (cell[0], cell[1]))
    for (cap, latency), group in by_cap_latency:
        starts = [start for _, _, start in group]
        faults = {"latency": latency, "max_in_flight": cap, "writes_per_second": 30}
        emulator = EmulatorProcess(faults, EMULATOR_CPU if pin else None)
        try:
            # An oracle knows the cap: its start does not matter, one row per (C, L).
            runs_of = [
                (mode, start) for mode in args.modes if mode not in ORACLES for start in starts
            ]
            runs_of += [(mode, cap) for mode in ORACLES if mode in args.modes]
            results: dict[tuple[str, int], list[dict[str, Any]]] = {key: [] for key in runs_of}
            for repetition in range(args.repetitions):
                shift = repetition % len(runs_of)
                for mode, start in runs_of[shift:] + runs_of[:shift]:
                    result = run_one(
                        mode,
                        emulator,
                        redis,
                        n=args.n,
                        conversations=args.conversations,
                        cap=cap,
                        start=start,
                        pin=pin,
                    )
                    result.pop("samples", None)
                    results[mode, start].append(result)
                    minimum = args.n * latency / cap
                    print(
                        f"C={cap} L={latency * 1000:.0f}ms S={start} {mode}: "
                        f"{result['wall_s']:.2f}s = {result['wall_s'] / minimum:.2f}x minimum, "
                        f"429 share {result['throttled_share']:.2%}, "
                        f"created {result['created']}/{args.n}",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            emulator.close()
        minimum = args.n * latency / cap
        for (mode, start), runs in results.items():
            rows.append(
                {
                    "mode": mode,
                    "cap": cap,
                    "latency_ms": round(latency * 1000),
                    "start": start,
                    "n": args.n,
                    "minimum_s": minimum,
                    "wall_s": summarise([r["wall_s"] for r in runs]),
                    "wall_over_minimum": summarise([r["wall_s"] / minimum for r in runs]),
                    "throttled_share": summarise([r["throttled_share"] for r in runs]),
                    "failures": max(sum(r["failures"].values()) for r in runs),
                    "created": min(r["created"] for r in runs),
                    "runs": runs,
                }
            )
    return rows


# -- the moving cap ------------------------------------------------------------------------------


def run_moving(args: argparse.Namespace, redis: RedisServer | None, pin: bool) -> dict[str, Any]:
    """One run per mode while the cap goes 20 -> 10 -> 30; the limiter's state over time."""
    seconds = args.moving_seconds
    plan = [[offset * seconds / MOVING_SECONDS, cap] for offset, cap in MOVING_CAPS]
    # Enough creates to last the plan out at each cap's full rate.
    bounds = [offset for offset, _ in plan] + [seconds]
    n = int(
        1.05
        * sum(cap / MOVING_LATENCY * (bounds[i + 1] - bounds[i]) for i, (_, cap) in enumerate(plan))
    )
    out: dict[str, Any] = {"plan": plan, "latency_ms": MOVING_LATENCY * 1000, "n": n, "runs": {}}
    faults = {"latency": MOVING_LATENCY, "max_in_flight": plan[0][1], "writes_per_second": 30}
    emulator = EmulatorProcess(faults, EMULATOR_CPU if pin else None)
    try:
        for mode in args.moving_modes:
            emulator.ask("faults", {"max_in_flight": plan[0][1]})
            header = mode.endswith("-header")
            emulator.ask("faults", {"concurrent_requests_header": header})
            sids = emulator.ask("new", {"conversations": max(args.conversations, 400)})
            options: dict[str, Any] = {
                "base_url": emulator.base_url,
                "conversations": sids["conversations"],
                "n": n,
                "max_concurrency": 50,
                "limiter": "adaptive",
                "cap": plan[0][1],
                "sample_every": 0.02,
            }

            def schedule_caps(start_at: float) -> None:
                # The cap schedule starts when the client does (both on this machine's clock).
                lead = max(0.0, start_at - time.time())
                emulator.ask("caps", {"at": [[offset + lead, cap] for offset, cap in plan]})

            if mode.startswith("redis"):
                assert redis is not None
                result = run_redis(options, redis, schedule_caps)
            else:
                result = run_adaptive(options, pin, schedule_caps)
            server = emulator.ask("counters")
            applied = emulator.ask("caps")["applied"]
            result["throttled_share"] = server["throttled"] / max(1, server["requests"])
            result["server"] = server
            result["caps_applied"] = applied
            out["runs"][mode] = result
            print(
                f"moving cap {mode}: {result['wall_s']:.1f}s, 429 share "
                f"{result['throttled_share']:.2%}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        emulator.close()
    return out


# -- the plot and the page -----------------------------------------------------------------------


def plot(moving: dict[str, Any], path: Path) -> None:
    """Permits (and requests in flight) against the cap over the moving-cap runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = moving["runs"]
    figure, axes = plt.subplots(
        len(runs), 1, figsize=(9, 2.6 * len(runs)), sharex=True, squeeze=False
    )
    titles = {
        "adaptive-header": "AdaptiveLimiter, server sends Twilio-Concurrent-Requests",
        "adaptive-plain": "AdaptiveLimiter, no Twilio-Concurrent-Requests",
        "redis-header": f"RedisLimiter, {WORKERS} processes (shared permits, leases held)",
        "redis-plain": f"RedisLimiter, {WORKERS} processes, no header",
    }
    for axis, (mode, run) in zip(axes[:, 0], runs.items(), strict=True):
        started = run["started"]
        times = [t - started for t, *_ in run["samples"]]
        axis.plot(times, [s[1] for s in run["samples"]], label="permits", linewidth=1.4)
        axis.plot(
            times, [s[2] for s in run["samples"]], label="in flight", linewidth=0.7, alpha=0.6
        )
        cap_times = [t - started for t, _ in run["caps_applied"]]
        caps = [c for _, c in run["caps_applied"]]
        end = run["ended"] - started
        axis.step(
            [*cap_times, end], [*caps, caps[-1]], where="post", label="cap", color="black",
            linestyle="--", linewidth=1.0,
        )  # fmt: skip
        axis.set_title(
            f"{titles.get(mode, mode)}: 429 share {run['throttled_share']:.2%}", fontsize=9
        )
        axis.set_ylabel("requests")
        axis.set_ylim(0, max(40, max(s[1] for s in run["samples"]) + 5))
        axis.legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel(
        f"seconds (latency {moving['latency_ms']:.0f} ms, cap 20 -> 10 -> 30 mid-run)"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _cell(summary: dict[str, float], fmt: str) -> str:
    median = format(summary["median"], fmt)
    if format(summary["min"], fmt) == format(summary["max"], fmt):
        return median
    return f"{median} ({format(summary['min'], fmt)}–{format(summary['max'], fmt)})"


def section(results: dict[str, Any]) -> list[str]:
    """The Markdown section of docs/benchmarks.md for a throughput results dict."""
    grid = results.get("grid", [])
    settings = results["settings"]
    lines = [
        "## Using the account's cap",
        "",
        f"`python -m benchmarks.throughput` (`nox -s throughput`); {settings['repetitions']} "
        f"repetitions per cell, median (min–max). N = {settings['n']} creates under one "
        f"`asyncio.gather`, over {settings['conversations']} conversations, against the "
        "emulator's cap C with latency L, from `max_concurrency` S. Minimum: N·L/C. Target: "
        f"wall ≤ {WALL_LIMIT}x minimum with ≤ {THROTTLED_LIMIT:.0%} of requests answered 429. "
        "*oracle*: a limiter that knows C (never a 429): the floor of this machine. "
        f"*redis*: {WORKERS} processes sharing one `RedisLimiter`; *redis-oracle*: the same "
        "with a `RedisLimiter` that knows C, the floor of sharing. *header*: the emulator sends "
        "`Twilio-Concurrent-Requests`; *plain*: it does not. Measured on "
        f"{results['machine']['date']} (commit {results['machine']['git_commit']}, "
        f"{results['machine']['nproc']} CPUs); the 429 share is the server's.",
        "",
    ]
    floors = {(r["mode"], r["cap"], r["latency_ms"]): r for r in grid if r["mode"] in ORACLES}
    oracles = [m for m in ORACLES if any(r["mode"] == m for r in grid)]
    modes = [m for m in MODES if m not in ORACLES and any(r["mode"] == m for r in grid)]
    if grid:
        lines += [
            "| C | L ms | S | minimum s | "
            + "".join(f"{m} wall/min | " for m in oracles)
            + " | ".join(f"{m} wall/min | {m} 429s" for m in modes)
            + " |",
            "|---|---|---|---|" + "---|" * len(oracles) + "---|---|" * len(modes),
        ]
        keys = sorted(
            {
                (r["cap"], r["latency_ms"], r["start"], r["minimum_s"])
                for r in grid
                if r["mode"] not in ORACLES
            }
        )
        for cap, latency, start, minimum in keys:
            row = [str(cap), str(latency), str(start), f"{minimum:.2f}"]
            for floor in oracles:
                base = floors.get((floor, cap, latency))
                row.append(_cell(base["wall_over_minimum"], ".2f") if base else "–")
            for mode in modes:
                match = [
                    r for r in grid
                    if (r["mode"], r["cap"], r["latency_ms"], r["start"]) == (mode, cap, latency, start)
                ]  # fmt: skip
                if not match:
                    row += ["–", "–"]
                    continue
                entry = match[0]
                wall = _cell(entry["wall_over_minimum"], ".2f")
                share = _cell(entry["throttled_share"], ".1%")
                met = (
                    entry["wall_over_minimum"]["median"] <= WALL_LIMIT
                    and entry["throttled_share"]["max"] <= THROTTLED_LIMIT
                )
                row += [wall if met else f"**{wall}**", share]
            lines.append("| " + " | ".join(row) + " |")
        lines += [
            "",
            "Bold: the target not met (median wall over minimum, or the worst 429 share).",
            "",
        ]
    moving = results.get("moving")
    if moving:
        shares = ", ".join(
            f"{mode} {run['throttled_share']:.2%}" for mode, run in moving["runs"].items()
        )
        lines += [
            f"The limiter's state while the cap moves 20 -> 10 -> 30 (latency "
            f"{moving['latency_ms']:.0f} ms, {moving['n']} creates, sampled every 20 ms; "
            f"429 share {shares}):",
            "",
            "![permits against the cap](_static/limiter-permits.png)",
            "",
        ]
    return lines


def update_page(results: dict[str, Any], page: Path) -> None:
    text = page.read_text() if page.exists() else "# Benchmarks\n"
    block = "\n".join([START_MARK, *section(results), END_MARK])
    if START_MARK in text and END_MARK in text:
        before, _, rest = text.partition(START_MARK)
        _, _, after = rest.partition(END_MARK)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    page.write_text(text)


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="creates per run (default 2000)")
    parser.add_argument("--repetitions", "-r", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--caps", type=int, nargs="+", default=[10, 20, 50])
    parser.add_argument("--latencies", type=int, nargs="+", default=[20, 100], help="ms")
    parser.add_argument("--starts", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--moving-modes",
        nargs="*",
        choices=[m for m in MODES if m not in ORACLES],
        default=["adaptive-header", "adaptive-plain", "redis-header"],
    )
    parser.add_argument("--moving-seconds", type=float, default=MOVING_SECONDS)
    parser.add_argument("--no-grid", action="store_true")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny N, one repetition, one cell")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--plot", default=str(PLOT), help="the PNG to draw ('' for none)")
    parser.add_argument(
        "--page", default=str(PAGE), help="the page to write the section in ('' for none)"
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: redraw the plot and the page section from --output",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repetitions, args.conversations = 60, 1, 20
        args.caps, args.latencies, args.starts = [10], [20], [50]
        args.moving_seconds = 1.5
    return args


def render(results: dict[str, Any], args: argparse.Namespace) -> None:
    if args.plot and results.get("moving"):
        plot(results["moving"], Path(args.plot))
    if args.page:
        update_page(results, Path(args.page))
    print("\n".join(section(results)))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.render_only:
        saved: dict[str, Any] = json.loads(args.output.read_text())
        render(saved, args)
        return saved
    pin = can_pin() and not args.no_pin
    wanted = set(args.modes if not args.no_grid else ()) | set(args.moving_modes)
    redis = RedisServer() if any(m.startswith("redis") for m in wanted) else None
    command = "python -m benchmarks.throughput " + " ".join(sys.argv[1:] if argv is None else argv)
    results: dict[str, Any] = {
        "machine": machine(command.strip()),
        "settings": {
            "n": args.n,
            "repetitions": args.repetitions,
            "conversations": args.conversations,
            "workers": WORKERS,
            "pinned": pin,
            "quick": args.quick,
        },
    }
    try:
        if not args.no_grid:
            results["grid"] = run_grid(args, redis, pin)
        if args.moving_modes:
            results["moving"] = run_moving(args, redis, pin)
    finally:
        if redis is not None:
            redis.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    render(results, args)
    return results


if __name__ == "__main__":
    main()
