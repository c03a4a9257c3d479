"""Bounded memory for any number of specs: ``stream_many``, and reports with ``keep_results=False``
that carry the counts only."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import AsyncIterator, Iterator

import pytest

from conversations_async import (
    BulkReport,
    BulkResult,
    BulkStatus,
    Conversation,
    InvalidArgumentError,
    NewParticipant,
    RetryPolicy,
    Session,
)
from conversations_async._bulk import stream_bulk
from conversations_async.testing import Emulator, Faults

FAST = RetryPolicy(initial=0.001, max_wait=0.01)


def users(n: int, prefix: str = "user") -> list[NewParticipant]:
    return [NewParticipant(identity=f"{prefix}-{i:05d}") for i in range(n)]


def client_tasks() -> set[asyncio.Task[object]]:
    """Pending tasks other than the running test's and the emulator's request handlers."""
    return {
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.get_coro().__qualname__.startswith("RequestHandler.")  # type: ignore[union-attr]
    }


def server_identities(emulator: Emulator, conversation: Conversation) -> set[str]:
    entry = emulator.store.conversations[conversation.sid]
    return {p["identity"] for p in entry.participants.values()}


def creates_sent(emulator: Emulator) -> int:
    return sum(
        1 for r in emulator.requests if r.method == "POST" and r.path.endswith("/Participants")
    )


class Input:
    """An async generator of specs that records how far it was read and whether it was closed."""

    def __init__(self, specs: list[NewParticipant]) -> None:
        self.specs = specs
        self.read = 0
        self.closed = asyncio.Event()

    async def __call__(self) -> AsyncIterator[NewParticipant]:
        try:
            for spec in self.specs:
                self.read += 1
                yield spec
        finally:
            self.closed.set()


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[Session]:
    async with emulator.session(writes_per_second=None, retry=FAST) as opened:
        yield opened


@pytest.fixture
async def conversation(session: Session) -> Conversation:
    return await session.conversations.create(friendly_name="streaming")


# -- stream_many ---------------------------------------------------------------------------


async def test_stream_many_yields_one_result_per_spec_as_each_finishes(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    specs = [*users(30), NewParticipant()]  # the last one is invalid: a result, not an error
    seen = [r async for r in session.participants.stream_many(conversation.sid, specs)]
    assert sorted(r.index for r in seen) == list(range(31))
    by_index = {r.index: r for r in seen}
    assert by_index[30].status is BulkStatus.FAILED
    assert isinstance(by_index[30].error, InvalidArgumentError)
    assert all(by_index[i].status is BulkStatus.CREATED for i in range(30))
    assert all(by_index[i].spec is specs[i] for i in range(31))
    assert server_identities(emulator, conversation) == {s.identity for s in specs[:30]}
    assert client_tasks() == set()


async def test_stream_many_yields_in_completion_order(
    session: Session, conversation: Conversation
) -> None:
    # An invalid spec needs no request, so it finishes before the valid one read before it.
    specs = [NewParticipant(identity="slow"), NewParticipant()]
    seen = [r.index async for r in session.participants.stream_many(conversation.sid, specs)]
    assert seen == [1, 0]


async def test_stopping_early_cancels_the_work_and_closes_the_input(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    source = Input(users(500))
    taken: list[BulkResult] = []
    async with contextlib.aclosing(
        session.participants.stream_many(conversation.sid, source(), concurrency=4)
    ) as results:
        async for result in results:
            taken.append(result)
            if len(taken) == 10:
                break
    assert source.closed.is_set()
    assert client_tasks() == set()
    assert session.limiter.state.in_flight == 0
    # Read: what was yielded, what was in flight, and what waited for the consumer.
    assert 10 <= source.read <= 10 + 3 * 4
    await asyncio.sleep(0.05)
    # The server may still log a create that was in flight; never one of a spec not read.
    assert creates_sent(emulator) <= source.read


async def test_a_generator_dropped_after_break_is_closed_all_the_same(
    session: Session, conversation: Conversation
) -> None:
    source = Input(users(500))
    async for _ in session.participants.stream_many(conversation.sid, source(), concurrency=4):
        break
    # No aclose() here: the event loop's async generator hook closes it once it is collected.
    gc.collect()
    await asyncio.wait_for(source.closed.wait(), 10)
    for _ in range(100):
        if not client_tasks():
            break
        await asyncio.sleep(0)
    assert client_tasks() == set()
    assert session.limiter.state.in_flight == 0


async def test_cancelling_the_consumer_stops_everything() -> None:
    async with Emulator(faults=Faults(latency=0.02)) as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST) as session:
            conversation = await session.conversations.create()
            source = Input(users(500))
            got: list[BulkResult] = []
            enough = asyncio.Event()

            async def consume() -> None:
                async for result in session.participants.stream_many(
                    conversation.sid, source(), concurrency=8
                ):
                    got.append(result)
                    if len(got) == 5:
                        enough.set()

            consumer = asyncio.create_task(consume())
            await enough.wait()
            consumer.cancel()
            with pytest.raises(asyncio.CancelledError):
                await consumer
            assert source.closed.is_set()
            assert client_tasks() == set()
            assert session.limiter.state.in_flight == 0
            assert len(got) < 500


async def test_an_input_error_is_raised_after_the_results_before_it(
    session: Session, conversation: Conversation
) -> None:
    def specs() -> Iterator[NewParticipant]:
        yield from users(3)
        raise OSError("the file went away")

    seen: list[BulkResult] = []

    async def consume() -> None:
        async for result in session.participants.stream_many(
            conversation.sid, specs(), concurrency=1
        ):
            seen.append(result)

    with pytest.raises(OSError, match="went away"):
        await consume()
    assert [r.index for r in seen] == [0, 1, 2]
    assert client_tasks() == set()


async def test_bad_arguments_raise_when_called_before_any_request(
    emulator: Emulator, session: Session
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        session.participants.stream_many("CH123", users(1), concurrency=0)
    assert caught.value.field == "concurrency"
    with pytest.raises(InvalidArgumentError) as caught:
        session.participants.stream_many("", users(1))
    assert caught.value.field == "conversation"
    with pytest.raises(InvalidArgumentError) as caught:
        session.participants.stream_many("CH123", 42)  # type: ignore[arg-type]
    assert caught.value.field == "specs"
    assert list(emulator.requests) == []


async def test_a_slow_consumer_holds_the_workers_back() -> None:
    read = 0

    def items() -> Iterator[int]:
        nonlocal read
        for item in range(10_000):
            read += 1
            yield item

    async def work(index: int, item: object) -> BulkResult:
        return BulkResult(index=index, spec=item, status=BulkStatus.CREATED)

    results = stream_bulk(items(), work, concurrency=4)
    first = await anext(results)
    for _ in range(200):  # plenty of turns for the workers to run as far as they can
        await asyncio.sleep(0)
    # The queue (4), one result held by each blocked worker (4), the first one, taken.
    assert first.index == 0 and read <= 4 + 4 + 1
    assert len([r async for r in results]) == 10_000 - 1
    assert read == 10_000


async def test_streamed_results_are_not_kept(session: Session, conversation: Conversation) -> None:
    refs: list[weakref.ref[BulkResult]] = []
    async for result in session.participants.stream_many(conversation.sid, users(50)):
        refs.append(weakref.ref(result))
    del result
    gc.collect()
    assert len(refs) == 50 and all(ref() is None for ref in refs)


# -- keep_results=False --------------------------------------------------------------------


async def test_a_report_without_results_still_counts_everything(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await session.participants.create(conversation.sid, identity="user-00001")
    refs: list[weakref.ref[BulkResult]] = []
    report = await session.participants.create_many(
        conversation.sid,
        [*users(20), NewParticipant()],
        keep_results=False,
        on_result=lambda result: refs.append(weakref.ref(result)),
    )
    assert not report.results_kept and report.complete
    assert report.total == 21 and len(refs) == 21
    assert report.counts[BulkStatus.CREATED] == 19
    assert report.counts[BulkStatus.EXISTED] == 1
    assert report.counts[BulkStatus.FAILED] == 1
    assert not report.ok  # one failed
    assert report.results == () and len(report) == 0 and list(report) == []
    assert report.failed == [] and report.participants == []
    assert repr(report) == "<BulkReport 21 results (not kept): created=19, existed=1, failed=1>"
    gc.collect()
    assert all(ref() is None for ref in refs)  # no result outlives its on_result
    assert len(server_identities(emulator, conversation)) == 20


async def test_a_report_without_results_is_ok_when_everything_succeeded(
    session: Session, conversation: Conversation
) -> None:
    report = await session.participants.create_many(conversation.sid, users(10), keep_results=False)
    assert report.ok and report.total == 10 and report.counts[BulkStatus.CREATED] == 10


async def test_delete_many_without_results(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await session.participants.create_many(conversation.sid, users(5))
    report = await session.participants.delete_many(
        conversation.sid, [f"user-{i:05d}" for i in range(8)], keep_results=False
    )
    assert report.ok and not report.results_kept and report.results == ()
    assert report.counts[BulkStatus.REMOVED] == 5 and report.counts[BulkStatus.ABSENT] == 3
    assert server_identities(emulator, conversation) == set()


async def test_a_cancelled_run_without_results_carries_partial_counts() -> None:
    async with Emulator(faults=Faults(latency=0.02)) as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST) as session:
            conversation = await session.conversations.create()
            seen: list[BulkResult] = []
            try:
                async with asyncio.timeout(0.15):
                    await session.participants.create_many(
                        conversation.sid,
                        users(500),
                        concurrency=4,
                        on_result=seen.append,
                        keep_results=False,
                    )
            except TimeoutError as timeout:
                partial = timeout.__context__
            report = partial.bulk_report  # type: ignore[union-attr]
            assert isinstance(report, BulkReport) and not report.complete and not report.ok
            assert report.total == len(seen) and report.results == ()


def test_the_counts_of_a_kept_report_come_from_its_results() -> None:
    results = tuple(
        BulkResult(index=i, spec=None, status=status)
        for i, status in enumerate([BulkStatus.CREATED, BulkStatus.CREATED, BulkStatus.UNKNOWN])
    )
    report = BulkReport(results)
    assert report.results_kept and report.total == len(report) == 3
    assert dict(report.counts) == {
        **dict.fromkeys(BulkStatus, 0),
        BulkStatus.CREATED: 2,
        BulkStatus.UNKNOWN: 1,
    }
    assert not report.ok
    with pytest.raises(TypeError):
        report.counts[BulkStatus.CREATED] = 0  # type: ignore[index]
    assert BulkReport(()).ok and BulkReport(()).total == 0
