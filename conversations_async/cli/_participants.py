"""The participant commands: thin shells over ``create_many``, ``delete_many``, ``sync`` and
``list``.

Each writing command checks the whole file first (nothing is sent while a line is bad, unless
``--keep-going``), then checks the credentials and the conversation with one request, then
reads the file again and sends. Whatever happens, the summary is printed (``main`` does it from
the :class:`~._output.Tally` these functions fill in).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from .._bulk import BulkResult, BulkStatus
from .._session import Session
from ..errors import (
    AuthenticationError,
    ConversationsError,
    NotFoundError,
    PermissionDeniedError,
)
from ..models import Participant
from ..resources import NewParticipant, Participants, SyncPlan
from ._files import ExportWriter, Purpose, Row, read_rows
from ._output import (
    SHOWN,
    ResultsFile,
    Tally,
    progress,
    record_bad_row,
    record_result,
    say,
    see_all,
    who,
)

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130
CREDENTIALS_HINT: Final = (
    "set TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY with TWILIO_API_SECRET"
)


class Stop(Exception):
    """The command cannot go on; nothing more is sent. ``exit_code`` says how it ends."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@attrs.frozen(kw_only=True)
class Target:
    """Where the commands send: the conversation, the service root and scope, the pace."""

    conversation: str
    base_url: str | None = None
    service: str | None = None
    concurrency: int | None = None
    writes_per_second: float | None = None


@asynccontextmanager
async def _session(target: Target) -> AsyncIterator[Session]:
    options: dict[str, Any] = {"writes_per_second": target.writes_per_second}
    if target.base_url:
        options["base_url"] = target.base_url
    try:
        session = Session.from_env(**options)
    except ConversationsError as error:
        raise Stop(f"{error} ({CREDENTIALS_HINT})") from None
    async with session:
        yield session


def _participants(session: Session, target: Target) -> Participants:
    try:
        return (
            session.service(target.service).participants if target.service else session.participants
        )
    except ConversationsError as error:
        raise Stop(str(error)) from None


async def preflight(session: Session, target: Target) -> str:
    """The conversation's SID, from one request that also proves the credentials; a
    :class:`Stop` saying what is wrong otherwise."""
    scope = session.service(target.service) if target.service else session
    where = f" in service {target.service}" if target.service else ""
    try:
        conversation = await scope.conversations.fetch(target.conversation)
    except AuthenticationError as error:
        raise Stop(f"Twilio refused the credentials: {error} ({CREDENTIALS_HINT})") from None
    except PermissionDeniedError as error:
        raise Stop(f"These credentials may not use this conversation: {error}") from None
    except NotFoundError as error:
        raise Stop(f"No conversation {target.conversation!r}{where}: {error}") from None
    except ConversationsError as error:
        raise Stop(f"Could not check conversation {target.conversation!r}: {error}") from None
    return conversation.sid


async def check_file(path: Path, purpose: Purpose, tally: Tally, results: ResultsFile) -> None:
    """The checking pass: every line read once; the bad ones shown, counted and written."""
    tally.lines = 0
    for row in read_rows(path, purpose):
        tally.lines += 1
        if row.problem is not None:
            record_bad_row(tally, results, row)
        if tally.lines % 1000 == 0:
            await asyncio.sleep(0)  # a long file can still be interrupted (Ctrl+C)


def _stopped_for_bad_lines(tally: Tally, *, keep_going_allowed: bool = True) -> Stop:
    also = " (or pass --keep-going to send the good ones)" if keep_going_allowed else ""
    return Stop(f"{tally.bad_lines} bad line(s) in the file: fix them{also}; nothing was sent.")


def good_specs(
    path: Path, purpose: Purpose, tally: Tally, pending: dict[int, Row]
) -> Iterator[NewParticipant]:
    """The sending pass: the good lines' specs, each remembered by its index until its result
    comes; a bad line (already written) counts as failed."""
    index = 0
    for row in read_rows(path, purpose):
        if row.spec is None:
            tally.counts["failed"] += 1
            continue
        pending[index] = row
        index += 1
        yield row.spec


