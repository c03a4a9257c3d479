"""The bulk runner: many items, a fixed pool of workers, one result per item in input order.

It knows nothing about participants: a bulk operation gives it the input and a coroutine that
turns one ``(index, item)`` into a :class:`BulkResult` without raising (see
``resources/_onboarding.py`` for adding participants). The runner gives:

- ``concurrency`` workers pulling from any iterable or async iterable, one item at a time (an
  async generator reading a huge file is never read ahead of the work), and closing an async
  generator input (``aclose``) whenever it stops;
- results in input order, streamed to ``on_result`` as they finish (completion order);
- memory bounded by the concurrency when results are not kept (``keep_results=False``: the
  report then holds the counts only), or when they are streamed (:func:`stream_bulk`, an async
  generator of results in completion order);
- on cancellation: every worker stopped, and the finished part as a partial report on the
  ``CancelledError``'s ``bulk_report``.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from types import MappingProxyType
from typing import Any, Final

import attrs

from .errors import APIStatusError, ConversationsError, InvalidArgumentError


class BulkStatus(enum.StrEnum):
    """What became of one item.

    An addition ends ``created``, ``existed``, ``failed`` or ``unknown``; a removal ``removed``,
    ``absent``, ``failed`` or ``unknown``. For a removal, ``failed`` means "still there as far
    as Twilio said" (e.g. a 401, or a 429 after every retry: never processed).
    """

    CREATED = "created"
    """This run added it (a 201, or found by read-back after an ambiguous failure)."""
    EXISTED = "existed"
    """Twilio answered 50433/50437: it was already there."""
    FAILED = "failed"
    """Not there, as far as Twilio told us; ``error`` says why."""
    UNKNOWN = "unknown"
    """It may or may not have been applied (a create or delete failed ambiguously) and nothing
    answered for certain; running the same input again settles it."""
    REMOVED = "removed"
    """A removal (``delete_many``, ``sync``): this run's delete was answered 204."""
    ABSENT = "absent"
    """A removal: Twilio answered 404 (any code), so it is not in the conversation."""


@attrs.frozen(kw_only=True)
class BulkResult:
    """The outcome for the item at position ``index`` of the input."""

    index: int
    spec: object
    """The input item (normally a :class:`~conversations_async.NewParticipant`)."""
    status: BulkStatus
    participant: Any = None
    """The record as Twilio has it (``created`` and ``existed``), e.g. a
    :class:`~conversations_async.models.Participant`; for a removal, the member as it was
    listed, when the run had listed it (``None`` for one removed by identity or SID)."""
    error: ConversationsError | None = None
    """Why it failed, or the ambiguous error that left it ``unknown``; for ``existed``, the
    50433/50437 error Twilio answered."""
    attempts: int = 0
    """How many create (or delete) requests this item sent (0 when invalid)."""
    reconciled: bool = False
    """A create failed ambiguously and the outcome was settled by reading back."""
    elapsed: float = 0.0
    """Seconds from the first send to the outcome."""

    @property
    def ok(self) -> bool:
        """The item's goal is reached: there now (``created``, ``existed``) for an addition,
        gone (``removed``, ``absent``) for a removal."""
        return self.status in _REACHED

    @property
    def error_code(self) -> int | None:
        """Twilio's error code of ``error``, when it has one."""
        return self.error.code if isinstance(self.error, APIStatusError) else None


_REACHED: Final = frozenset(
    {BulkStatus.CREATED, BulkStatus.EXISTED, BulkStatus.REMOVED, BulkStatus.ABSENT}
)


def _count(results: Iterable[BulkResult]) -> dict[BulkStatus, int]:
    counts = dict.fromkeys(BulkStatus, 0)
    for result in results:
        counts[result.status] += 1
    return counts


def _frozen_counts(counts: Mapping[BulkStatus, int]) -> Mapping[BulkStatus, int]:
    # Every status present, zeros included; read-only, like the rest of the report.
    return MappingProxyType({**dict.fromkeys(BulkStatus, 0), **counts})


