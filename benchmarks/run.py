"""The benchmark harness: every client against the emulator, scenario by scenario, as ratios.

::

    python -m benchmarks                # the full run: results/latest.json + docs/benchmarks.md
    python -m benchmarks --quick --output /tmp/bench.json   # a smoke run with tiny N

The emulator runs in a process of its own (``_emulator_process``), pinned to core 1 where the
machine has two; every client run is a fresh process (``_client``), pinned to core 0. Clients take
turns within each repetition, in an order that rotates from one repetition to the next, so slow
drifts of the machine (other work, thermal) fall on all of them alike. Each run gets a fresh
conversation, and the emulator is asked afterwards what really exists in it.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "latest.json"
DEFAULT_MARKDOWN = ROOT / "docs" / "benchmarks.md"
EMULATOR_CPU, CLIENT_CPU = 1, 0
GATHER_CLIENTS = ("aiohttp", "twilio", "ours-gather", "ours-create-many")
BEFORE = "@before"
"""Suffix of a client run from another checkout (``--compare-with``): the same scenario, the
same emulator and floor, another version of the library."""
COMPARE_WITH: Path | None = None


@attrs.frozen(kw_only=True)
class Scenario:
    name: str
    kind: str
    """unlimited | cap | rate | faults | memory | bounded: which figures and targets apply."""
    n: int
    concurrency: int
    clients: tuple[str, ...]
    faults: dict[str, float | int] = attrs.field(factory=dict)
    repetitions: int | None = None
    """None: the run's ``--repetitions``."""

    def describe(self) -> str:
        faults = ", ".join(f"{k}={v}" for k, v in self.faults.items()) or "none"
        return f"N={self.n}, client concurrency {self.concurrency}, server faults: {faults}"


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    n, rate_n, bulk_n = args.n, args.rate_n, args.bulk_n
    found = [
        Scenario(
            name=f"unlimited-{int(latency * 1000)}ms-c{concurrency}",
            kind="unlimited",
            n=n,
            concurrency=concurrency,
            clients=GATHER_CLIENTS,
            faults={"latency": latency},
        )
        for latency in (0.0, 0.02)
        for concurrency in (50, 200)
    ]
    found += [
        Scenario(
            name="cap-20-in-flight",
            kind="cap",
            n=n,
            concurrency=100,
            clients=GATHER_CLIENTS,
            faults={"max_in_flight": 20, "latency": 0.02},
        ),
        Scenario(
            name="30-writes-per-second",
            kind="rate",
            n=rate_n,
            concurrency=50,
            clients=GATHER_CLIENTS,
            faults={"writes_per_second": 30},
        ),
        Scenario(
            name="5xx-and-disconnects",
            kind="faults",
            n=n,
            concurrency=50,
            clients=GATHER_CLIENTS,
            # 5% of creates answered 5xx (half before the write, half after it was applied) and 3%
            # applied then cut off: the last two are the ambiguous ones.
            faults={
                "server_error_rate": 0.025,
                "server_error_after_commit_rate": 0.025,
                "disconnect_after_commit_rate": 0.03,
                "seed": 7,
            },
        ),
        Scenario(
            name=f"create-many-{bulk_n}",
            kind="memory",
            n=bulk_n,
            concurrency=50,
            clients=("baseline", "ours-create-many"),
            repetitions=args.memory_repetitions,
        ),
        Scenario(
            name=f"bounded-memory-{args.stream_n}",
            kind="bounded",
            n=args.stream_n,
            concurrency=50,
            # Nothing kept: memory bounded by the concurrency however many specs, where a report
            # of every result (the memory scenario) grows with the input.
            clients=("baseline", "ours-stream-many", "ours-create-many-counts"),
            repetitions=args.memory_repetitions,
        ),
    ]
    if args.only:
        unknown = set(args.only) - {s.name for s in found} - {s.kind for s in found}
        if unknown:
            raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        found = [s for s in found if s.name in args.only or s.kind in args.only]
    return found


