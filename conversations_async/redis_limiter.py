"""A limiter shared through Redis: many processes on many hosts, one Twilio account.

Twilio's limits belong to the account (requests in flight) and to each conversation and service
(30 writes per second), not to one process. Workers that each keep their own in-process limiter
overrun the account together. :class:`RedisLimiter` keeps the same
:class:`~conversations_async.Limiter` protocol as the in-process limiters, with its state in
Redis::

    from conversations_async.redis_limiter import RedisLimiter

    limiter = RedisLimiter("redis://redis:6379/0", account_sid="AC…", max_permits=20)
    await limiter.check()                       # optional: fail fast when Redis is unreachable
    async with Session(account_sid="AC…", auth_token="…", limiter=limiter) as session:
        ...
    await limiter.aclose()

Needs the ``redis`` extra (``pip install conversations-async[redis]``) and Redis server >= 5.

**Concurrency.** A distributed semaphore: a sorted set of lease ids scored by their expiry (Redis
server time, so the hosts' clocks do not matter). A Lua script first drops expired leases, then
grants a lease when fewer than the shared ``permits`` are held. All the leases of one limiter share
one expiry: a new lease takes the expiry of the limiter's others (or, with less than half a lease
of it left, extends them all to a full one), and the limiter renews them together every
``lease_seconds / 3`` while it holds any, so a long request keeps its permit. A process that dies
stops renewing, and all its permits come back to the others at one instant, at most
``lease_seconds`` after its last grant or renewal.

**Adaptive, shared by every worker.** The shared ``permits`` follow one estimate of the
account's cap, kept in Redis by the in-process limiter's rules (``_limits_estimator``) over the
leases of every worker: slow start until the first 429; a 429 sets the permits to one less than
the leases held when it came back (once per *window*: a lease remembers the reductions so far);
probes above the estimate while a worker has callers waiting. A ``Retry-After`` is a pause in
Redis that holds every worker (capped at ``retry_after_cap``); an actions-per-second 429 (code
50063 / 50074) slows its write key for every worker instead, leaving the permits as they are.

**Writes.** Each write key (:func:`~conversations_async._limits.conversation_write_key`,
:func:`~conversations_async._limits.service_write_key`) is a GCRA bucket in its own Redis key,
updated by a single-key script, taken only while holding a permit, right before the request is
sent (so waiting for a permit never bunches writes up). Writes on one key are spaced
``1 / (writes_per_second * rate_margin)`` apart over all workers (34.4 ms with the defaults).

**Waiting.** In one process, one caller at a time polls Redis for a permit (and one per write
key for its token); the others queue locally. The poller sleeps what the script suggests (the
rest of a pause, the next token) or ``poll_interval`` with jitter, and is woken early when a
permit of its own process is returned: a few dozen small scripts per second per waiting
process, however many coroutines wait (and no strict first come, first served across them).

**Keys**: ``{namespace}:{ca:AC…}:leases`` and ``…:state`` per account, ``…:tat`` and ``…:slow``
per write key (``{namespace}:{ca:AC…:conversation:…}``): one hash tag each, so a script stays
in one Redis Cluster slot. Different accounts never share anything.

**Redis trouble.** If Redis cannot be reached the first time the limiter is used (or on
:meth:`RedisLimiter.check`), :class:`RedisUnavailableError` is raised, whatever the policy: a
misconfigured URL should not quietly run unshared. If Redis is lost later, ``on_redis_error``
decides: ``"fail"`` raises :class:`RedisUnavailableError` from the next ``slot()``;
``"fallback"`` warns loudly (a :class:`RedisFallbackWarning` and a log record) and continues
with an in-process limiter for the rest of this limiter's life. Returning a permit never raises:
if Redis is gone, the lease expires on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import warnings
from collections.abc import AsyncIterator, Awaitable
from types import TracebackType
from typing import Any, Final, Literal, Self

from ._checks import check_number
from ._limits import AdaptiveLimiter, Limiter, LimiterSettings, LimiterState, Slot, WriteKey
from ._limits_settings import settings_from
from ._redis_store import Lease, Lost, RedisClient, RedisStore
from ._sansio.rules import SID_PATTERNS, Text
from ._types import NOT_GIVEN, NotGiven
from .errors import ConversationsError, InvalidArgumentError

logger = logging.getLogger("conversations_async.redis_limiter")

DEFAULT_NAMESPACE: Final = "conversations_async"
OnRedisError = Literal["fail", "fallback"]


class RedisLimiterError(ConversationsError):
    """Base class of the errors raised by :class:`RedisLimiter`."""


class RedisUnavailableError(RedisLimiterError):
    """Redis could not be reached (at start, or later under ``on_redis_error="fail"``)."""


class RedisFallbackWarning(RuntimeWarning):
    """Redis was lost and the limiter now limits this process only."""


class _KeyGate:
    """The local FIFO of one write key: only its head polls Redis for a token."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class RedisLimiter:
    """The account-wide limiter for many processes, shared through Redis (see the module docs).

    ``redis`` is a ``redis.asyncio`` client (borrowed: never closed here) or a URL (the limiter
    builds its own client and closes it in :meth:`aclose`). ``account_sid`` names the Twilio
    account whose limits are shared; every worker of that account must use the same one (and the
    same ``namespace``).

    The limits are a :class:`~conversations_async.LimiterSettings`: pass ``settings=`` or its
    fields as keyword arguments (unset ones keep their defaults), not both. ``max_permits`` is
    the ceiling of requests in flight over *all* workers; ``writes_per_second=None`` turns write
    pacing off. :attr:`settings` gives the record back.

    ``lease_seconds`` bounds how long the permits of a crashed worker stay taken; a live worker
    renews its leases, so it may be shorter than a request. ``on_redis_error`` is ``"fail"`` or
    ``"fallback"`` (then ``fallback``, by default an :class:`~conversations_async.AdaptiveLimiter`
    with the very same settings, takes over).
    """

    def __init__(
        self,
        redis: RedisClient | str,
        *,
        account_sid: str,
        settings: LimiterSettings | None = None,
        max_permits: int | NotGiven = NOT_GIVEN,
        initial_permits: int | NotGiven | None = NOT_GIVEN,
        min_permits: int | NotGiven = NOT_GIVEN,
        grow_after: int | NotGiven = NOT_GIVEN,
        writes_per_second: float | NotGiven | None = NOT_GIVEN,
        write_burst: int | NotGiven = NOT_GIVEN,
        rate_margin: float | NotGiven = NOT_GIVEN,
        retry_after_cap: float | NotGiven = NOT_GIVEN,
        probe_interval: float | NotGiven = NOT_GIVEN,
        probe_interval_max: float | NotGiven = NOT_GIVEN,
        lease_seconds: float = 15.0,
        poll_interval: float = 0.02,
        on_redis_error: OnRedisError = "fail",
        fallback: Limiter | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        redis_timeout: float = 2.0,
    ) -> None:
        Text(pattern=SID_PATTERNS["AC"]).encode("account_sid", account_sid)
        self._settings: LimiterSettings = settings_from(settings, locals())
        check_number("lease_seconds", lease_seconds, minimum=0.1)
        check_number("poll_interval", poll_interval, exclusive=True)
        check_number("redis_timeout", redis_timeout, exclusive=True)
        if on_redis_error not in ("fail", "fallback"):
            raise InvalidArgumentError("on_redis_error", 'must be "fail" or "fallback"')
        if not isinstance(namespace, str) or not namespace or "{" in namespace or "}" in namespace:
            raise InvalidArgumentError("namespace", "must be non-empty, without braces")

        self.account_sid = account_sid
        self.on_redis_error: OnRedisError = on_redis_error
        self._store = RedisStore(
            redis,
            account_sid=account_sid,
            namespace=namespace,
            settings=self._settings,
            lease_seconds=lease_seconds,
            timeout=redis_timeout,
        )
        self._paced = self._settings.writes_per_second is not None
        self._poll = poll_interval
        self._fallback: Limiter = fallback or AdaptiveLimiter(settings=self._settings)

        self._loop: asyncio.AbstractEventLoop | None = None
        self._checked = False
        self._falling_back = False
        self._closed = False
        self._permit_gate: asyncio.Lock | None = None
        self._check_gate: asyncio.Lock | None = None
        self._released: asyncio.Event | None = None
        self._key_gates: dict[WriteKey, _KeyGate] = {}
        # This process's counters, and the last shared values Redis told it.
        self._in_flight = 0
        self._waiting = 0
        self._throttled = 0
        self._succeeded = 0
        self._wait_seconds = 0.0
        self._shared_permits = self._settings.start_permits
        self._shared_epoch = 0
        self._shared_ceiling: int | None = None
        self._pause_until = 0.0  # on time.monotonic()

    def __repr__(self) -> str:
        mode = "fallback" if self._falling_back else "shared"
        return f"<RedisLimiter {self.account_sid} via {self._store.where} {mode}>"

    @property
    def settings(self) -> LimiterSettings:
        """The validated settings this limiter (and its default fallback) was made with."""
        return self._settings

    @property
    def fallback(self) -> Limiter:
        """The in-process limiter that takes over under ``on_redis_error="fallback"``."""
        return self._fallback

    @property
    def falling_back(self) -> bool:
        """True once Redis was lost and the in-process fallback limiter took over."""
        return self._falling_back

    # -- lifecycle ---------------------------------------------------------------------------

    async def check(self) -> None:
        """Reach Redis now (``PING``); :class:`RedisUnavailableError` when it cannot be reached.

        Optional: the first ``slot()`` does the same check."""
        try:
            await self._store.ping()
        except Lost as lost:
            raise RedisUnavailableError(
                f"cannot reach Redis at {self._store.where} for the shared limiter ({lost})"
            ) from None
        self._checked = True

    async def aclose(self) -> None:
        """Stop renewing, and close the Redis client if this limiter built it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._store.aclose()

    async def __aenter__(self) -> Self:
        await self.check()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the Limiter protocol ----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(self, write_key: WriteKey | None) -> AsyncIterator[Slot]:
        self._bind()
        if not self._checked:
            # One PING for a crowd of first callers (redis-py refuses a 101st connection).
            assert self._check_gate is not None
            async with self._check_gate:
                if not self._checked:
                    await self.check()
        lease: Lease | None = None
        if not self._falling_back:
            started = time.monotonic()
            self._waiting += 1
            try:
                lease = await self._acquire(write_key)
            except Lost as lost:
                self._lost(lost)  # raises under "fail"
            finally:
                self._waiting -= 1
                self._wait_seconds += time.monotonic() - started
        if lease is None:
            async with self._fallback.slot(write_key) as fallback_slot:
                yield fallback_slot
            return
        self._in_flight += 1
        try:
            yield lease
        finally:
            self._in_flight -= 1
            if lease.outcome == "throttled":
                self._throttled += 1
            elif lease.outcome == "ok":
                self._succeeded += 1
            await self._release(lease)

    @property
    def state(self) -> LimiterState:
        """This process's counters with the last shared values seen (no I/O).

        Local to this process: ``in_flight``, ``waiting``, ``throttled``, ``succeeded``,
        ``wait_seconds``, ``write_keys`` (the keys it has callers queued on; the buckets are in
        Redis). Shared, as Redis last told it: ``permits``, ``halvings``, ``ceiling``,
        ``paused_for`` (:meth:`shared_state` asks Redis). Once falling back, the fallback's."""
        if self._falling_back:
            return self._fallback.state
        return LimiterState(
            permits=self._shared_permits,
            max_permits=self._settings.max_permits,
            in_flight=self._in_flight,
            throttled=self._throttled,
            wait_seconds=self._wait_seconds,
            paused_for=max(0.0, self._pause_until - time.monotonic()),
            waiting=self._waiting,
            succeeded=self._succeeded,
            halvings=self._shared_epoch,
            write_keys=len(self._key_gates),
            ceiling=self._shared_ceiling,
        )

    async def shared_state(self) -> LimiterState:
        """The account-wide state from Redis: permits held by every worker, 429s and successes
        of every worker. ``wait_seconds``, ``waiting`` and ``write_keys`` are this process's."""
        try:
            shared = await self._store.account()
        except Lost as lost:
            raise RedisUnavailableError(
                f"cannot reach Redis at {self._store.where} ({lost})"
            ) from None
        return LimiterState(
            permits=shared.permits,
            max_permits=self._settings.max_permits,
            in_flight=shared.held,
            throttled=shared.throttled,
            wait_seconds=self._wait_seconds,
            paused_for=shared.pause,
            waiting=self._waiting,
            succeeded=shared.succeeded,
            halvings=shared.epoch,
            write_keys=len(self._key_gates),
            ceiling=shared.ceiling,
        )

    # -- permits -----------------------------------------------------------------------------

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._permit_gate = asyncio.Lock()
            self._check_gate = asyncio.Lock()
            self._released = asyncio.Event()
        elif self._loop is not loop:
            raise RuntimeError("a RedisLimiter belongs to the event loop it was first used in")
        if self._closed:
            raise RedisLimiterError("this RedisLimiter is closed")

    async def _guarded(self, call: Awaitable[Any]) -> Any:
        """One Redis call within ``redis_timeout``, never losing a cancellation (see the store)."""
        return await self._store.guarded(call)

    async def _acquire(self, write_key: WriteKey | None) -> Lease:
        if write_key is None or not self._paced:
            return await self._acquire_permit()
        gate = self._key_gates.setdefault(write_key, _KeyGate())  # a Redis round trip dwarfs it
        gate.users += 1
        try:
            async with gate.lock:
                return await self._acquire_paced(write_key)
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self._key_gates[write_key]

    async def _acquire_paced(self, write_key: WriteKey) -> Lease:
        while True:
            lease = await self._acquire_permit()
            try:
                # Taken while the permit is held, right before sending: a slow permit can never
                # let two writes on one key leave closer together than one interval.
                early = await self._store.take_token(write_key)
            except BaseException:
                await self._release(lease)
                raise
            if early <= 0:
                lease.write_key = write_key
                return lease
            # Another worker took this token: give the permit back while waiting for the next.
            await self._release(lease)
            await asyncio.sleep(early)

    async def _acquire_permit(self) -> Lease:
        assert self._permit_gate is not None
        assert self._released is not None
        async with self._permit_gate:
            while True:
                # Cleared before asking, not after: a permit this process returns while the
                # answer is on its way must still wake the poller (else it sleeps a full poll).
                self._released.clear()
                grant = await self._store.acquire()
                self._note_shared(grant.permits, grant.epoch, grant.pause, self._shared_ceiling)
                if grant.lease is not None:
                    return grant.lease
                if grant.pause > 0:
                    await asyncio.sleep(grant.pause + random.uniform(0, self._poll))
                else:
                    poll = self._poll * random.uniform(0.5, 1.5)
                    # Less if this process returns a permit meanwhile.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(min(poll, max(grant.wait, 0.001))):
                            await self._released.wait()

    async def _release(self, lease: Lease) -> None:
        try:
            if lease.outcome == "aps" and lease.write_key is not None and self._paced:
                await self._store.slow_key(lease)
            shared = await self._store.release(lease, saturated=self._waiting > 0)
        except Lost as lost:
            # Never raise on the way out: the request's answer matters more, and the lease
            # expires by itself. The next slot() applies the policy.
            logger.warning("could not return a permit to Redis (%s); it expires on its own", lost)
            return
        finally:
            if self._released is not None:
                self._released.set()
        self._note_shared(shared.permits, shared.epoch, shared.pause, shared.ceiling)

    def _note_shared(self, permits: int, epoch: int, pause: float, ceiling: int | None) -> None:
        if epoch > self._shared_epoch:
            logger.info("429: the shared limiter is at %d permits (reduction %d)", permits, epoch)
        self._shared_permits = permits
        self._shared_epoch = epoch
        self._shared_ceiling = ceiling
        if pause > 0:
            until = time.monotonic() + pause
            if until > self._pause_until + 0.05:  # a new pause, not the same one seen again
                logger.info("429: every worker pauses %.2fs (shared Retry-After)", pause)
            self._pause_until = max(self._pause_until, until)

    # -- Redis lost --------------------------------------------------------------------------

    def _lost(self, lost: Lost) -> None:
        where = self._store.where
        if self.on_redis_error == "fail":
            raise RedisUnavailableError(
                f"lost the connection to Redis at {where} for the shared limiter ({lost})"
            ) from None
        self._falling_back = True
        message = (
            f"lost the connection to Redis at {where} ({lost}); the RedisLimiter of "
            f"{self.account_sid} now limits this process only, with {self._fallback!r}. "
            "Other workers are no longer counted: expect more 429s."
        )
        logger.warning(message)
        warnings.warn(message, RedisFallbackWarning, stacklevel=4)


__all__ = [
    "RedisFallbackWarning",
    "RedisLimiter",
    "RedisLimiterError",
    "RedisUnavailableError",
]
