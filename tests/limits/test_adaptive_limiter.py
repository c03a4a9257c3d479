"""Tests of the rate-limit-aware semaphore.

Timing tests run on :class:`VirtualTimeLoop`, an event loop whose clock jumps straight to the
next timer whenever nothing is ready, so the limiter's real defaults (``loop.time`` and
``asyncio.sleep``) are exercised and seconds of pacing take microseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import selectors
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations_async._limits import (
    AdaptiveLimiter,
    ConcurrencyLimiter,
    Limiter,
    Slot,
    _Bucket,
    conversation_write_key,
    service_write_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping

    from _typeshed import FileDescriptorLike

T = TypeVar("T")


# -- virtual time --------------------------------------------------------------------------------


class _VirtualSelector(selectors.BaseSelector):
    """The loop's selector: when nothing is ready, advance virtual time instead of blocking."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._selector = selectors.DefaultSelector()
        self._loop = loop

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._selector.select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            # No timer is pending: only another thread could wake the loop, and none does here.
            events = self._selector.select(5.0)
            if not events:
                raise RuntimeError("deadlock: nothing is scheduled and nothing is ready")
            return events
        self._loop.advance(timeout)
        return []

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._selector.get_map()

    def close(self) -> None:
        self._selector.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time, which starts at 0 and moves only when the loop is idle."""

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(selector=_VirtualSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def run_virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main())


def now() -> float:
    return asyncio.get_running_loop().time()


async def settle() -> None:
    """Let every ready task run until it blocks (no virtual time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


class Holder:
    """A task that enters a slot, records when, and holds it until released."""

    def __init__(self, limiter: AdaptiveLimiter, key: str | None = None) -> None:
        self.limiter = limiter
        self.key = key
        self.entered_at: float | None = None
        self.slot: Slot | None = None
        self.release = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async with self.limiter.slot(self.key) as slot:
            self.entered_at = now()
            self.slot = slot
            await self.release.wait()

    def is_inside(self) -> bool:
        return self.slot is not None and not self.task.done()

    async def finish(self) -> None:
        self.release.set()
        await self.task


async def assert_all_permits_free(limiter: AdaptiveLimiter) -> None:
    """Nothing is held or queued, and ``permits`` callers can be inside at once."""
    state = limiter.state
    assert state.in_flight == 0
    assert state.waiting == 0
    holders = [Holder(limiter) for _ in range(state.permits)]
    await settle()
    assert all(h.is_inside() for h in holders)
    assert limiter.state.in_flight == state.permits
    for h in holders:
        await h.finish()
    assert limiter.state.in_flight == 0


# -- construction and protocol -------------------------------------------------------------------


def test_both_limiters_satisfy_the_protocol() -> None:
    assert isinstance(AdaptiveLimiter(), Limiter)
    assert isinstance(ConcurrencyLimiter(), Limiter)


def test_defaults() -> None:
    limiter = AdaptiveLimiter()
    state = limiter.state
    # Slow start: 25 permits (max_permits if fewer) until successes grow them or a 429 comes.
    assert (state.permits, state.max_permits, state.in_flight, state.paused_for) == (25, 50, 0, 0)
    assert state.ceiling is None
    assert AdaptiveLimiter(max_permits=5).state.permits == 5
    assert limiter.write_interval == pytest.approx(1 / (30 * 0.97))
    assert AdaptiveLimiter(writes_per_second=None).write_interval is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_permits": 0},
        {"min_permits": 0},
        {"min_permits": 5, "max_permits": 4},
        {"initial_permits": 51},
        {"initial_permits": 1, "min_permits": 2},
        {"grow_after": 0},
        {"writes_per_second": 0},
        {"writes_per_second": math.inf},
        {"write_burst": 0},
        {"rate_margin": 0},
        {"rate_margin": 1.5},
        {"retry_after_cap": -1},
        {"key_sweep_interval": 0},
    ],
)
def test_rejects_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AdaptiveLimiter(**kwargs)