async def bulk_from_file(
    purpose: Purpose,
    target: Target,
    path: Path,
    *,
    tally: Tally,
    out: Console,
    results: ResultsFile,
    keep_going: bool,
    dry_run: bool,
    progress_bar: bool,
) -> int:
    await check_file(path, purpose, tally, results)
    if tally.bad_lines and not keep_going:
        raise _stopped_for_bad_lines(tally)
    good = (tally.lines or 0) - tally.bad_lines
    verb = "add" if purpose is Purpose.ADD else "remove"
    if dry_run:
        tally.notes.append(f"Dry run: {good} line(s) to {verb}; nothing was sent.")
        return EXIT_OK if not tally.bad_lines else EXIT_FAILED
    async with _session(target) as session:
        participants = _participants(session, target)
        conversation = await preflight(session, target)
        pending: dict[int, Row] = {}
        with progress(out, enabled=progress_bar) as bar:
            task = bar.add_task(f"{verb.capitalize()} participants", total=good)

            def on_result(result: BulkResult) -> None:
                row = pending.pop(result.index)
                record_result(
                    tally,
                    results,
                    result,
                    line=row.line,
                    identity=row.identity,
                    address=row.address,
                )
                bar.advance(task)

            tally.sent = True
            specs = good_specs(path, purpose, tally, pending)
            # Results go to the file as they come (on_result), so the report keeps only the
            # counts: a million-line file runs in memory bounded by the concurrency.
            bulk = participants.create_many if purpose is Purpose.ADD else participants.delete_many
            report = await bulk(
                conversation,
                specs,
                concurrency=target.concurrency,
                on_result=on_result,
                keep_results=False,
            )
    unknown = report.counts[BulkStatus.UNKNOWN]
    if unknown:
        tally.notes.append(
            f"{unknown} unknown: the {'create' if verb == 'add' else 'delete'} may"
            " or may not have been applied and nothing answered for certain; re-run the same"
            " file to settle them."
        )
    return EXIT_OK if report.ok and not tally.bad_lines else EXIT_FAILED


# -- sync -----------------------------------------------------------------------------------


def _member_who(member: Participant) -> tuple[str, str]:
    binding = member.messaging_binding
    return member.identity or "", (binding.address or "") if binding else ""


def show_plan(
    out: Console, plan: SyncPlan, lines: list[int], conversation: str, tally: Tally
) -> None:
    say(
        out,
        f"Plan for {conversation}: add {len(plan.add)}, remove {len(plan.remove)},"
        f" keep {len(plan.keep)}",
        "bold",
    )
    for spec, index in list(zip(plan.add, plan.add_indices, strict=True))[:SHOWN]:
        identity = spec.identity if isinstance(spec.identity, str) else ""
        address = spec.messaging_binding_address
        say(
            out,
            f"  add     line {lines[index]}: {who(identity, address if isinstance(address, str) else '')}",
        )
    for member in plan.remove[:SHOWN]:
        say(out, f"  remove  {who(*_member_who(member))} ({member.sid})")
    hidden = max(0, len(plan.add) - SHOWN) + max(0, len(plan.remove) - SHOWN)
    if hidden:
        say(out, f"  … and {hidden} more ({see_all(tally)})")


def _ask(question: str) -> bool | None:
    """A yes/no answer from the terminal; None when interrupted (Ctrl+C or end of input)."""
    # asyncio.run turns the first Ctrl+C into a cancellation, which a blocking input() would
    # not notice: while asking, Ctrl+C raises here instead.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler) if main else None
    try:
        answer = input(question)
    except (KeyboardInterrupt, EOFError):
        return None
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    return answer.strip().lower() in {"y", "yes"}