@attrs.frozen
class BulkReport:
    """Every result, in input order, with counts. Iterable and indexable like a sequence.

    A run made with ``keep_results=False`` keeps only the counts: then :attr:`results_kept`
    is false, ``results`` is empty (and so are ``len()``, iteration and the lists
    ``created``, ``failed``, …, ``participants``), while :attr:`counts`, :attr:`total`,
    :attr:`ok` and :attr:`complete` still tell the whole run.
    """

    results: tuple[BulkResult, ...]
    complete: bool = True
    """False for the partial report of a cancelled run: in-flight and unread items are missing."""
    _counts: Mapping[BulkStatus, int] = attrs.field(
        kw_only=True,
        alias="counts",
        default=attrs.Factory(lambda self: _count(self.results), takes_self=True),
        converter=_frozen_counts,
        repr=False,
    )
    results_kept: bool = attrs.field(default=True, kw_only=True)
    """False when the run kept no results (``keep_results=False``): only the counts."""

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[BulkResult]:
        return iter(self.results)

    def __getitem__(self, index: int) -> BulkResult:
        return self.results[index]

    def _with(self, status: BulkStatus) -> list[BulkResult]:
        return [result for result in self.results if result.status is status]

    @property
    def created(self) -> list[BulkResult]:
        return self._with(BulkStatus.CREATED)

    @property
    def existed(self) -> list[BulkResult]:
        return self._with(BulkStatus.EXISTED)

    @property
    def failed(self) -> list[BulkResult]:
        return self._with(BulkStatus.FAILED)

    @property
    def unknown(self) -> list[BulkResult]:
        return self._with(BulkStatus.UNKNOWN)

    @property
    def removed(self) -> list[BulkResult]:
        return self._with(BulkStatus.REMOVED)

    @property
    def absent(self) -> list[BulkResult]:
        return self._with(BulkStatus.ABSENT)

    @property
    def counts(self) -> Mapping[BulkStatus, int]:
        """How many results have each status (every status present, zeros included), whether
        or not the results were kept."""
        return self._counts

    @property
    def total(self) -> int:
        """How many items the run accounted for (``len()`` too, when the results were kept)."""
        return sum(self._counts.values())

    @property
    def ok(self) -> bool:
        """Complete, and every item reached its goal (none failed or unknown)."""
        counts = self._counts
        return self.complete and not counts[BulkStatus.FAILED] and not counts[BulkStatus.UNKNOWN]

    @property
    def participants(self) -> list[Any]:
        """The records now there, in input order."""
        return [r.participant for r in self.results if r.participant is not None]

    def __repr__(self) -> str:
        # The statuses met only: an addition never has "removed", a removal never "created".
        counts = ", ".join(f"{status.value}={n}" for status, n in self._counts.items() if n)
        kept = "" if self.results_kept else " (not kept)"
        partial = "" if self.complete else ", partial"
        return f"<BulkReport {self.total} results{kept}{': ' if counts else ''}{counts}{partial}>"


ResultCallback = Callable[[BulkResult], Awaitable[None] | None]
"""Called with each result as soon as it is known (completion order); may be a coroutine."""

Work = Callable[[int, object], Awaitable[BulkResult]]
"""Turns the item at an index into its result; never raises for the item itself."""

_END: Final = object()


class _Source:
    """Hands out ``(index, item)`` pairs from a sync or async iterable, one pull at a time."""

    def __init__(self, items: Iterable[object] | AsyncIterable[object]) -> None:
        self._sync: Iterator[object] | None = None
        self._async: AsyncIterator[object] | None = None
        if isinstance(items, AsyncIterable):
            self._async = aiter(items)
        elif isinstance(items, Iterable) and not isinstance(items, str | bytes | Mapping):
            self._sync = iter(items)
        else:
            raise InvalidArgumentError("specs", "must be an iterable or an async iterable")
        # An async generator must not be advanced by two workers at once.
        self._lock = asyncio.Lock()
        self._next_index = 0
        self._exhausted = False

    async def next(self) -> tuple[int, object] | None:
        if self._sync is not None:
            # A plain iterator is advanced without awaiting, so no other worker can interleave.
            return self._numbered(next(self._sync, _END))
        async with self._lock:
            if self._exhausted:
                return None
            assert self._async is not None
            return self._numbered(await anext(self._async, _END))

    def _numbered(self, item: object) -> tuple[int, object] | None:
        if item is _END or self._exhausted:
            self._exhausted = True
            return None
        index = self._next_index
        self._next_index += 1
        return index, item

    async def aclose(self) -> None:
        """Close an async generator input now, so that its ``finally`` (closing a file or a
        cursor) runs when the job stops rather than whenever it is collected."""
        close = getattr(self._async, "aclose", None)
        if close is not None:
            await close()