def test_made_outside_a_loop_and_refuses_a_second_loop() -> None:
    limiter = AdaptiveLimiter()

    async def use() -> None:
        async with limiter.slot("k") as slot:
            slot.succeeded()

    asyncio.run(use())
    assert limiter.state.succeeded == 1
    with pytest.raises(RuntimeError, match="another event loop"):
        asyncio.run(use())


def test_write_keys() -> None:
    assert conversation_write_key("CH1") == "conversation:default:CH1"
    assert conversation_write_key("CH1", "IS1") == "conversation:IS1:CH1"
    assert service_write_key(None) == "service:default"
    assert service_write_key("IS1") == "service:IS1"


async def test_concurrency_limiter_still_caps() -> None:
    limiter = ConcurrencyLimiter(2)
    peak = 0

    async def one() -> None:
        nonlocal peak
        async with limiter.slot(None) as slot:
            peak = max(peak, limiter.state.in_flight)
            await asyncio.sleep(0)
            slot.succeeded()

    await asyncio.gather(*(one() for _ in range(10)))
    assert peak == 2
    assert limiter.state.in_flight == 0


# -- the adaptive semaphore ----------------------------------------------------------------------


async def test_in_flight_never_exceeds_max_even_after_many_successes() -> None:
    limiter = AdaptiveLimiter(max_permits=7, grow_after=1, writes_per_second=None)
    peak = 0

    async def one() -> None:
        nonlocal peak
        async with limiter.slot(None) as slot:
            peak = max(peak, limiter.state.in_flight)
            await asyncio.sleep(0)
            slot.succeeded()

    await asyncio.gather(*(one() for _ in range(300)))
    assert peak == 7
    assert limiter.state.permits == 7
    assert limiter.state.succeeded == 300
    assert limiter.state.in_flight == 0


async def test_429s_from_one_window_lower_once() -> None:
    limiter = AdaptiveLimiter(max_permits=16, initial_permits=16)
    window = [Holder(limiter) for _ in range(16)]
    await settle()
    for h in window:
        assert h.slot is not None
        h.slot.throttled(None)
    state = limiter.state
    # Sixteen requests overloaded the server together: one reduction, to one less than were in
    # flight when the 429s came back (not 16 reductions, and not 16 -> 1).
    assert (state.permits, state.throttled, state.halvings, state.ceiling) == (15, 16, 1, 15)
    for h in window:
        await h.finish()

    # A request sent after that reduction is new evidence and lowers again: four were in
    # flight when it was refused, so the account takes at most three.
    late = [Holder(limiter) for _ in range(4)]
    await settle()
    assert late[0].slot is not None
    late[0].slot.throttled(None)
    assert (limiter.state.permits, limiter.state.halvings) == (3, 2)
    for h in late:
        await h.finish()


async def test_halving_stops_at_min_permits() -> None:
    limiter = AdaptiveLimiter(max_permits=16, min_permits=3)
    for _ in range(5):
        async with limiter.slot(None) as slot:
            slot.throttled(None)
    assert limiter.state.permits == 3


async def test_only_the_first_report_of_a_slot_counts() -> None:
    limiter = AdaptiveLimiter(max_permits=8)
    async with limiter.slot(None) as slot:
        slot.throttled(None)
        slot.throttled(None)
        slot.succeeded()
    state = limiter.state
    # The 429 (one in flight: the account took none of ours) lowered it to min_permits.
    assert (state.permits, state.throttled, state.succeeded) == (1, 1, 0)


async def test_slow_start_grows_by_one_per_grow_after_successes_until_a_429() -> None:
    limiter = AdaptiveLimiter(max_permits=4, initial_permits=2, grow_after=3)

    async def report(ok: bool) -> None:
        async with limiter.slot(None) as slot:
            if ok:
                slot.succeeded()
            else:
                slot.throttled(None)

    for _ in range(2):
        await report(True)
    assert limiter.state.permits == 2
    await report(True)
    assert limiter.state.permits == 3
    for _ in range(30):
        await report(True)
    assert limiter.state.permits == 4  # never above max_permits
    await report(False)  # one in flight and refused: the account takes none of ours
    assert (limiter.state.permits, limiter.state.ceiling) == (1, 0)
    for _ in range(30):
        await report(True)
    # After a 429 only a probe (while callers wait, after probe_interval) tries more.
    assert limiter.state.permits == 1


