"""What a command shows and writes: the console, the results file, the summary.

Everything that comes from outside (Twilio's messages and ``more_info`` links, identities from
the file) is printed as plain text, never as rich markup, so ``[https://…]`` stays visible.
"""

from __future__ import annotations

import collections
import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

import attrs

from .._bulk import BulkResult, BulkStatus
from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConversationsError,
    InvalidArgumentError,
    ResponseValidationError,
)
from ..models import Participant
from ._files import INVALID, Row

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

SHOWN: Final = 10
"""Problems listed on the console; the rest are counted (and are all in the results file)."""
RESULT_COLUMNS: Final = ("line", "identity", "address", "status", "sid", "error_code", "message")
UNSETTLED: Final = frozenset({BulkStatus.FAILED, BulkStatus.UNKNOWN})


def console() -> Console:
    """Messages go to stderr (stdout is for data, as ``export-participants`` writes it); lines
    are never wrapped, so a link or a message can be copied whole."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def say(out: Console, text: str, style: str | None = None) -> None:
    """Print ``text`` as it is (no markup), optionally in one style."""
    from rich.text import Text

    out.print(Text(text, style=style or ""))


def progress(out: Console, *, enabled: bool) -> Progress:
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
        console=out,
        disable=not enabled or not out.is_terminal,
        transient=True,
    )


def shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def who(identity: str, address: str) -> str:
    """``identity 'ada'`` or ``address '+1555…'``, for a message."""
    if identity:
        return f"identity {shortened(identity)!r}"
    return f"address {shortened(address)!r}" if address else ""


def error_code(error: ConversationsError | None) -> str:
    """The results file's ``error_code``: Twilio's code, or one of ours that says what kind of
    failure it was (``invalid`` for a value refused before sending; ``http-<status>`` for an
    answer without a code; ``connection``, ``timeout``, ``unreadable``)."""
    if isinstance(error, APIStatusError):
        return str(error.code) if error.code is not None else f"http-{error.status}"
    if isinstance(error, InvalidArgumentError):
        return INVALID
    if isinstance(error, APITimeoutError):
        return "timeout"
    if isinstance(error, APIConnectionError):
        return "connection"
    if isinstance(error, ResponseValidationError):
        return "unreadable"
    return "" if error is None else "error"


@attrs.frozen
class Shown:
    """One problem as the console lists it."""

    line: int | None
    who: str
    message: str

    def text(self) -> str:
        where = f"line {self.line}" if self.line is not None else "member"
        subject = f" ({self.who})" if self.who else ""
        return f"  {where}{subject}: {self.message}"


@attrs.define
class Tally:
    """What a command did, kept as it goes, so that the summary can be printed on any exit."""

    command: str
    results_path: Path | None = None
    lines: int | None = None
    """Participant lines in the file (after the checking pass)."""
    bad_lines: int = 0
    sent: bool = False
    """Whether anything was sent (any write)."""
    counts: collections.Counter[str] = attrs.field(factory=collections.Counter)
    """Results by status (``created``, ``removed``, …) and, for sync, by phase."""
    problems: list[Shown] = attrs.field(factory=list)
    more_problems: int = 0
    notes: list[str] = attrs.field(factory=list)
    """Lines printed after the counts (why the command stopped, what to do)."""

    def problem(self, shown: Shown) -> None:
        if len(self.problems) < SHOWN:
            self.problems.append(shown)
        else:
            self.more_problems += 1


class ResultsFile:
    """The ``--results`` CSV: one row per line (or member, for sync), in the order they finish,
    flushed as it goes so that an interrupted run still leaves every finished row."""

    def __init__(self, path: Path | None) -> None:
        self._file: TextIO | None = None
        self._writer: Any = None
        if path is not None:
            self._file = path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file)
            self._writer.writerow(RESULT_COLUMNS)

    def row(
        self,
        line: int | None,
        identity: str,
        address: str,
        status: str,
        sid: str = "",
        code: str = "",
        message: str = "",
    ) -> None:
        if self._writer is None or self._file is None:
            return
        self._writer.writerow(
            ["" if line is None else line, identity, address, status, sid, code, message]
        )
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def record_bad_row(tally: Tally, results: ResultsFile, row: Row) -> None:
    """A bad line, found by the checking pass: shown (the first few), counted, and written
    with its local code (it is never sent)."""
    problem = row.problem
    assert problem is not None
    tally.bad_lines += 1
    tally.problem(Shown(row.line, who(row.identity, row.address), problem.message))
    results.row(
        row.line, row.identity, row.address, "failed", code=problem.code, message=problem.message
    )


def record_result(
    tally: Tally,
    results: ResultsFile,
    result: BulkResult,
    *,
    line: int | None,
    identity: str,
    address: str,
    phase: str = "",
) -> None:
    """One finished item: counted, written, and shown when it failed or is unknown."""
    tally.counts[phase + result.status.value] += 1
    participant = result.participant if isinstance(result.participant, Participant) else None
    sid = participant.sid if participant is not None else ""
    if result.status not in UNSETTLED:
        results.row(line, identity, address, result.status.value, sid)
        return
    message = str(result.error or "")
    tally.problem(Shown(line, who(identity, address), f"{result.status.value}: {message}"))
    results.row(
        line, identity, address, result.status.value, sid, error_code(result.error), message
    )


def see_all(tally: Tally) -> str:
    """Where the rest of a list cut short is."""
    if tally.results_path is None:
        return "pass --results FILE to list them all"
    return f"see {tally.results_path}"


def problem_list(out: Console, tally: Tally) -> None:
    if tally.problems:
        say(out, f"Problems ({len(tally.problems) + tally.more_problems}):")
    for shown in tally.problems:
        say(out, shown.text())
    if tally.more_problems:
        say(out, f"  … and {tally.more_problems} more ({see_all(tally)})")


def summary(out: Console, tally: Tally, exit_code: int) -> None:
    """The closing lines, printed whatever the exit: problems, counts, notes, where the
    results are."""
    problem_list(out, tally)
    say(out, "Summary: " + _counts_text(tally), "bold")
    for note in tally.notes:
        say(out, note)
    if exit_code == 130:
        say(out, "Interrupted: running the same command again is safe (nobody is doubled).")
    if tally.results_path is not None:
        say(out, f"Results are in {tally.results_path}.")


def _counts_text(tally: Tally) -> str:
    counts = tally.counts
    parts = []
    if tally.lines is not None:
        bad = f", {tally.bad_lines} bad" if tally.bad_lines else ""
        parts.append(f"{tally.lines} lines{bad}")
    if tally.command == "export":
        parts.append(f"exported {counts['exported']}")
    elif not tally.sent:
        parts.append("nothing was sent")
    elif tally.command == "add":
        parts.append(_phase(counts, "", ("created", "existed", "failed", "unknown")))
    elif tally.command == "remove":
        parts.append(_phase(counts, "", ("removed", "absent", "failed", "unknown")))
    elif tally.command == "sync":
        parts.append(
            "removals: " + _phase(counts, "remove:", ("removed", "absent", "failed", "unknown"))
        )
        parts.append(
            "additions: " + _phase(counts, "add:", ("created", "existed", "failed", "unknown"))
        )
    return "; ".join(part for part in parts if part)


def _phase(counts: collections.Counter[str], prefix: str, statuses: tuple[str, ...]) -> str:
    return ", ".join(f"{status} {counts[prefix + status]}" for status in statuses)