async def sync_participants(
    target: Target,
    path: Path,
    *,
    tally: Tally,
    out: Console,
    results: ResultsFile,
    dry_run: bool,
    yes: bool,
    progress_bar: bool,
) -> int:
    await check_file(path, Purpose.ADD, tally, results)
    if tally.bad_lines:
        raise _stopped_for_bad_lines(tally, keep_going_allowed=False)
    rows = list(read_rows(path, Purpose.ADD))  # a membership: at most a few thousand lines
    lines = [row.line for row in rows]
    specs = [row.spec for row in rows if row.spec is not None]
    async with _session(target) as session:
        participants = _participants(session, target)
        conversation = await preflight(session, target)
        if dry_run:
            planned = await participants.sync(conversation, specs, dry_run=True)
            show_plan(out, planned.plan, lines, conversation, tally)
            _write_plan(results, planned.plan, rows)
            tally.notes.append("Dry run: nothing was sent.")
            return EXIT_OK
        declined: list[int] = []
        # Started once the plan is confirmed: a live bar would overwrite the prompt.
        bar = progress(out, enabled=progress_bar)
        task = bar.add_task("Syncing participants", total=None)

        def confirm(plan: SyncPlan) -> bool:
            show_plan(out, plan, lines, conversation, tally)
            if plan.remove and not yes:
                if not sys.stdin.isatty():
                    tally.notes.append(
                        f"Refusing to remove {len(plan.remove)} participant(s) without --yes"
                        " (stdin is not a terminal to confirm at); nothing was sent."
                    )
                    declined.append(EXIT_USAGE)
                    return False
                question = f"Remove {len(plan.remove)} participant(s) from {conversation}? [y/N] "
                answer = _ask(question)
                if not answer:
                    tally.notes.append("Not confirmed; nothing was sent.")
                    declined.append(EXIT_INTERRUPTED if answer is None else EXIT_USAGE)
                    return False
            tally.sent = True
            bar.update(task, total=len(plan.add) + len(plan.remove))
            bar.start()
            return True

        def on_result(result: BulkResult) -> None:
            if isinstance(result.spec, Participant):  # a removal: the member as listed
                identity, address = _member_who(result.spec)
                line, phase = None, "remove:"
            else:
                row = rows[result.index]
                identity, address, line, phase = row.identity, row.address, row.line, "add:"
            record_result(
                tally, results, result, line=line, identity=identity, address=address, phase=phase
            )
            bar.advance(task)

        try:
            report = await participants.sync(
                conversation,
                specs,
                concurrency=target.concurrency,
                on_result=on_result,
                confirm=confirm,
            )
        finally:
            bar.stop()
    if declined:
        return declined[0]
    if not report.plan.changes:
        # Nothing to confirm, so the plan was not shown yet.
        show_plan(out, report.plan, lines, conversation, tally)
        tally.notes.append("Nothing to change: the conversation's membership equals the file.")
    return EXIT_OK if report.ok else EXIT_FAILED


def _write_plan(results: ResultsFile, plan: SyncPlan, rows: list[Row]) -> None:
    for index in plan.add_indices:
        row = rows[index]
        results.row(row.line, row.identity, row.address, "would-add")
    for member in plan.remove:
        identity, address = _member_who(member)
        results.row(None, identity, address, "would-remove", member.sid)


# -- export ---------------------------------------------------------------------------------


async def export_participants(
    target: Target, output: Path | None, *, json_lines: bool | None, tally: Tally, out: Console
) -> int:
    if json_lines is None:
        json_lines = output is not None and is_json_lines_name(output)
    async with _session(target) as session:
        participants = _participants(session, target)
        conversation = await preflight(session, target)
        try:
            file = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        except OSError as error:
            raise Stop(f"Cannot write {output}: {error.strerror or error}") from None
        try:
            writer = ExportWriter(file, json_lines=json_lines)
            async for participant in participants.list(conversation, page_size=100):
                writer.write(participant)
                tally.counts["exported"] += 1
            file.flush()
        except ConversationsError as error:
            count = tally.counts["exported"]
            raise Stop(f"The export stopped after {count} participant(s): {error}", 1) from None
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, and keep Python from failing
            # again when it flushes standard output at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            tally.notes.append("The output was closed before the end.")
            return EXIT_FAILED
        finally:
            if output is not None:
                file.close()
    where = f" to {output}" if output else ""
    tally.notes.append(
        f"Exported {tally.counts['exported']} participant(s) of {conversation}{where}."
    )
    return EXIT_OK


def is_json_lines_name(path: Path) -> bool:
    return path.suffix.lower() in {".jsonl", ".ndjson", ".json"}


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Stop",
    "Target",
    "bulk_from_file",
    "export_participants",
    "preflight",
    "sync_participants",
]