async def test_shrunk_permits_hold_new_callers_until_in_flight_drops() -> None:
    limiter = AdaptiveLimiter(max_permits=8, initial_permits=8)
    held = [Holder(limiter) for _ in range(8)]
    await settle()
    assert held[0].slot is not None
    held[0].slot.throttled(None)
    assert limiter.state.permits == 7

    newcomer = Holder(limiter)
    await settle()
    assert not newcomer.is_inside()
    assert limiter.state.waiting == 1
    await held[0].finish()
    await settle()
    assert not newcomer.is_inside()  # 7 still in flight, 7 permits
    await held[1].finish()
    await settle()
    assert newcomer.is_inside()
    assert limiter.state.in_flight == 7
    for h in [*held[2:], newcomer]:
        await h.finish()


async def test_growth_lets_a_waiter_in() -> None:
    limiter = AdaptiveLimiter(max_permits=2, initial_permits=1, grow_after=1)
    first = Holder(limiter)
    second = Holder(limiter)
    await settle()
    assert first.is_inside()
    assert not second.is_inside()
    assert first.slot is not None
    first.slot.succeeded()
    await settle()
    assert second.is_inside()
    await first.finish()
    await second.finish()


# -- Retry-After pause ---------------------------------------------------------------------------


def test_retry_after_holds_new_and_queued_callers() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(max_permits=2)
        a, b = Holder(limiter), Holder(limiter)
        queued = Holder(limiter)  # waits for a permit when the pause begins
        await settle()
        assert a.slot is not None
        assert not queued.is_inside()
        a.slot.throttled(2.5)
        assert limiter.state.paused_for == pytest.approx(2.5)
        await a.finish()
        await b.finish()
        late = Holder(limiter)
        await settle()
        assert not queued.is_inside()  # permits are free, but the pause holds everyone
        assert not late.is_inside()
        await asyncio.gather(queued.finish(), late.finish())
        assert queued.entered_at == pytest.approx(2.5)
        assert late.entered_at == pytest.approx(2.5)
        assert limiter.state.paused_for == 0
        await assert_all_permits_free(limiter)

    run_virtual(main)


def test_retry_after_is_capped_and_never_shortened() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(retry_after_cap=5.0, min_permits=2)
        async with limiter.slot(None) as slot:
            slot.throttled(3600)
        assert limiter.state.paused_for == pytest.approx(5.0)
        async with limiter.slot(None):
            assert now() == pytest.approx(5.0)

        a, b = Holder(limiter), Holder(limiter)
        await settle()
        assert a.slot is not None
        assert b.slot is not None
        a.slot.throttled(1.0)
        b.slot.throttled(0.5)  # a shorter pause does not cut the running one short
        assert limiter.state.paused_for == pytest.approx(1.0)
        await a.finish()
        await b.finish()

    run_virtual(main)


@pytest.mark.parametrize("retry_after", [None, 0.0, -3.0, math.nan])
async def test_no_pause_without_a_positive_retry_after(retry_after: float | None) -> None:
    limiter = AdaptiveLimiter()
    async with limiter.slot(None) as slot:
        slot.throttled(retry_after)
    assert limiter.state.paused_for == 0


async def test_injected_clock_and_sleep() -> None:
    clock = [100.0]
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    limiter = AdaptiveLimiter(clock=lambda: clock[0], sleep=fake_sleep, writes_per_second=10)
    async with limiter.slot(None) as slot:
        slot.throttled(4.0)
    async with limiter.slot("k"):
        pass
    async with limiter.slot("k"):
        pass
    assert sleeps == pytest.approx([4.0, 1 / (10 * 0.97)])
    assert limiter.state.wait_seconds == pytest.approx(sum(sleeps))


# -- write pacing --------------------------------------------------------------------------------


async def write(
    limiter: AdaptiveLimiter, key: str | None, log: list[tuple[str | None, float]]
) -> None:
    async with limiter.slot(key) as slot:
        log.append((key, now()))
        slot.succeeded()