def check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError("concurrency", "must be a positive integer")
    return concurrency


async def run_bulk(
    items: Iterable[object] | AsyncIterable[object],
    work: Work,
    *,
    concurrency: int,
    on_result: ResultCallback | None = None,
    keep_results: bool = True,
) -> BulkReport:
    """Run ``work`` over ``items`` with ``concurrency`` workers (see the module docs).

    Re-raises an exception of the input, of ``on_result`` or of ``work`` (which means the job
    as a whole failed, e.g. the Session was closed) after stopping every worker.
    """
    concurrency = check_concurrency(concurrency)
    source = _Source(items)
    # Grows by one small slot per item read; results land at their input index. Without
    # keep_results, only the counts grow (not at all: one number per status).
    results: list[BulkResult | None] = []
    counts = dict.fromkeys(BulkStatus, 0)

    async def worker() -> None:
        while (item := await source.next()) is not None:
            index, spec = item
            result = await work(index, spec)
            if keep_results:
                results.extend([None] * (index + 1 - len(results)))
                results[index] = result
            else:
                counts[result.status] += 1
            if on_result is not None:
                outcome = on_result(result)
                if inspect.isawaitable(outcome):
                    await outcome

    def report(*, complete: bool) -> BulkReport:
        if not keep_results:
            return BulkReport((), complete, counts=counts, results_kept=False)
        return BulkReport(tuple(r for r in results if r is not None), complete=complete)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        try:
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError as cancelled:
            await _stop(workers)
            # Callers in the same task can still read what was finished; on_result saw it too.
            cancelled.bulk_report = report(complete=False)  # type: ignore[attr-defined]
            raise
        for task in done:
            error = task.exception()
            if error is not None:
                await _stop(workers)
                raise error
    finally:
        # Every worker has stopped by now, so none is inside the generator.
        await source.aclose()
    return report(complete=True)


@attrs.frozen
class _Failed:
    """A worker of a stream stopped on an exception that is not about one item."""

    error: Exception


_WORKER_DONE: Final = object()


def stream_bulk(
    items: Iterable[object] | AsyncIterable[object], work: Work, *, concurrency: int
) -> AsyncGenerator[BulkResult, None]:
    """``work`` over ``items`` with ``concurrency`` workers, each result yielded as soon as it
    is known (completion order), nothing kept.

    The arguments are checked now (``InvalidArgumentError``); nothing runs until the first
    ``anext``. Workers wait while the consumer is busy, so at most about ``2 * concurrency``
    finished results wait for it. Closing the generator (``aclose()``, ``break`` inside
    ``async with contextlib.aclosing(...)``, or its collection) or cancelling the consumer
    stops every worker and closes an async generator input. An exception of the input or of
    ``work`` is raised from the generator after the results finished before it.
    """
    return _stream(_Source(items), work, check_concurrency(concurrency))


async def _stream(
    source: _Source, work: Work, concurrency: int
) -> AsyncGenerator[BulkResult, None]:
    # Bounded: a slow consumer holds the workers back instead of results piling up.
    finished: asyncio.Queue[object] = asyncio.Queue(maxsize=concurrency)

    async def worker() -> None:
        try:
            while (item := await source.next()) is not None:
                await finished.put(await work(*item))
        except Exception as error:  # the consumer raises it
            await finished.put(_Failed(error))
        else:
            await finished.put(_WORKER_DONE)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    running = concurrency
    try:
        while running:
            got = await finished.get()
            if got is _WORKER_DONE:
                running -= 1
            elif isinstance(got, _Failed):
                raise got.error
            else:
                assert isinstance(got, BulkResult)
                yield got
    finally:
        # The consumer stopped (done, closed, cancelled, or an error): nobody runs on.
        await _stop(workers)
        await source.aclose()


async def _stop(workers: list[asyncio.Task[None]]) -> None:
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


__all__ = [
    "BulkReport",
    "BulkResult",
    "BulkStatus",
    "ResultCallback",
    "Work",
    "check_concurrency",
    "run_bulk",
    "stream_bulk",
]
