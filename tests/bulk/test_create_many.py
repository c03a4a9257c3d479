"""create_many: every input accounted for, nobody doubled, against the emulator with faults."""

from __future__ import annotations

import asyncio
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
    ServerError,
    Session,
)
from conversations_async.testing import Emulator, Faults, Limits

FAST = RetryPolicy(initial=0.001, max_wait=0.01)
# Sessions here leave write pacing off: 30 writes/s would make 1000 creates take 33 s.
# benchmarks/bulk_rate.py measures create_many against that limit.


def users(n: int, prefix: str = "user") -> list[NewParticipant]:
    return [NewParticipant(identity=f"{prefix}-{i:05d}") for i in range(n)]


def server_identities(emulator: Emulator, conversation: Conversation) -> list[str]:
    entry = emulator.store.conversations[conversation.sid]
    return [p["identity"] for p in entry.participants.values()]


def creates_sent(emulator: Emulator) -> int:
    return sum(
        1 for r in emulator.requests if r.method == "POST" and r.path.endswith("/Participants")
    )


def client_tasks() -> set[asyncio.Task[object]]:
    """Pending tasks other than the running test's and the emulator's request handlers."""
    return {
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.get_coro().__qualname__.startswith("RequestHandler.")  # type: ignore[union-attr]
    }


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[Session]:
    async with emulator.session(writes_per_second=None, retry=FAST) as opened:
        yield opened


@pytest.fixture
async def conversation(session: Session) -> Conversation:
    return await session.conversations.create(friendly_name="bulk")


