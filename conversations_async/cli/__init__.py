"""The ``conversations-async`` command (install the ``cli`` extra for it).

- ``add-participants``, ``remove-participants``, ``sync-participants``: a conversation's
  participants from a CSV or JSON-lines file, checked whole before anything is sent;
- ``export-participants``: the participants as a file those commands read back;
- ``emulator``: the emulator as a server, with faults; ``demo``: a bulk job against it.

Run ``conversations-async COMMAND --help`` for each command's options.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from .._options import DEFAULT_MAX_CONCURRENCY, DEFAULT_WRITES_PER_SECOND, __version__
from ..testing import Faults
from ._files import SPEC_FIELDS, FileProblem, Purpose, read_rows
from ._output import ResultsFile, Tally, console, say, summary
from ._participants import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Stop,
    Target,
    bulk_from_file,
    export_participants,
    sync_participants,
)

FILE_FORMAT = (
    "The file is CSV with a header row, or JSON lines (.jsonl, one object per line). Its"
    " columns (or keys) are the parameters of a participant: " + ", ".join(SPEC_FIELDS) + "."
    " attributes is JSON text in CSV (an object or JSON text in JSON lines); dates are ISO"
    " 8601. Lines are numbered as an editor numbers them (a CSV header is line 1)."
)
CREDENTIALS = (
    "Credentials come from TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY with"
    " TWILIO_API_SECRET; TWILIO_CONVERSATIONS_BASE_URL (or --base-url) points at an emulator."
)
EXIT_STATUS = (
    "Exit status: 0 when every line reached its goal, 1 when some failed or are unknown"
    " (re-running the same file is safe and settles the unknown), 2 when nothing was sent (a"
    " bad file, credentials or conversation), 130 when interrupted."
)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' paragraphs, and shows every option's default that says
    something (not None or False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            "%(default)" in text
            or not action.option_strings
            # By identity: 0 and 0.0 are defaults worth showing, and equal False.
            or any(action.default is nothing for nothing in (None, False, argparse.SUPPRESS))
        ):
            return text
        return f"{text} (default: %(default)s)"


def _paragraphs(*texts: str) -> str:
    import textwrap

    return "\n\n".join(textwrap.fill(text, width=78, break_on_hyphens=False) for text in texts)


def _connection_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("conversation", help="conversation SID (CH…) or unique name")
    parent.add_argument(
        "--base-url",
        metavar="URL",
        help="service root instead of Twilio's, e.g. an emulator's http://127.0.0.1:8099",
    )
    parent.add_argument(
        "--service",
        metavar="IS…",
        help="Conversation Service SID (IS…); the default service if absent",
    )
    return parent


def _file_options(*, keep_going: bool = True) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("file", type=Path, help="CSV with a header row, or JSON lines (.jsonl)")
    parent.add_argument(
        "--writes-per-second",
        type=float,
        metavar="N",
        default=DEFAULT_WRITES_PER_SECOND,
        help="writes sent per second to one conversation (Twilio's limit unless raised for you)",
    )
    parent.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        default=DEFAULT_MAX_CONCURRENCY,
        help="participants in progress at a time",
    )
    parent.add_argument(
        "--results",
        type=Path,
        metavar="FILE",
        help="write a CSV row per line here: line, identity, address, status, sid, error_code, message",
    )
    parent.add_argument(
        "--dry-run", action="store_true", help="check the file (and plan) only; send nothing"
    )
    if keep_going:
        parent.add_argument(
            "--keep-going",
            action="store_true",
            help="send the good lines even when some are bad (the bad ones are reported failed)",
        )
    parent.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conversations-async",
        description="Bulk participant jobs for Twilio Conversations, and a local emulator of its API.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    connection = _connection_options()

    def command(
        name: str, summary_line: str, *texts: str, parents: Sequence[argparse.ArgumentParser] = ()
    ) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary_line,
            description=_paragraphs(summary_line, *texts),
            formatter_class=_HelpFormatter,
            parents=list(parents),
        )

    command(
        "add-participants",
        "Add the participants of a file to a conversation.",
        "The whole file is checked first: while any line is bad, nothing is sent (unless"
        " --keep-going). Then one request checks the credentials and the conversation. Each"
        " participant ends created, existed (already there), failed or unknown; nobody is"
        " added twice, even when Twilio fails or the connection drops.",
        FILE_FORMAT,
        CREDENTIALS,
        EXIT_STATUS,
        parents=[connection, _file_options()],
    )
    command(
        "remove-participants",
        "Remove the participants a file names from a conversation.",
        "A line names a participant by identity, or by messaging_binding_address with"
        " messaging_binding_proxy_address; other columns (as in an exported file) are read but"
        " not used. Each ends removed, absent (not there: the goal too), failed or unknown.",
        FILE_FORMAT,
        CREDENTIALS,
        EXIT_STATUS,
        parents=[connection, _file_options()],
    )
    sync = command(
        "sync-participants",
        "Make a conversation's participants the ones a file names.",
        "Adds the participants of the file that are missing and removes those the file does not"
        " name (a participant is named by identity, or by address with proxy address). The"
        " plan is shown first; --dry-run stops there. Removing anyone needs --yes, or a 'y' at"
        " the prompt when stdin is a terminal. Every line must be good.",
        FILE_FORMAT,
        CREDENTIALS,
        EXIT_STATUS,
        parents=[connection, _file_options(keep_going=False)],
    )
    sync.add_argument("--yes", action="store_true", help="remove without asking")
    export = command(
        "export-participants",
        "Write a conversation's participants as a file add-participants reads back.",
        CREDENTIALS,
        parents=[connection],
    )
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    export.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="csv or jsonl (default: jsonl for a .jsonl output file, csv otherwise)",
    )

    emulator = command(
        "emulator",
        "Run the emulator as a server, with faults, until Ctrl+C.",
        "It prints the export lines that point a program (or this command) at it.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on")
    emulator.add_argument(
        "--port", type=int, default=8099, help="port to listen on (0: a free one)"
    )
    _fault_options(
        emulator, latency=0.0, max_in_flight=None, writes=None, errors=0.0, cuts=0.0, seed=0
    )

    demo = command(
        "demo",
        "Onboard participants into the embedded emulator, with Twilio-like limits and faults.",
    )
    demo.add_argument(
        "--participants", type=int, default=300, metavar="N", help="participants to add"
    )
    _fault_options(
        demo, latency=0.02, max_in_flight=20, writes=30.0, errors=0.03, cuts=0.02, seed=7
    )
    return parser


def _fault_options(
    parser: argparse.ArgumentParser,
    *,
    latency: float,
    max_in_flight: int | None,
    writes: float | None,
    errors: float,
    cuts: float,
    seed: int,
) -> None:
    parser.add_argument(
        "--latency",
        type=float,
        default=latency,
        metavar="SECONDS",
        help="seconds added before every answer",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=max_in_flight,
        metavar="N",
        help="answer 429 (code 20429) above this many requests at once; no cap if absent",
    )
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=writes,
        metavar="N",
        help="answer 429 above this many writes per second to one conversation (or service);"
        " no limit if absent",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=errors,
        metavar="SHARE",
        help="share of requests answered 500 before anything is done (0 to 1)",
    )
    parser.add_argument(
        "--disconnect-rate",
        type=float,
        default=cuts,
        metavar="SHARE",
        help="share of writes applied, then cut off unanswered (0 to 1)",
    )
    parser.add_argument(
        "--seed", type=int, default=seed, metavar="N", help="makes the faults reproducible"
    )


def _faults(args: argparse.Namespace) -> Faults:
    return Faults(
        latency=args.latency,
        max_in_flight=args.max_in_flight,
        writes_per_second=args.writes_per_second,
        server_error_rate=args.error_rate,
        disconnect_after_commit_rate=args.disconnect_rate,
        seed=args.seed,
    )


def _target(args: argparse.Namespace) -> Target:
    return Target(
        conversation=args.conversation,
        base_url=args.base_url,
        service=args.service,
        concurrency=getattr(args, "concurrency", None),
        writes_per_second=getattr(args, "writes_per_second", DEFAULT_WRITES_PER_SECOND),
    )


def _run_participants_command(
    args: argparse.Namespace, run: Callable[[Tally, Any, ResultsFile], Coroutine[Any, Any, int]]
) -> int:
    """Run one participant command and print its summary, whatever the exit."""
    if not _has_rich():
        return EXIT_USAGE
    out = console()
    name = args.command.removesuffix("-participants")
    tally = Tally(command=name)
    path: Path | None = getattr(args, "file", None)
    if path is not None and not path.is_file():
        say(out, f"conversations-async: no such file: {path}", "red")
        return EXIT_USAGE
    try:
        results = ResultsFile(getattr(args, "results", None))
    except OSError as error:
        say(out, f"conversations-async: cannot write the results file: {error}", "red")
        return EXIT_USAGE
    tally.results_path = getattr(args, "results", None)
    try:
        code = asyncio.run(run(tally, out, results))
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Stop as stop:
        say(out, stop.message, "red")
        code = stop.exit_code
    except FileProblem as problem:
        say(out, str(problem), "red")
        code = EXIT_USAGE
    finally:
        results.close()
    summary(out, tally, code)
    return code


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        print(
            "conversations-async: this command needs the cli extra:"
            " pip install 'conversations-async[cli]'",
            file=sys.stderr,
        )
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (``sys.exit(main())``)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error (argparse printed it)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "demo":
        from ._demo import run_demo

        if not _has_rich():
            return EXIT_USAGE

        try:
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
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
    if args.command == "emulator":
        from ._emulator import run_emulator

        try:
            asyncio.run(run_emulator(args.host, args.port, _faults(args)))
        except OSError as error:
            print(
                f"conversations-async: cannot listen on {args.host}:{args.port}: {error}",
                file=sys.stderr,
            )
            return EXIT_USAGE
        return EXIT_OK
    target = _target(args)
    if args.command == "export-participants":
        json_lines = None if args.format is None else args.format == "jsonl"
        return _run_participants_command(
            args,
            lambda tally, out, results: export_participants(
                target, args.output, json_lines=json_lines, tally=tally, out=out
            ),
        )
    if args.command == "sync-participants":
        return _run_participants_command(
            args,
            lambda tally, out, results: sync_participants(
                target,
                args.file,
                tally=tally,
                out=out,
                results=results,
                dry_run=args.dry_run,
                yes=args.yes,
                progress_bar=not args.no_progress,
            ),
        )
    purpose = Purpose.ADD if args.command == "add-participants" else Purpose.REMOVE
    return _run_participants_command(
        args,
        lambda tally, out, results: bulk_from_file(
            purpose,
            target,
            args.file,
            tally=tally,
            out=out,
            results=results,
            keep_going=args.keep_going,
            dry_run=args.dry_run,
            progress_bar=not args.no_progress,
        ),
    )


__all__ = ["build_parser", "main", "read_rows"]