def test_writes_on_one_key_are_spaced_fifo() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter()
        interval = limiter.write_interval
        assert interval is not None
        order: list[int] = []

        async def numbered(i: int) -> float:
            async with limiter.slot("conversation:CH1") as slot:
                order.append(i)
                slot.succeeded()
                return now()

        times = await asyncio.gather(*(numbered(i) for i in range(61)))
        assert order == list(range(61))
        assert times[0] == 0
        assert times[-1] >= 60 / 30  # (N - 1) / rate, at least
        assert times[-1] == pytest.approx(60 * interval)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) == pytest.approx(interval)

    run_virtual(main)


def test_separate_keys_are_independent_and_reads_are_not_paced() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter()
        log: list[tuple[str | None, float]] = []
        await asyncio.gather(
            *(write(limiter, key, log) for _ in range(31) for key in ("a", "b", None))
        )
        last = {key: max(t for k, t in log if k == key) for key in ("a", "b", None)}
        assert last[None] == 0
        assert last["a"] == pytest.approx(30 / (30 * 0.97))
        assert last["b"] == last["a"]

    run_virtual(main)


def test_burst_then_spacing() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(writes_per_second=10, write_burst=3, rate_margin=1.0)
        log: list[tuple[str | None, float]] = []
        await asyncio.gather(*(write(limiter, "k", log) for _ in range(5)))
        assert [t for _, t in log] == pytest.approx([0, 0, 0, 0.1, 0.2])

    run_virtual(main)


def test_pacing_off() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(writes_per_second=None)
        log: list[tuple[str | None, float]] = []
        await asyncio.gather(*(write(limiter, "k", log) for _ in range(100)))
        assert {t for _, t in log} == {0}
        assert limiter.state.write_keys == 0

    run_virtual(main)


def test_permit_queueing_cannot_bunch_writes_up() -> None:
    async def main() -> None:
        # Writes on "k" queue behind a single permit held for 1 s; when it frees up they must
        # still go out one interval apart, not all at once.
        limiter = AdaptiveLimiter(max_permits=1, writes_per_second=10, rate_margin=1.0)
        blocker = Holder(limiter)
        log: list[tuple[str | None, float]] = []
        writers = [asyncio.create_task(write(limiter, "k", log)) for _ in range(4)]
        await asyncio.sleep(1.0)
        await blocker.finish()
        await asyncio.gather(*writers)
        assert [t for _, t in log] == pytest.approx([1.0, 1.1, 1.2, 1.3])

    run_virtual(main)


def test_writes_do_not_bunch_up_after_a_pause() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(writes_per_second=10, rate_margin=1.0)
        log: list[tuple[str | None, float]] = []
        writers = [asyncio.create_task(write(limiter, "k", log)) for _ in range(5)]
        await asyncio.sleep(0.15)  # writes went out at 0 and 0.1
        async with limiter.slot(None) as slot:
            slot.throttled(1.0)
        await asyncio.gather(*writers)
        assert [t for _, t in log] == pytest.approx([0, 0.1, 1.15, 1.25, 1.35])

    run_virtual(main)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any closed interval of ``window`` seconds."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@settings(max_examples=40, deadline=None)
@given(
    arrivals=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=120),
    holds=st.lists(st.floats(min_value=0, max_value=0.2), min_size=1, max_size=10),
    max_permits=st.integers(min_value=1, max_value=8),
)
def test_no_one_second_window_holds_more_than_30_writes(
    arrivals: list[float], holds: list[float], max_permits: int
) -> None:
    async def main() -> list[float]:
        limiter = AdaptiveLimiter(max_permits=max_permits)
        sent: list[float] = []

        async def writer(i: int, arrival: float) -> None:
            await asyncio.sleep(arrival)
            async with limiter.slot("conversation:CH1") as slot:
                sent.append(now())
                await asyncio.sleep(holds[i % len(holds)])
                slot.succeeded()

        await asyncio.gather(*(writer(i, a) for i, a in enumerate(arrivals)))
        assert limiter.state.in_flight == 0
        return sent

    sent = run_virtual(main)
    assert len(sent) == len(arrivals)
    assert max_in_window(sent) <= 30


