"""The ``conversations-async`` command: a demo, bulk onboarding from a file, and the emulator.

- ``demo``: onboard a few hundred participants into the embedded emulator, run with
  Twilio-like limits and faults, and print what happened.
- ``add-participants CONVERSATION FILE``: add every participant of a CSV or JSON-lines file;
  safe to run again after an interruption.
- ``emulator``: serve the emulator on a port.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from ._bulk import BulkReport, BulkResult, BulkStatus
from ._types import NOT_GIVEN
from .resources import NewParticipant
from .testing import Emulator, Faults

if TYPE_CHECKING:
    from rich.progress import Progress

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# The columns an input file may have: the fields of one participant spec.
SPEC_FIELDS = tuple(field.name for field in attrs.fields(NewParticipant))


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _progress(console: Any, *, disable: bool = False) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
    )


# -- demo ----------------------------------------------------------------------------------------


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

    console = Console()
    faults = Faults(
        latency=latency,
        max_in_flight=max_in_flight,
        writes_per_second=writes_per_second,
        server_error_rate=error_rate,
        disconnect_after_commit_rate=disconnect_rate,
        seed=seed,
    )
    async with Emulator(faults=faults, seed=seed) as emulator, emulator.session() as session:
        console.print(
            f"Emulator at [bold]{emulator.base_url}[/]: at most {max_in_flight} requests in"
            f" flight, {writes_per_second:g} writes/s per conversation, {error_rate:.0%} 5xx,"
            f" {disconnect_rate:.0%} connections cut after commit"
        )
        conversation = await session.conversations.create(friendly_name="Onboarding demo")
        emulator.reset_counters()
        specs = (NewParticipant(identity=f"user-{i:05d}") for i in range(participants))
        started = time.perf_counter()
        with _progress(console) as progress:
            task = progress.add_task("Adding participants", total=participants)
            report = await session.participants.create_many(
                conversation.sid, specs, on_result=lambda _: progress.advance(task)
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
        console.print(table)
        ok = report.ok and len(identities) == len(set(identities)) == participants
        return EXIT_OK if ok else EXIT_FAILED


# -- add-participants ----------------------------------------------------------------------------


class InputError(Exception):
    """The input file cannot be read (bad format, unknown column); the run stops."""


def _cell(field: str, value: object) -> object:
    """One CSV cell or JSON value as a create parameter; empty means "not given"."""
    if value is None or value == "":
        return NOT_GIVEN
    if not isinstance(value, str):
        return value
    if field == "webhook_enabled":
        lowered = value.strip().lower()
        # Anything else stays a string, which validation refuses naming the field.
        return {"true": True, "false": False}.get(lowered, value)
    if field in {"date_created", "date_updated"}:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _spec(row: dict[str, Any], where: str) -> NewParticipant:
    unknown = sorted(set(row) - set(SPEC_FIELDS))
    if unknown:
        raise InputError(f"{where}: unknown column(s) {', '.join(unknown)}; known: {SPEC_FIELDS}")
    fields = {name: _cell(name, value) for name, value in row.items()}
    return NewParticipant(**fields)  # type: ignore[arg-type]


def read_specs(path: Path) -> Iterator[NewParticipant]:
    """The specs of a CSV file (header row of parameter names) or a JSON-lines file, lazily.

    ``attributes`` is JSON text in a CSV cell; in JSON lines it may be an object or JSON text.
    """
    with path.open(newline="", encoding="utf-8") as file:
        if _is_json_lines(path, file):
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise InputError(f"{path}:{number}: not JSON ({exc})") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}:{number}: expected a JSON object")
                yield _spec(row, f"{path}:{number}")
        else:
            reader = csv.DictReader(file)
            for row in reader:
                if None in row:
                    raise InputError(f"{path}:{reader.line_num}: more cells than columns")
                yield _spec(dict(row), f"{path}:{reader.line_num}")


def _is_json_lines(path: Path, file: TextIO) -> bool:
    if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        return True
    if path.suffix.lower() == ".csv":
        return False
    start = file.read(1)
    file.seek(0)
    return start == "{"


def _count_lines(path: Path) -> int | None:
    """The number of specs, for the progress bar (a quick pass; None if unsure)."""
    try:
        with path.open("rb") as file:
            lines = sum(1 for line in file if line.strip())
    except OSError:
        return None
    return lines if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else max(0, lines - 1)


class ResultsWriter:
    """Writes one CSV line per result as it comes: index, status, sid, error_code, message.

    ``error_code`` and ``message`` are filled for ``failed`` and ``unknown`` results.
    """

    def __init__(self, file: TextIO | None) -> None:
        self._file = file
        self._writer = csv.writer(file) if file is not None else None
        if self._writer is not None:
            self._writer.writerow(["index", "status", "sid", "error_code", "message"])

    def write(self, result: BulkResult) -> None:
        if self._writer is None or self._file is None:
            return
        sid = result.participant.sid if result.participant else ""
        unsettled = result.status in {BulkStatus.FAILED, BulkStatus.UNKNOWN}
        message = str(result.error or "") if unsettled else ""
        code = result.error_code if unsettled else None
        self._writer.writerow([result.index, result.status.value, sid, code or "", message])
        self._file.flush()  # an interrupted run still leaves every finished line


async def run_add_participants(
    conversation: str,
    path: Path,
    *,
    base_url: str | None,
    service: str | None,
    concurrency: int | None,
    results_path: Path | None,
    progress_bar: bool,
) -> int:
    from rich.console import Console

    from . import ConversationsError, Session

    console = Console(stderr=True)
    try:
        session = Session.from_env(base_url=base_url) if base_url else Session.from_env()
    except ConversationsError as error:
        console.print(f"[red]{error}[/] (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)")
        return EXIT_USAGE
    results_file = results_path.open("w", newline="", encoding="utf-8") if results_path else None
    writer = ResultsWriter(results_file)
    try:
        async with session:
            participants = (
                session.service(service).participants if service else session.participants
            )
            with _progress(console, disable=not progress_bar) as progress:
                task = progress.add_task("Adding participants", total=_count_lines(path))

                def on_result(result: BulkResult) -> None:
                    writer.write(result)
                    progress.advance(task)

                report: BulkReport = await participants.create_many(
                    conversation, read_specs(path), concurrency=concurrency, on_result=on_result
                )
    except InputError as error:
        console.print(f"[red]{error}[/]; finished results are in the results file")
        return EXIT_USAGE
    except ConversationsError as error:
        console.print(f"[red]{error}[/]")
        return EXIT_USAGE
    finally:
        if results_file is not None:
            results_file.close()
    for line in summary(report):
        console.print(line)
    return EXIT_OK if report.ok else EXIT_FAILED


def summary(report: BulkReport) -> list[str]:
    """The lines printed after a run: the counts, then the first failed and unknown results."""
    counts = report.counts
    lines = [
        f"created {counts[BulkStatus.CREATED]}, existed {counts[BulkStatus.EXISTED]},"
        f" failed {counts[BulkStatus.FAILED]}, unknown {counts[BulkStatus.UNKNOWN]}"
    ]
    lines += [f"  #{result.index}: {result.error}" for result in report.failed[:10]]
    if report.unknown:
        lines.append(
            f"{len(report.unknown)} unknown: the create may or may not have been applied and"
            " reading back did not answer; re-run the same file to settle"
        )
        lines += [f"  #{result.index}: {result.error}" for result in report.unknown[:10]]
    return lines


# -- emulator ------------------------------------------------------------------------------------


async def run_emulator(host: str, port: int, faults: Faults | None = None) -> None:
    """Serve the emulator until interrupted."""
    async with Emulator(host=host, port=port, faults=faults) as emulator:
        print(f"Conversations emulator at {emulator.base_url}")
        print(f"  account_sid={emulator.account_sid} auth_token={emulator.auth_token}")
        print("Press Ctrl+C to stop.", flush=True)
        await asyncio.Event().wait()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conversations-async",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="onboard participants into the embedded emulator")
    demo.add_argument("--participants", type=int, default=300)
    demo.add_argument("--latency", type=float, default=0.02, help="server latency in seconds")
    demo.add_argument("--max-in-flight", type=int, default=20, help="server concurrency cap")
    demo.add_argument(
        "--writes-per-second", type=float, default=30, help="server writes/s per conversation"
    )
    demo.add_argument("--error-rate", type=float, default=0.03, help="share answered 500")
    demo.add_argument(
        "--disconnect-rate", type=float, default=0.02, help="share of writes cut after commit"
    )
    demo.add_argument("--seed", type=int, default=7)

    add = commands.add_parser(
        "add-participants",
        help="add the participants of a CSV or JSON-lines file to a conversation",
        description=(
            "Columns (or JSON keys) are the create parameters: "
            + ", ".join(SPEC_FIELDS)
            + ". attributes is JSON text. Credentials come from TWILIO_ACCOUNT_SID with"
            " TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET. Exit status: 0 when"
            " every participant is in the conversation, 1 when some failed or are unknown"
            " (re-run the same file to settle those), 2 on bad input. Running the same file"
            " again is safe: present participants come back 'existed'."
        ),
    )
    add.add_argument("conversation", help="conversation SID (CH…) or unique name")
    add.add_argument("file", type=Path, help="CSV with a header row, or JSON lines (.jsonl)")
    add.add_argument("--base-url", help="service root, e.g. an emulator's http://127.0.0.1:8099")
    add.add_argument("--service", help="Conversation Service SID (IS…), default service if absent")
    add.add_argument("--concurrency", type=int, default=None, help="participants in progress")
    add.add_argument("--results", type=Path, help="write one CSV line per input here")
    add.add_argument("--no-progress", action="store_true", help="no progress bar")

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return asyncio.run(
                run_demo(
                    args.participants,
                    latency=args.latency,
                    max_in_flight=args.max_in_flight,
                    writes_per_second=args.writes_per_second,
                    error_rate=args.error_rate,
                    disconnect_rate=args.disconnect_rate,
                    seed=args.seed,
                )
            )
        if args.command == "add-participants":
            if not args.file.is_file():
                print(f"conversations-async: no such file: {args.file}", file=sys.stderr)
                return EXIT_USAGE
            return asyncio.run(
                run_add_participants(
                    args.conversation,
                    args.file,
                    base_url=args.base_url,
                    service=args.service,
                    concurrency=args.concurrency,
                    results_path=args.results,
                    progress_bar=not args.no_progress,
                )
            )
        faults = Faults(
            latency=args.latency,
            max_in_flight=args.max_in_flight,
            writes_per_second=args.writes_per_second,
        )
        asyncio.run(run_emulator(args.host, args.port, faults))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "read_specs"]
