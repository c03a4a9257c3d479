"""Client instructions per create, counted by callgrind: repeatable whatever else the machine runs.

Wall and CPU time on a shared machine move by 10% from one run to the next; the number of
instructions a process executes barely moves. Each client runs twice under
``valgrind --tool=callgrind`` against the emulator (in a process of its own, not counted), once
with ``-n`` creates and once with twice as many: the difference divided by ``n`` is the cost of
one create, with imports, start-up and shutdown cancelled out.

::

    python -m benchmarks.instructions                       # aiohttp, twilio, ours-*, n=2000
    python -m benchmarks.instructions -c ours-gather -n 1000 --profile /tmp/prof
    python -m benchmarks.instructions --stdlib-json    # as without the fast-json extra

``--save`` keeps the figures in ``benchmarks/results/instructions.json`` (per decoder) and
rewrites the "Instructions per create" section of docs/benchmarks.md. ``--profile DIR`` keeps
the callgrind files (``callgrind_annotate DIR/ours-gather-2000.out``).
Under callgrind the client is ~50x slower, so the emulator is never the bottleneck.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from conversations_async.testing import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

from .run import CLIENT_CPU, EMULATOR_CPU, ROOT, EmulatorProcess, can_pin, client_environment

CLIENTS = (
    "aiohttp",
    "aiohttp-json",
    "twilio",
    "ours-gather",
    "ours-gather-raw",
    "ours-create-many",
)
RESULTS = ROOT / "benchmarks" / "results" / "instructions.json"
"""The last ``--save``d figures, one entry per decoder; docs/benchmarks.md shows them."""
START_MARK = "<!-- instructions:start -->"
END_MARK = "<!-- instructions:end -->"
_TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def count(
    client: str,
    n: int,
    concurrency: int,
    emulator: EmulatorProcess,
    out: Path,
    pin: bool,
    stdlib_json: bool = False,
) -> int:
    """Instructions the client process executed adding ``n`` participants."""
    conversation = emulator.ask("new")["conversation"]
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "benchmarks._client",
        client,
        "--base-url",
        emulator.base_url,
        "--account-sid",
        DEFAULT_ACCOUNT_SID,
        "--auth-token",
        DEFAULT_AUTH_TOKEN,
        "--conversation",
        conversation,
        "-n",
        str(n),
        "--concurrency",
        str(concurrency),
    ]
    if pin:
        command += ["--cpu", str(CLIENT_CPU)]
    if stdlib_json:
        command.append("--stdlib-json")
    # A fixed hash seed: with a random one the same commit's count moves by up to 5% between
    # runs (dict and set layouts differ), with seed 0 by about 0.1%.
    env = {**client_environment(), "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{client} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "skipped" in result:
        raise RuntimeError(f"{client} skipped: {result['skipped']}")
    if result["successes"] != n:
        raise RuntimeError(f"{client}: {result['successes']}/{n} succeeded")
    match = _TOTALS.search(out.read_text())
    if match is None:
        raise RuntimeError(f"no totals in {out}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__)
    parser.add_argument("-c", "--client", action="append", choices=CLIENTS)
    parser.add_argument("-n", type=int, default=2000, help="creates of the shorter run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.0, help="the emulator's, in seconds")
    parser.add_argument("--profile", type=Path, help="keep the callgrind files in this folder")
    parser.add_argument("--save", action="store_true", help=f"keep the figures in {RESULTS.name}")
    parser.add_argument(
        "--stdlib-json",
        action="store_true",
        help="our clients decode with json alone, as without the fast-json extra (msgspec)",
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    pin = can_pin()
    emulator = EmulatorProcess({"latency": args.latency}, EMULATOR_CPU if pin else None)
    folder = args.profile or Path(tempfile.mkdtemp(prefix="callgrind-"))
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    try:
        for client in args.client or CLIENTS:
            short, long = (
                count(
                    client,
                    n,
                    args.concurrency,
                    emulator,
                    folder / f"{client}-{n}.out",
                    pin,
                    args.stdlib_json and client.startswith("ours"),
                )
                for n in (args.n, 2 * args.n)
            )
            figures[client] = {"per_create": (long - short) / args.n, "short": short, "long": long}
            print(f"{client}: {figures[client]['per_create']:,.0f} instructions/create",
                  file=sys.stderr)  # fmt: skip
    finally:
        emulator.close()
        if args.profile is None:
            shutil.rmtree(folder, ignore_errors=True)
    floor = figures.get("aiohttp", {}).get("per_create")
    for entry in figures.values():
        if floor:
            entry["over_floor"] = entry["per_create"] / floor
    json_decoder = "json" if args.stdlib_json else "msgspec, where installed"
    summary = {"n": args.n, "concurrency": args.concurrency, "json_decoder": json_decoder}
    print(json.dumps({**summary, "clients": figures}, indent=1))
    if args.save:
        save("json" if args.stdlib_json else "msgspec", {**summary, "clients": figures})
    return figures


def save(decoder: str, run: dict[str, Any]) -> None:
    """Keep ``run`` as the figures for ``decoder`` (the other decoder's are left as they are)."""
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    saved[decoder] = {**run, "commit": commit or "unknown"}
    RESULTS.write_text(json.dumps(saved, indent=1) + "\n")
    page = ROOT / "docs" / "benchmarks.md"
    text = page.read_text() if page.exists() else "# Benchmarks\n"
    block = "\n".join([START_MARK, *section(saved), END_MARK])
    if START_MARK in text and END_MARK in text:
        before, _, rest = text.partition(START_MARK)
        text = before + block + rest.partition(END_MARK)[2]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    page.write_text(text)


def section(saved: dict[str, Any]) -> list[str]:
    """The Markdown section of docs/benchmarks.md for the saved figures (and their ``note``,
    written by hand: what they compare with)."""
    lines = [
        "## Instructions per create",
        "",
        "Instructions the client process executes per participant create, counted by callgrind "
        "(`python -m benchmarks.instructions -c aiohttp -c ours-gather -c ours-gather-raw "
        "-c ours-create-many -n 500 --save`, and again with `--stdlib-json`): each client adds "
        "n and then 2n participants, and the difference is divided by n, so imports and start-up "
        "cancel out. "
        "Unlike CPU time they hardly depend on the machine's load, but they still move by a few "
        "percent from run to run (how many answers the event loop finds at each wake-up), so the "
        "floor is counted in the same run as ours. *msgspec*: with the `fast-json` extra; "
        "*json*: the default install. *ours-gather-raw* sends the same creates, built by the "
        "same operation, with `Session.request_raw`: all of ours-gather but decoding and "
        "structuring the answer, which the floor never does; the difference between the two "
        "rows is that part's cost.",
        "",
        "| client | decoder | instructions/create | / floor | commit |",
        "|---|---|---|---|---|",
    ]
    for decoder in ("msgspec", "json"):
        run = saved.get(decoder)
        if run is None:
            continue
        for client, figures in run["clients"].items():
            ratio = figures.get("over_floor")
            shown = "" if ratio is None else f"{ratio:.3f}x"
            lines.append(
                f"| {client} | {decoder} | {figures['per_create']:,.0f} | {shown} "
                f"| {run['commit']} |"
            )
    note = saved.get("note")
    return [*lines, "", *([note, ""] if note else [])]


if __name__ == "__main__":
    main()