def test_idle_buckets_are_evicted() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(key_sweep_interval=10.0)
        log: list[tuple[str | None, float]] = []
        await asyncio.gather(
            *(write(limiter, f"conversation:default:CH{i}", log) for i in range(1000))
        )
        assert limiter.state.write_keys == 1000

        # A key with queued writers survives a sweep; full, unused buckets do not.
        busy = [asyncio.create_task(write(limiter, "busy", log)) for _ in range(400)]
        await asyncio.sleep(10.5)
        await write(limiter, "fresh", log)
        assert limiter.state.write_keys == 2  # "busy" (still pacing) and "fresh"
        await asyncio.gather(*busy)
        await asyncio.sleep(10.5)
        await write(limiter, "fresh", log)
        assert limiter.state.write_keys == 1

    run_virtual(main)


def test_evicting_a_bucket_does_not_reset_pacing() -> None:
    async def main() -> None:
        # The sweep runs on every write here; a bucket is only dropped once it is full, so a
        # key written again right away is still paced.
        limiter = AdaptiveLimiter(key_sweep_interval=1e-9, writes_per_second=10, rate_margin=1)
        log: list[tuple[str | None, float]] = []
        for _ in range(3):
            await write(limiter, "k", log)
            await write(limiter, "other", log)
        assert [t for k, t in log if k == "k"] == pytest.approx([0, 0.1, 0.2])

    run_virtual(main)


# -- cancellation --------------------------------------------------------------------------------


async def test_cancel_while_waiting_for_a_permit() -> None:
    limiter = AdaptiveLimiter(max_permits=2, writes_per_second=None)
    held = [Holder(limiter) for _ in range(2)]
    queued = [Holder(limiter) for _ in range(3)]
    await settle()
    queued[1].task.cancel()
    await settle()
    assert limiter.state.waiting == 2
    await held[0].finish()
    await settle()
    assert queued[0].is_inside()  # FIFO order survives the cancelled waiter
    await held[1].finish()
    await settle()
    assert queued[2].is_inside()
    await queued[0].finish()
    await queued[2].finish()
    with pytest.raises(asyncio.CancelledError):
        await queued[1].task
    await assert_all_permits_free(limiter)


@pytest.mark.parametrize("key", [None, "k"])
async def test_cancel_just_after_a_permit_was_handed_over(key: str | None) -> None:
    limiter = AdaptiveLimiter(max_permits=1, writes_per_second=1000)
    first = limiter.slot(None)
    await first.__aenter__()
    second = Holder(limiter, key)
    third = Holder(limiter)
    await settle()
    assert limiter.state.waiting == 2
    # Leaving hands the permit to ``second`` without a suspension point, so the cancel lands
    # before ``second`` resumes: it must pass the permit on to ``third`` instead of losing it.
    await first.__aexit__(None, None, None)
    assert limiter.state.in_flight == 1
    assert not second.is_inside()
    second.task.cancel()
    await settle()
    assert second.task.cancelled()
    assert third.is_inside()
    await third.finish()
    await assert_all_permits_free(limiter)


def test_a_cancelled_next_writer_hands_the_turn_on() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        bucket = _Bucket(tat=0.0)
        a, b, c = (loop.create_future() for _ in range(3))
        bucket.waiters.extend([a, b, c])
        b.cancel()
        AdaptiveLimiter._leave_bucket(bucket, a)  # b is next but cancelled: not signalled
        assert not c.done()
        AdaptiveLimiter._leave_bucket(bucket, b)  # b's own clean-up passes the turn to c
        assert c.done()
        assert list(bucket.waiters) == [c]

    run_virtual(main)


async def test_cancel_while_holding() -> None:
    limiter = AdaptiveLimiter(max_permits=3)
    held = [Holder(limiter, key) for key in (None, "k", "j")]
    await settle()
    assert limiter.state.in_flight == 3
    for h in held:
        h.task.cancel()
    await settle()
    assert all(h.task.cancelled() for h in held)
    await assert_all_permits_free(limiter)