class EmulatorProcess:
    """The emulator launcher as a child process, spoken to one JSON line at a time."""

    def __init__(self, faults: dict[str, float | int], cpu: int | None) -> None:
        command = [sys.executable, "-m", "benchmarks._emulator_process"]
        for key, value in faults.items():
            command += [f"--{key.replace('_', '-')}", str(value)]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        hello = self._read()
        self.base_url: str = hello["base_url"]
        self.pinned: bool = hello["pinned"]

    def _read(self) -> dict[str, Any]:
        stdout: IO[str] | None = self._process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited ({self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, command: str, argument: dict[str, Any] | None = None) -> dict[str, Any]:
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(command + ("" if argument is None else " " + json.dumps(argument)) + "\n")
        stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.ask_quit()
            self._process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        finally:
            if self._process.stdout is not None:
                self._process.stdout.close()  # else a ResourceWarning when it is collected

    def ask_quit(self) -> None:
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            stdin.write("quit\n")
            stdin.close()


def client_environment(root: Path = ROOT) -> dict[str, str]:
    # The official SDK would rewrite the emulator's host after an edge or region.
    env = {k: v for k, v in os.environ.items() if k not in {"TWILIO_EDGE", "TWILIO_REGION"}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def run_client(
    client: str, scenario: Scenario, emulator: EmulatorProcess, cpu: int | None
) -> dict[str, Any]:
    conversation = emulator.ask("new")["conversation"]
    # A client of the other checkout runs from there: its library and its client module.
    root = COMPARE_WITH if client.endswith(BEFORE) and COMPARE_WITH else ROOT
    command = [
        sys.executable,
        "-m",
        "benchmarks._client",
        client.removesuffix(BEFORE),
        "--base-url",
        emulator.base_url,
        "--account-sid",
        DEFAULT_ACCOUNT_SID,
        "--auth-token",
        DEFAULT_AUTH_TOKEN,
        "--conversation",
        conversation,
        "-n",
        str(scenario.n),
        "--concurrency",
        str(scenario.concurrency),
    ]
    if "writes_per_second" in scenario.faults:
        command += ["--writes-per-second", str(scenario.faults["writes_per_second"])]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    done = subprocess.run(
        command, cwd=root, env=client_environment(root), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"client {client} failed in {scenario.name}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if "skipped" in result:
        return result
    failed = result.pop("failed_identities")
    result["server"] = emulator.ask(
        "stats",
        {
            "conversation": conversation,
            "prefix": "user-",
            "n": scenario.n if client != "baseline" else 0,
            "reported_failed": failed,
        },
    )
    return result


def rotations(clients: Sequence[str], repetitions: int) -> Iterator[list[str]]:
    """Each repetition's order: the clients rotated by one more each time (ABCD, BCDA, …)."""
    for repetition in range(repetitions):
        shift = repetition % len(clients)
        yield list(clients[shift:]) + list(clients[:shift])


def derived(run: dict[str, Any], scenario: Scenario) -> dict[str, float]:
    """The per-run figures the tables are made of."""
    server = run["server"]
    figures = {
        "wall_s": run["wall_s"],
        "cpu_s": run["cpu_s"],
        "cpu_us_per_create": run["cpu_s"] / scenario.n * 1e6 if scenario.n else 0.0,
        "creates_per_s": scenario.n / run["wall_s"] if run["wall_s"] else 0.0,
        "successes": run["successes"],
        "failures": run["failures"],
        "throttled": server["throttled"],
        "requests": server["requests"],
        "throttled_share": server["throttled"] / server["requests"] if server["requests"] else 0,
        "false_failures": server["false_failures"],
        "missing": server["missing"],
        "duplicates": server["duplicates"],
        "max_rss_mib": run["max_rss_kib"] / 1024,
        "max_in_flight": server["max_in_flight"],
    }
    if scenario.kind == "bounded":
        # RSS after the first tenth of the specs and at the end: it must not grow with the input.
        samples = run.get("rss_samples") or [(0, 0, 0)]
        figures["rss_first_tenth_mib"] = samples[0][1] / 1024
        figures["rss_end_mib"] = samples[-1][1] / 1024
        figures["rss_growth_mib"] = (samples[-1][1] - samples[0][1]) / 1024
    if scenario.kind == "rate":
        minimum = (scenario.n - 1) / float(scenario.faults["writes_per_second"])
        figures["minimum_s"] = minimum
        figures["wall_over_minimum"] = run["wall_s"] / minimum if minimum else 0.0
    return figures


def summarise(runs: list[dict[str, Any]], scenario: Scenario) -> dict[str, Any]:
    """Median, min and max of each figure over the repetitions."""
    table = [derived(run, scenario) for run in runs]
    return {
        key: {
            "median": statistics.median(row[key] for row in table),
            "min": min(row[key] for row in table),
            "max": max(row[key] for row in table),
        }
        for key in table[0]
    }


def load_average() -> list[float]:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else []


def run_scenario(scenario: Scenario, repetitions: int, pin: bool) -> dict[str, Any]:
    emulator = EmulatorProcess(scenario.faults, EMULATOR_CPU if pin else None)
    runs: dict[str, list[dict[str, Any]]] = {client: [] for client in scenario.clients}
    skipped: dict[str, str] = {}
    load_before = load_average()
    try:
        for order in rotations(scenario.clients, scenario.repetitions or repetitions):
            for client in order:
                if client in skipped:
                    continue
                result = run_client(client, scenario, emulator, CLIENT_CPU if pin else None)
                if "skipped" in result:
                    skipped[client] = result["skipped"]
                    print(f"  {client}: skipped ({result['skipped']})", file=sys.stderr)
                    continue
                runs[client].append(result)
                print(
                    f"  {client}: {result['wall_s']:.2f}s wall, "
                    f"{result['cpu_s'] / max(scenario.n, 1) * 1e6:.0f} µs CPU/create, "
                    f"{result['successes']}/{scenario.n} ok, "
                    f"{result['server']['throttled']} x 429",
                    file=sys.stderr,
                )
    finally:
        emulator.close()
    return {
        "name": scenario.name,
        "kind": scenario.kind,
        "description": scenario.describe(),
        "n": scenario.n,
        "concurrency": scenario.concurrency,
        "faults": scenario.faults,
        "emulator_pinned": emulator.pinned,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "skipped": skipped,
        "clients": {
            client: {"runs": client_runs, "summary": summarise(client_runs, scenario)}
            for client, client_runs in runs.items()
            if client_runs
        },
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def machine(command: str) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "git_commit": git_commit(),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "aiohttp": package_version("aiohttp"),
        "twilio": package_version("twilio"),
        "conversations_async": package_version("conversations-async"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="creates per run (default 2000)")
    parser.add_argument("--rate-n", type=int, default=600, help="creates under 30 writes/s")
    parser.add_argument("--bulk-n", type=int, default=100_000, help="specs for create_many")
    parser.add_argument(
        "--stream-n",
        type=int,
        default=1_000_000,
        help="specs for stream_many and create_many(keep_results=False) (default 1,000,000)",
    )
    parser.add_argument("--repetitions", "-r", type=int, default=3)
    parser.add_argument(
        "--memory-repetitions",
        type=int,
        default=1,
        help="repetitions of the create_many memory scenario (peak memory barely varies)",
    )
    parser.add_argument("--only", action="append", help="a scenario name or kind (repeatable)")
    parser.add_argument("--quick", action="store_true", help="tiny N, 1 repetition: a smoke run")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--output", type=Path, help=f"JSON results (default {DEFAULT_OUTPUT})")
    parser.add_argument("--markdown", type=Path, help=f"table (default {DEFAULT_MARKDOWN})")
    parser.add_argument(
        "--compare-with",
        type=Path,
        help="another checkout of the library: its ours-* clients run too, as ours-*@before",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.rate_n, args.bulk_n, args.stream_n = 20, 31, 200, 200
        args.repetitions = args.memory_repetitions = 1
    if not args.quick:
        args.output = args.output or DEFAULT_OUTPUT
        args.markdown = args.markdown or DEFAULT_MARKDOWN
    return args


def can_pin() -> bool:
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else set()
    return {EMULATOR_CPU, CLIENT_CPU} <= usable


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from . import report

    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    pin = can_pin() and not args.no_pin
    results: dict[str, Any] = {
        "machine": machine(command.strip()),
        "settings": {
            "repetitions": args.repetitions,
            "memory_repetitions": args.memory_repetitions,
            "pinned": pin,
            "quick": args.quick,
        },
        "scenarios": [],
    }
    global COMPARE_WITH
    COMPARE_WITH = args.compare_with
    for scenario in scenarios(args):
        if COMPARE_WITH is not None:
            before = tuple(c + BEFORE for c in scenario.clients if c.startswith("ours-"))
            scenario = attrs.evolve(scenario, clients=(*scenario.clients, *before))
        print(f"{scenario.name}: {scenario.describe()}", file=sys.stderr)
        results["scenarios"].append(run_scenario(scenario, args.repetitions, pin))
    results["targets"] = report.check_targets(results)
    text = json.dumps(results, indent=1)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    else:
        print(text)
    if args.markdown:
        args.markdown.write_text(report.markdown(results))
    return results