async def test_all_created_in_input_order(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    specs = users(40)
    report = await session.participants.create_many(conversation.sid, specs, concurrency=7)
    assert isinstance(report, BulkReport) and report.complete and report.ok
    assert [r.index for r in report] == list(range(40))
    assert [r.spec for r in report] == specs
    assert [r.participant.identity for r in report if r.participant] == [s.identity for s in specs]
    assert report.counts == {
        BulkStatus.CREATED: 40,
        BulkStatus.EXISTED: 0,
        BulkStatus.FAILED: 0,
        BulkStatus.UNKNOWN: 0,
        BulkStatus.REMOVED: 0,
        BulkStatus.ABSENT: 0,
    }
    assert sorted(server_identities(emulator, conversation)) == [s.identity for s in specs]
    assert all(r.attempts == 1 and not r.reconciled for r in report)


async def test_already_present_participants_come_back_as_existed(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    first = await session.participants.create_many(conversation.sid, users(10))
    again = await session.participants.create_many(conversation.sid, users(12))
    assert again.counts[BulkStatus.EXISTED] == 10 and again.counts[BulkStatus.CREATED] == 2
    for before, after in zip(first, again.existed, strict=True):
        assert after.participant == before.participant
        assert after.error_code == 50433 and after.ok
    assert len(server_identities(emulator, conversation)) == 12


async def test_invalid_specs_fail_without_a_request(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    emulator.reset_counters()
    specs: list[object] = [
        NewParticipant(identity="ok-1"),
        NewParticipant(),  # neither identity nor address
        NewParticipant(identity="x", role_sid="not-a-role"),
        NewParticipant(identity="y", attributes="{not json"),
        {"identity": "a dict"},
        NewParticipant(identity="ok-2"),
    ]
    report = await session.participants.create_many(conversation.sid, specs)  # type: ignore[arg-type]
    assert [r.status for r in report] == [
        BulkStatus.CREATED,
        BulkStatus.FAILED,
        BulkStatus.FAILED,
        BulkStatus.FAILED,
        BulkStatus.FAILED,
        BulkStatus.CREATED,
    ]
    fields = [r.error.field for r in report.failed if isinstance(r.error, InvalidArgumentError)]
    assert fields == ["identity", "role_sid", "attributes", "specs[4]"]
    assert all(r.attempts == 0 for r in report.failed)
    assert emulator.counters.requests == 2


async def test_permanent_errors_fail_only_their_item() -> None:
    async with Emulator(limits=Limits(participants_per_conversation=5)) as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST) as session:
            conversation = await session.conversations.create()
            report = await session.participants.create_many(
                conversation.sid, users(8), concurrency=1
            )
    assert report.counts[BulkStatus.CREATED] == 5
    assert [r.error_code for r in report.failed] == [50417, 50417, 50417]
    assert not report.ok and report.complete


async def test_bad_arguments_raise_before_anything_is_sent(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    emulator.reset_counters()
    with pytest.raises(InvalidArgumentError) as raised:
        await session.participants.create_many("", users(3))
    assert raised.value.field == "conversation"
    for bad in (0, -1, True):
        with pytest.raises(InvalidArgumentError) as raised:
            await session.participants.create_many(conversation.sid, users(3), concurrency=bad)
        assert raised.value.field == "concurrency"
    with pytest.raises(InvalidArgumentError):
        await session.participants.create_many(conversation.sid, 42)  # type: ignore[arg-type]
    assert emulator.counters.requests == 0


async def test_an_ambiguous_500_is_read_back_then_created_again(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    emulator.fail_next("POST", "*/Participants", status=500)
    report = await session.participants.create_many(conversation.sid, users(1))
    (result,) = report
    assert result.status is BulkStatus.CREATED and result.reconciled and result.attempts == 2
    fetches = [r for r in emulator.requests if r.method == "GET" and r.path.endswith("/user-00000")]
    assert len(fetches) == 1  # looked before creating again


async def test_a_create_cut_after_commit_is_found_not_doubled(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    emulator.faults.disconnect_after_commit_rate = 1.0
    report = await session.participants.create_many(conversation.sid, users(3))
    assert [r.status for r in report] == [BulkStatus.CREATED] * 3
    assert all(r.reconciled and r.attempts == 1 for r in report)
    assert creates_sent(emulator) == 3 and emulator.counters.disconnects == 3
    assert len(server_identities(emulator, conversation)) == 3


async def test_an_item_failing_ambiguously_every_time_is_reported_failed(
    emulator: Emulator, conversation: Conversation
) -> None:
    emulator.fail_next("POST", "*/Participants", status=503, times=3)
    async with emulator.session(
        writes_per_second=None, retry=RetryPolicy(attempts=3, initial=0.0)
    ) as session:
        report = await session.participants.create_many(conversation.sid, users(1))
    (result,) = report
    assert result.status is BulkStatus.FAILED and isinstance(result.error, ServerError)
    assert result.attempts == 3 and server_identities(emulator, conversation) == []


async def test_faults_every_input_accounted_for_none_doubled() -> None:
    faults = Faults(
        max_in_flight=20,
        server_error_rate=0.03,
        server_error_after_commit_rate=0.02,
        disconnect_after_commit_rate=0.03,
        seed=11,
    )
    async with Emulator(faults=faults) as emulator:
        async with emulator.session(
            writes_per_second=None, retry=FAST, max_concurrency=40
        ) as session:
            faults_off, emulator.faults = emulator.faults, Faults()
            conversation = await session.conversations.create()
            emulator.faults = faults_off
            specs = users(1000)
            report = await session.participants.create_many(conversation.sid, specs)
        on_server = server_identities(emulator, conversation)
    assert len(report) == 1000 and report.complete
    assert [r.index for r in report] == list(range(1000))
    assert report.failed == []
    assert len(on_server) == 1000 and len(set(on_server)) == 1000
    assert {r.participant.sid for r in report if r.participant} == set(
        emulator.store.conversations[conversation.sid].participants
    )
    # The faults really happened and were reconciled, not avoided.
    assert emulator.counters.disconnects > 10 and emulator.counters.server_errors > 30
    assert sum(r.reconciled for r in report) > 20
    assert emulator.counters.max_in_flight <= 21


async def test_an_async_generator_is_read_lazily(
    session: Session, conversation: Conversation
) -> None:
    finished: list[int] = []
    ahead: list[int] = []

    async def specs() -> AsyncIterator[NewParticipant]:
        for spec in users(60):
            ahead.append(len(ahead) + 1 - len(finished))
            yield spec

    report = await session.participants.create_many(
        conversation.sid, specs(), concurrency=5, on_result=lambda r: finished.append(r.index)
    )
    assert report.counts[BulkStatus.CREATED] == 60
    assert max(ahead) <= 5  # never more specs read than workers
    assert sorted(finished) == list(range(60))


async def test_memory_is_bounded_by_the_concurrency(
    session: Session, conversation: Conversation
) -> None:
    # Invalid specs are settled without I/O, so 20,000 of them run fast; what matters is
    # that a huge input never becomes a huge number of tasks.
    peak_tasks = 0

    def specs() -> Iterator[NewParticipant]:
        nonlocal peak_tasks
        for _ in range(20_000):
            peak_tasks = max(peak_tasks, len(client_tasks()))
            yield NewParticipant()

    report = await session.participants.create_many(conversation.sid, specs(), concurrency=16)
    assert len(report) == 20_000 and report.counts[BulkStatus.FAILED] == 20_000
    assert 0 < peak_tasks <= 16


async def test_on_result_streams_each_result_once(
    session: Session, conversation: Conversation
) -> None:
    seen: list[BulkResult] = []

    async def record(result: BulkResult) -> None:
        await asyncio.sleep(0)
        seen.append(result)

    report = await session.participants.create_many(
        conversation.sid, [*users(20), NewParticipant()], on_result=record
    )
    assert sorted(seen, key=lambda r: r.index) == list(report)


async def test_an_error_in_on_result_stops_the_run(
    session: Session, conversation: Conversation
) -> None:
    def explode(result: BulkResult) -> None:
        if result.index == 3:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        await session.participants.create_many(
            conversation.sid, users(50), concurrency=4, on_result=explode
        )
    assert client_tasks() == set()
    assert session.limiter.state.in_flight == 0


async def test_cancellation_leaves_no_task_and_no_permit_behind() -> None:
    async with Emulator(faults=Faults(latency=0.02)) as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST) as session:
            conversation = await session.conversations.create()
            seen: list[BulkResult] = []
            enough = asyncio.Event()

            def record(result: BulkResult) -> None:
                seen.append(result)
                if len(seen) == 10:
                    enough.set()

            job = asyncio.create_task(
                session.participants.create_many(
                    conversation.sid, users(500), concurrency=8, on_result=record
                )
            )
            await enough.wait()
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            assert client_tasks() == set()
            assert session.limiter.state.in_flight == 0
            done = len(seen)
            await asyncio.sleep(0.05)
            assert len(seen) == done  # nothing carried on after the cancel
            on_server = set(server_identities(emulator, conversation))
    assert 10 <= done < 500
    assert {r.participant.identity for r in seen if r.participant} <= on_server
    # In flight when cancelled: may or may not be there, never more than the workers.
    assert len(on_server) - done <= 8


async def test_the_partial_report_rides_on_the_cancellation() -> None:
    async with Emulator(faults=Faults(latency=0.02)) as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST) as session:
            conversation = await session.conversations.create()
            seen: list[BulkResult] = []
            try:
                async with asyncio.timeout(0.15):
                    await session.participants.create_many(
                        conversation.sid, users(500), concurrency=4, on_result=seen.append
                    )
            except TimeoutError as timeout:
                partial = timeout.__context__
            assert isinstance(partial, asyncio.CancelledError)
            report = partial.bulk_report  # type: ignore[attr-defined]
            assert isinstance(report, BulkReport) and not report.complete and not report.ok
            assert sorted(r.index for r in report) == sorted(r.index for r in seen)
            assert session.limiter.state.in_flight == 0


async def test_rerunning_after_an_interruption_is_safe() -> None:
    async with Emulator(faults=Faults(latency=0.05)) as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST) as session:
            conversation = await session.conversations.create()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await session.participants.create_many(conversation.sid, users(200))
            report = await session.participants.create_many(conversation.sid, users(200))
            on_server = server_identities(emulator, conversation)
    assert report.ok and len(on_server) == 200 and len(set(on_server)) == 200
    assert report.counts[BulkStatus.EXISTED] > 0 and report.counts[BulkStatus.CREATED] > 0


async def test_service_scope(emulator: Emulator, session: Session) -> None:
    scope = session.service("IS" + "a" * 32)
    conversation = await scope.conversations.create()
    report = await scope.participants.create_many(conversation.sid, users(5))
    assert report.ok and all(
        r.participant and r.participant.chat_service_sid == "IS" + "a" * 32 for r in report
    )


async def test_sms_participants_are_read_back_by_binding(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    specs = [
        NewParticipant(
            messaging_binding_address=f"+1555000{i:04d}",
            messaging_binding_proxy_address="+15017122661",
        )
        for i in range(12)
    ]
    emulator.faults.disconnect_after_commit_rate = 1.0
    first = await session.participants.create_many(conversation.sid, specs[:6])
    emulator.faults.disconnect_after_commit_rate = 0.0
    again = await session.participants.create_many(conversation.sid, specs)
    assert [r.status for r in first] == [BulkStatus.CREATED] * 6
    assert all(r.reconciled for r in first)
    assert [r.status for r in again] == [BulkStatus.EXISTED] * 6 + [BulkStatus.CREATED] * 6
    assert [r.error_code for r in again.existed] == [50437] * 6
    for before, after in zip(first, again.existed, strict=True):
        assert before.participant == after.participant
    assert len(emulator.store.conversations[conversation.sid].participants) == 12