def test_cancel_while_waiting_for_a_write_token() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(writes_per_second=10, rate_margin=1.0)
        log: list[tuple[str | None, float]] = []
        first = asyncio.create_task(write(limiter, "k", log))
        head = asyncio.create_task(write(limiter, "k", log))  # sleeps until 0.1
        behind = asyncio.create_task(write(limiter, "k", log))  # queued behind it
        last = asyncio.create_task(write(limiter, "k", log))
        await settle()
        assert limiter.state.waiting == 3
        head.cancel()
        last.cancel()
        await asyncio.gather(first, behind, return_exceptions=True)
        # The cancelled head's turn is not wasted: the next writer takes it at 0.1, not 0.2.
        assert [t for _, t in log] == pytest.approx([0.0, 0.1])
        assert head.cancelled()
        assert last.cancelled()
        assert limiter.state.waiting == 0
        await asyncio.sleep(0.1)
        await write(limiter, "k", log)
        assert log[-1][1] == pytest.approx(0.2)
        await assert_all_permits_free(limiter)

    run_virtual(main)


def test_cancel_a_key_head_waiting_for_a_permit() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(max_permits=1, writes_per_second=10, rate_margin=1.0)
        blocker = Holder(limiter)
        log: list[tuple[str | None, float]] = []
        head = asyncio.create_task(write(limiter, "k", log))
        behind = asyncio.create_task(write(limiter, "k", log))
        await settle()
        head.cancel()
        await asyncio.sleep(0.5)
        await blocker.finish()
        await behind
        assert [t for _, t in log] == pytest.approx([0.5])
        assert head.cancelled()
        await assert_all_permits_free(limiter)

    run_virtual(main)


def test_cancelling_a_gather_frees_everything() -> None:
    async def main() -> None:
        limiter = AdaptiveLimiter(max_permits=5, writes_per_second=20)
        log: list[tuple[str | None, float]] = []

        async def slow(key: str | None) -> None:
            async with limiter.slot(key) as slot:
                await asyncio.sleep(1.0)
                slot.succeeded()
                log.append((key, now()))

        keys = [None, "a", "b", "a", None, "c"] * 50
        job = asyncio.gather(*(slow(k) for k in keys))
        await asyncio.sleep(2.5)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert 0 < len(log) < len(keys)
        assert limiter.state.in_flight == 0
        assert limiter.state.waiting == 0
        await assert_all_permits_free(limiter)

    run_virtual(main)


# -- under a simulated server --------------------------------------------------------------------


def test_2000_tasks_converge_under_a_server_concurrency_cap() -> None:
    cap = 20

    async def main() -> None:
        limiter = AdaptiveLimiter(max_permits=50, grow_after=10, writes_per_second=None)
        server_in_flight = 0
        attempts = 0
        permits_late: list[int] = []

        async def request() -> bool:
            nonlocal server_in_flight, attempts
            async with limiter.slot(None) as slot:
                attempts += 1
                if server_in_flight >= cap:
                    await asyncio.sleep(0.005)
                    slot.throttled(None)
                    return False
                server_in_flight += 1
                try:
                    await asyncio.sleep(0.05)
                finally:
                    server_in_flight -= 1
                slot.succeeded()
                return True

        async def call(i: int) -> None:
            backoff = 0.01
            while not await request():
                await asyncio.sleep(backoff)  # outside the slot, as the Session does
                backoff = min(backoff * 2, 1.0)
            if i >= 1000:
                permits_late.append(limiter.state.permits)

        await asyncio.gather(*(call(i) for i in range(2000)))
        state = limiter.state
        assert state.in_flight == 0
        assert state.succeeded == 2000
        # AIMD saws between about cap / 2 and the cap. It may probe a step or two above the cap,
        # because the 429 that answers a probe arrives after the successes that grew it.
        assert max(permits_late) <= cap + 2
        assert sorted(permits_late)[len(permits_late) // 2] <= cap
        assert state.permits <= cap + 2
        assert state.throttled / attempts < 0.05
        assert state.halvings < 40

    run_virtual(main)
