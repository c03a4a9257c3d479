"""RedisLimiter against a real redis-server on loopback, started and stopped here.

Where no ``redis-server`` binary exists these tests are skipped, with the reason shown; with the
``CI`` environment variable set, a missing binary fails them instead (CI must run them): see
``tests/_redis_server.py``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
import redis.asyncio as aioredis
from _redis_server import RedisServer, free_port

from conversations_async import AdaptiveLimiter, LimiterSettings, RetryPolicy
from conversations_async._limits import Limiter, conversation_write_key
from conversations_async.errors import ConversationsError
from conversations_async.redis_limiter import (
    RedisFallbackWarning,
    RedisLimiter,
    RedisUnavailableError,
)
from conversations_async.testing import Emulator, Faults


def new_account() -> str:
    """A fresh account SID per test, so tests never share limiter state."""
    return "AC" + uuid.uuid4().hex


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[list[RedisLimiter]]:
    """Limiters made by a test, each with its own Redis client (like separate processes)."""
    made: list[RedisLimiter] = []
    yield made
    for limiter in made:
        await limiter.aclose()


def make(made: list[RedisLimiter], url: str, account: str, **options: object) -> RedisLimiter:
    limiter = RedisLimiter(url, account_sid=account, **options)  # type: ignore[arg-type]
    made.append(limiter)
    return limiter


async def test_is_a_limiter(redis_url: str, limiters: list[RedisLimiter]) -> None:
    limiter = make(limiters, redis_url, new_account())
    assert isinstance(limiter, Limiter)
    await limiter.check()
    assert "127.0.0.1" in repr(limiter)


async def test_permits_never_exceed_the_cap_across_instances(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    workers = [
        make(limiters, redis_url, account, max_permits=4, poll_interval=0.005) for _ in range(3)
    ]
    faults = Faults(latency=0.01, max_in_flight=4)
    async with Emulator(faults=faults) as emulator:
        sessions = [emulator.session(limiter=w, retry=RetryPolicy(attempts=1)) for w in workers]
        try:
            conversation = await sessions[0].conversations.create(friendly_name="cap")
            await asyncio.gather(
                *(sessions[i % 3].conversations.fetch(conversation.sid) for i in range(60))
            )
        finally:
            for session in sessions:
                await session.aclose()
        assert emulator.counters.throttled == 0
        # The cap was reached (so it was what held the workers back), never passed.
        assert emulator.counters.max_in_flight == 4
    shared = await workers[0].shared_state()
    assert shared.in_flight == 0


async def test_unshared_limiters_overrun_the_cap(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    # The control for the test above: three namespaces are three separate limiters.
    account = new_account()
    workers = [
        make(limiters, redis_url, account, max_permits=4, namespace=f"ns{i}") for i in range(3)
    ]
    async with Emulator(faults=Faults(latency=0.01)) as emulator:
        sessions = [emulator.session(limiter=w) for w in workers]
        try:
            conversation = await sessions[0].conversations.create(friendly_name="cap")
            await asyncio.gather(
                *(sessions[i % 3].conversations.fetch(conversation.sid) for i in range(60))
            )
        finally:
            for session in sessions:
                await session.aclose()
        assert emulator.counters.max_in_flight > 4


async def _onboard(emulator: Emulator, workers: list[RedisLimiter], count: int) -> int:
    """Create ``count`` participants in one conversation through all workers; 429s met."""
    sessions = [emulator.session(limiter=w, retry=RetryPolicy(attempts=1)) for w in workers]
    try:
        conversation = await sessions[0].conversations.create(friendly_name="pace")
        results = await asyncio.gather(
            *(
                sessions[i % len(sessions)].participants.create(
                    conversation.sid, identity=f"user-{i}"
                )
                for i in range(count)
            ),
            return_exceptions=True,
        )
    finally:
        for session in sessions:
            await session.aclose()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, ConversationsError) for f in failures)
    return len(failures)


async def test_writes_are_spaced_across_instances(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    # 56 writes at 50/s: more than one server window holds, so unspaced writes would be refused.
    account = new_account()
    workers = [make(limiters, redis_url, account, writes_per_second=50.0) for _ in range(3)]
    async with Emulator(faults=Faults(writes_per_second=50)) as emulator:
        failures = await _onboard(emulator, workers, 56)
        assert failures == 0
        assert emulator.counters.throttled == 0
        assert emulator.participants_created == 56


async def test_unshared_write_pacing_is_refused(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    workers = [
        make(limiters, redis_url, account, writes_per_second=50.0, namespace=f"ns{i}")
        for i in range(3)
    ]
    async with Emulator(faults=Faults(writes_per_second=50)) as emulator:
        failures = await _onboard(emulator, workers, 56)
        assert failures > 0
        assert emulator.counters.throttled == failures


async def test_a_429_lowers_the_shared_permits_once_per_window(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    first = make(limiters, redis_url, account, max_permits=8, initial_permits=8)
    second = make(limiters, redis_url, account, max_permits=8, initial_permits=8)
    entered = [(w, w.slot(None)) for w in (first, second) * 3]
    slots = [await context.__aenter__() for _, context in entered]
    # Six requests in flight together (three per worker), two refused and returned while the
    # rest are held: the first sets the shared permits to one less than every worker held (6),
    # the second, of the same window, tightens that (5 held) without a second reduction.
    for index in (0, 1):
        slots[index].throttled(None)
        await entered[index][1].__aexit__(None, None, None)
    shared = await second.shared_state()
    assert (shared.permits, shared.ceiling, shared.throttled, shared.halvings) == (4, 4, 2, 1)
    for _, context in entered[2:]:
        await context.__aexit__(None, None, None)
    # A request sent after the reduction and refused is new evidence: alone in flight, so the
    # account takes none of these workers' requests now (min_permits holds one).
    async with second.slot(None) as late:
        late.throttled(None)
    assert (second.state.permits, second.state.halvings, second.state.ceiling) == (1, 2, 0)
    async with first.slot(None):
        pass
    assert first.state.permits == 1


async def test_halved_permits_hold_every_worker(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    first = make(limiters, redis_url, account, max_permits=2)
    second = make(limiters, redis_url, account, max_permits=2, poll_interval=0.005)
    async with first.slot(None) as slot:
        slot.throttled(None)
    async with first.slot(None):
        # One permit now, and it is taken: the other worker waits.
        waiter = asyncio.create_task(_enter(second))
        await asyncio.sleep(0.05)
        assert not waiter.done()
    await asyncio.wait_for(waiter, 2)


async def _enter(limiter: RedisLimiter) -> None:
    async with limiter.slot(None) as slot:
        slot.succeeded()


async def test_retry_after_pauses_every_worker(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    first = make(limiters, redis_url, account)
    second = make(limiters, redis_url, account)
    async with first.slot(None) as slot:
        slot.throttled(0.2)
    shared = await second.shared_state()
    assert 0 < shared.paused_for <= 0.2
    waiter = asyncio.create_task(_enter(second))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await asyncio.wait_for(waiter, 2)


async def test_retry_after_is_capped(redis_url: str, limiters: list[RedisLimiter]) -> None:
    account = new_account()
    limiter = make(limiters, redis_url, account, retry_after_cap=0.1)
    async with limiter.slot(None) as slot:
        slot.throttled(3600)
    assert (await limiter.shared_state()).paused_for <= 0.1


_HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from conversations_async.redis_limiter import RedisLimiter

    async def main():
        limiter = RedisLimiter(sys.argv[1], account_sid=sys.argv[2], max_permits=2,
                               lease_seconds=0.5)
        async with limiter.slot(None), limiter.slot(None):
            print("held", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_a_killed_worker_does_not_hold_permits_beyond_its_lease(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLDER, redis_url, account, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).strip() == b"held"
        survivor = make(limiters, redis_url, account, max_permits=2, lease_seconds=0.5)
        assert (await survivor.shared_state()).in_flight == 2
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
        # Nobody renews the dead worker's leases; they lapse within 0.5 s.
        async with asyncio.timeout(3):
            await _enter(survivor)
        assert (await survivor.shared_state()).in_flight == 0
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


async def test_a_live_worker_renews_its_lease(redis_url: str, limiters: list[RedisLimiter]) -> None:
    account = new_account()
    holder = make(limiters, redis_url, account, max_permits=1, lease_seconds=0.1)
    other = make(limiters, redis_url, account, max_permits=1, lease_seconds=0.1)
    async with holder.slot(None):
        # Held for over twice the lease: renewals keep the one permit taken.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.25):
                await _enter(other)
    await asyncio.wait_for(_enter(other), 2)


async def test_a_limiters_leases_share_one_expiry(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    # So a dead worker's permits all lapse at one instant, not one by one.
    account = new_account()
    limiter = make(limiters, redis_url, account, max_permits=3, lease_seconds=5)
    async with limiter.slot(None), limiter.slot(None), limiter.slot(None):
        client = aioredis.Redis.from_url(redis_url)
        try:
            scores: Any = await client.zrange(
                f"conversations_async:{{ca:{account}}}:leases", 0, -1, withscores=True
            )
        finally:
            await client.aclose()
    assert len(scores) == 3
    assert len({score for _member, score in scores}) == 1


async def test_a_new_lease_joins_its_siblings_expiry_or_moves_them_all(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    key = f"conversations_async:{{ca:{account}}}:leases"
    limiter = make(limiters, redis_url, account, max_permits=3, lease_seconds=10)
    client = aioredis.Redis.from_url(redis_url)
    try:
        async with limiter.slot(None):
            first: Any = await client.zrange(key, 0, -1, withscores=True)
            [(_, expiry)] = first
            async with limiter.slot(None):
                scores: Any = await client.zrange(key, 0, -1, withscores=True)
                assert [score for _, score in scores] == [expiry, expiry]  # joined, none moved
                # Less than half a lease left (as after a stalled renewer): the next grant
                # extends every one of them to a full lease from now.
                await client.zadd(key, {member: expiry - 6000 for member, _ in scores})
                async with limiter.slot(None):
                    scores = await client.zrange(key, 0, -1, withscores=True)
        assert len(scores) == 3
        assert len({score for _, score in scores}) == 1
        assert scores[0][1] > expiry - 6000 + 5000
    finally:
        await client.aclose()


async def test_a_cancellation_swallowed_inside_a_redis_call_still_reaches_the_caller(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    # On Python 3.11, asyncio.wait_for (which redis-py uses to send when its client has a
    # socket_timeout) returns the result when a cancel lands as the write completes. This call
    # does exactly that; the limiter must still raise CancelledError to its caller.
    limiter = make(limiters, redis_url, new_account())
    entered = asyncio.Event()

    async def a_call_that_swallows_a_cancel() -> str:
        entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "reply"
        return "no cancel"

    task = asyncio.create_task(limiter._guarded(a_call_that_swallows_a_cancel()))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelling_frees_permits(redis_url: str, limiters: list[RedisLimiter]) -> None:
    account = new_account()
    limiter = make(limiters, redis_url, account, max_permits=1, poll_interval=0.005)

    async def hold_forever() -> None:
        async with limiter.slot(None):
            await asyncio.Event().wait()

    holding = asyncio.create_task(hold_forever())
    waiting = asyncio.create_task(_enter(limiter))
    await asyncio.sleep(0.03)
    assert (await limiter.shared_state()).in_flight == 1
    waiting.cancel()
    holding.cancel()
    await asyncio.gather(holding, waiting, return_exceptions=True)
    assert (await limiter.shared_state()).in_flight == 0
    assert limiter.state.in_flight == 0


async def test_a_permit_returned_while_the_waiter_asks_wakes_it(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    # The waiter's "no permit" answer is held back until the holder has returned its permit:
    # the return must still wake the waiter, long before its 30 s poll.
    limiter = make(limiters, redis_url, new_account(), max_permits=1, poll_interval=30.0)
    store = limiter._store
    ask = store.acquire
    release = asyncio.Event()
    returned = asyncio.Event()
    refused = 0

    async def acquire_then_wait_for_the_return() -> Any:
        nonlocal refused
        grant = await ask()
        if grant.lease is None and not refused:
            refused += 1
            release.set()
            await returned.wait()
        return grant

    held = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot(None):
            held.set()
            await release.wait()
        returned.set()

    holder = asyncio.create_task(hold())
    await held.wait()
    store.acquire = acquire_then_wait_for_the_return  # type: ignore[method-assign]
    async with asyncio.timeout(10):
        await _enter(limiter)
        await holder
    assert refused == 1


async def test_tenants_are_namespaced(redis_url: str, limiters: list[RedisLimiter]) -> None:
    first_account, second_account = new_account(), new_account()
    first = make(limiters, redis_url, first_account, max_permits=1)
    second = make(limiters, redis_url, second_account, max_permits=1)
    # Each account has its own single permit: holding one does not block the other.
    async with first.slot(conversation_write_key("CH" + "a" * 32)), asyncio.timeout(2):
        await _enter(second)
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            keys = {str(key) for key in await client.keys(f"*{first_account}*")}
        finally:
            await client.aclose()
    assert f"conversations_async:{{ca:{first_account}}}:leases" in keys
    assert any(
        k.startswith(f"conversations_async:{{ca:{first_account}:conversation:") for k in keys
    )
    assert not any(second_account in k for k in keys)


@pytest.mark.parametrize("policy", ["fail", "fallback"])
async def test_unreachable_redis_at_start_is_a_clear_error(policy: str) -> None:
    port = free_port()
    limiter = RedisLimiter(
        f"redis://:s3cret@127.0.0.1:{port}/0",
        account_sid=new_account(),
        on_redis_error=policy,  # type: ignore[arg-type]
    )
    try:
        with pytest.raises(RedisUnavailableError, match=f"127.0.0.1:{port}") as caught:
            async with limiter.slot(None):
                pass
        assert "s3cret" not in str(caught.value)
        assert isinstance(caught.value, ConversationsError)
        with pytest.raises(RedisUnavailableError):
            await limiter.check()
    finally:
        await limiter.aclose()


async def test_redis_lost_mid_run_fails_under_the_fail_policy(
    doomed_redis: RedisServer, limiters: list[RedisLimiter]
) -> None:
    limiter = make(limiters, doomed_redis.url, new_account(), on_redis_error="fail")
    async with Emulator() as emulator, emulator.session(limiter=limiter) as session:
        conversation = await session.conversations.create(friendly_name="lost")
        doomed_redis.stop()
        with pytest.raises(RedisUnavailableError, match="lost the connection to Redis"):
            await session.conversations.fetch(conversation.sid)
        # Not retried, and nothing reached the server.
        assert emulator.counters.requests == 1


async def test_redis_lost_mid_run_falls_back_under_the_fallback_policy(
    doomed_redis: RedisServer, limiters: list[RedisLimiter]
) -> None:
    limiter = make(limiters, doomed_redis.url, new_account(), on_redis_error="fallback")
    async with Emulator() as emulator, emulator.session(limiter=limiter) as session:
        conversation = await session.conversations.create(friendly_name="lost")
        doomed_redis.stop()
        with pytest.warns(RedisFallbackWarning, match="limits this process only"):
            fetched = await session.conversations.fetch(conversation.sid)
        assert fetched.sid == conversation.sid
        assert limiter.falling_back
        # It keeps working, quietly, on the in-process limiter.
        await session.conversations.fetch(conversation.sid)
        assert emulator.counters.requests == 3
        assert limiter.state.in_flight == 0


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(ValueError, match="account_sid"):
        RedisLimiter("redis://127.0.0.1:1/0", account_sid="nope")
    with pytest.raises(ValueError, match="max_permits"):
        RedisLimiter("redis://127.0.0.1:1/0", account_sid=new_account(), max_permits=0)
    with pytest.raises(ValueError, match="on_redis_error"):
        RedisLimiter(
            "redis://127.0.0.1:1/0",
            account_sid=new_account(),
            on_redis_error="ignore",  # type: ignore[arg-type]
        )


# -- one settings record -------------------------------------------------------------------------

TUNED = LimiterSettings(
    max_permits=8,
    initial_permits=6,
    min_permits=3,
    grow_after=2,
    writes_per_second=12.0,
    write_burst=2,
    rate_margin=0.9,
    retry_after_cap=0.5,
    probe_interval=0.25,
    probe_interval_max=0.75,
)


@pytest.mark.parametrize("given_as", ["settings", "keywords"])
async def test_the_fallback_keeps_every_setting(
    given_as: str, doomed_redis: RedisServer, limiters: list[RedisLimiter]
) -> None:
    options: dict[str, object] = (
        {"settings": TUNED} if given_as == "settings" else attrs.asdict(TUNED)
    )
    limiter = make(limiters, doomed_redis.url, new_account(), on_redis_error="fallback", **options)
    await limiter.check()
    doomed_redis.stop()
    with pytest.warns(RedisFallbackWarning):
        async with limiter.slot(None) as slot:
            slot.succeeded()
    assert limiter.falling_back
    fallback = limiter.fallback
    assert isinstance(fallback, AdaptiveLimiter)
    assert fallback.settings == limiter.settings == TUNED
    assert fallback.write_interval == pytest.approx(1 / (12.0 * 0.9))
    # initial_permits 6; grow_after 2: two successes add one (slow start, before any 429).
    assert limiter.state.permits == 6
    async with limiter.slot(None) as slot:
        slot.succeeded()
    assert limiter.state.permits == 7
    # A 429 with one in flight lowers it as far as min_permits 3, which holds on the next.
    for _ in range(2):
        async with limiter.slot(None) as slot:
            slot.throttled(None)
        assert (limiter.state.permits, limiter.state.max_permits) == (3, 8)
    # retry_after_cap 0.5 caps the pause.
    async with limiter.slot(None) as slot:
        slot.throttled(3600)
    assert 0 < limiter.state.paused_for <= 0.5


async def test_initial_permits_is_where_the_shared_permits_start(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    first = make(limiters, redis_url, account, max_permits=8, initial_permits=2, grow_after=1)
    other = make(limiters, redis_url, account, max_permits=8, initial_permits=2, grow_after=1)
    assert (await first.shared_state()).permits == 2
    async with first.slot(None), first.slot(None):
        assert first.state.permits == 2
        # Two permits, both taken: the other worker waits.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await _enter(other)
    # One success grows the shared permits from where they started, not from max_permits.
    await _enter(first)
    assert (await other.shared_state()).permits == 3


async def test_state_fills_what_this_process_knows(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    account = new_account()
    first = make(limiters, redis_url, account, max_permits=4)
    second = make(limiters, redis_url, account, max_permits=4)
    await _enter(first)
    async with first.slot(None) as slot:
        slot.throttled(None)
    # succeeded and throttled are this process's; halvings is shared, as last seen from Redis.
    assert (first.state.succeeded, first.state.throttled, first.state.halvings) == (1, 1, 1)
    assert (second.state.succeeded, second.state.halvings) == (0, 0)
    await _enter(second)
    assert (second.state.succeeded, second.state.halvings) == (1, 1)
    shared = await second.shared_state()
    assert (shared.succeeded, shared.throttled, shared.halvings) == (2, 1, 1)


async def test_state_counts_this_processs_waiting_callers_and_write_keys(
    redis_url: str, limiters: list[RedisLimiter]
) -> None:
    limiter = make(limiters, redis_url, new_account(), max_permits=1, poll_interval=0.005)
    key = conversation_write_key("CH" + "b" * 32)
    async with limiter.slot(None):
        waiters = [asyncio.create_task(_enter_key(limiter, key)) for _ in range(2)]
        for _ in range(1000):  # until both are inside slot() (at most 5 s)
            if limiter.state.waiting == 2:
                break
            await asyncio.sleep(0.005)
        state = limiter.state
        # Two callers on one key: one write budget they queue on here, whose bucket is in Redis.
        assert (state.in_flight, state.waiting, state.write_keys) == (1, 2, 1)
    await asyncio.wait_for(asyncio.gather(*waiters), 5)
    state = limiter.state
    assert (state.in_flight, state.waiting, state.write_keys, state.succeeded) == (0, 0, 0, 2)


async def _enter_key(limiter: RedisLimiter, key: str) -> None:
    async with limiter.slot(key) as slot:
        slot.succeeded()


async def test_a_shared_reduction_and_pause_are_logged_by_the_workers_that_see_them(
    redis_url: str, limiters: list[RedisLimiter], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="conversations_async.redis_limiter")
    account = new_account()
    first = make(limiters, redis_url, account, max_permits=8)
    second = make(limiters, redis_url, account, max_permits=8)
    async with first.slot(None) as slot:
        slot.throttled(0.2)
    await _enter(second)  # waits the pause out, having seen it and the halving
    texts = [
        r.getMessage() for r in caplog.records if r.name == "conversations_async.redis_limiter"
    ]
    # One in flight when the 429 came back: the permits go to their minimum.
    assert texts.count("429: the shared limiter is at 1 permits (reduction 1)") == 2  # each worker
    pauses = [t for t in texts if t.startswith("429: every worker pauses ")]
    assert 1 <= len(pauses) <= 2 and all(t.endswith("s (shared Retry-After)") for t in pauses)
