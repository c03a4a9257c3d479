"""A limiter shared through Redis: many processes on many hosts, one Twilio account.

Twilio's limits belong to the account (requests in flight) and to each conversation and service
(30 writes per second), not to one process. Workers that each keep their own in-process limiter
overrun the account together. :class:`RedisLimiter` keeps the same :class:`~conversations_async.
_limits.Limiter` protocol as the in-process limiters, with its state in Redis::

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
one expiry: granting a lease extends the limiter's other leases to it, and the limiter renews them
together every ``lease_seconds / 3`` while it holds any, so a long request keeps its permit. A
process that dies stops renewing, and all its permits come back to the others at one instant,
``lease_seconds`` after its last grant or renewal.

**Adaptive, shared by every worker.** A 429 halves the shared ``permits`` (never below
``min_permits``), at most once per *window*: each lease remembers how many halvings had happened
when it was granted, and only a 429 on a lease granted after the latest halving halves again.
``grow_after`` successes in a row (counted over all workers) add one back, up to ``max_permits``.
A ``Retry-After`` is stored in Redis as a pause that holds every worker (capped at
``retry_after_cap``).

**Writes.** Each write key (:func:`~conversations_async._limits.conversation_write_key`,
:func:`~conversations_async._limits.service_write_key`) is a GCRA bucket in its own Redis key,
updated by a single-key script. A write token is taken only while holding a permit, right before
the request is sent, so waiting for a permit can never bunch writes up. Writes on one key are
spaced ``1 / (writes_per_second * rate_margin)`` apart over all workers (34.4 ms with the defaults),
so no rolling second holds more than 30.

**Waiting.** Inside one process, one caller at a time polls Redis for a permit (and one per write
key for its token); the others queue locally. The poller sleeps the time the script suggests (the
rest of a pause, the next token) or ``poll_interval`` with jitter, and is woken early when a permit
of its own process is returned. So each process sends Redis a few dozen small scripts per second
while it waits, however many coroutines wait. Permits are not handed out strictly first come,
first served across processes.

**Keys** are ``{namespace}:{ca:AC…}:leases`` and ``…:state`` for the account (one hash tag, so a
script touching both stays in one Redis Cluster slot) and ``{namespace}:{ca:AC…:conversation:…}:tat``
per write key (single-key scripts). Different accounts never share anything.

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
import math
import os
import random
import socket
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable
from types import TracebackType
from typing import Any, Final, Literal, Self

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript

from ._limits import AdaptiveLimiter, Limiter, LimiterState, Slot, WriteKey
from ._sansio.rules import SID_PATTERNS, Text
from .errors import ConversationsError, InvalidArgumentError

logger = logging.getLogger("conversations_async.redis_limiter")

DEFAULT_NAMESPACE: Final = "conversations_async"
RedisClient = aioredis.Redis | RedisCluster
OnRedisError = Literal["fail", "fallback"]

# Redis errors that mean "the server is not there" rather than "the script is wrong".
_LOST: Final = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisLimiterError(ConversationsError):
    """Base class of the errors raised by :class:`RedisLimiter`."""


class RedisUnavailableError(RedisLimiterError):
    """Redis could not be reached (at start, or later under ``on_redis_error="fail"``)."""


class RedisFallbackWarning(RuntimeWarning):
    """Redis was lost and the limiter now limits this process only."""


_NOW = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
"""

# Every lease of one worker carries the same expiry: granting one extends the worker's other
# leases to it, and a renewal moves them all together. So a worker that dies loses all its
# permits at one instant, lease_seconds after it last acquired or renewed, never one by one.
_EXTEND_WORKER = """
local function extend_worker(leases, prefix, expiry)
  local n = 0
  local members = redis.call('ZRANGE', leases, 0, -1)
  for i = 1, #members do
    if string.sub(members[i], 1, #prefix) == prefix then
      redis.call('ZADD', leases, expiry, members[i])
      n = n + 1
    end
  end
  return n
end
"""

# KEYS: leases, state.  ARGV: lease id, lease ms, max permits, worker prefix.
# -> {granted, wait ms, permits, epoch, pause ms}
_ACQUIRE = (
    _NOW
    + _EXTEND_WORKER
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until')
local max_permits = tonumber(ARGV[3])
local permits = math.min(tonumber(st[1]) or max_permits, max_permits)
local epoch = tonumber(st[2]) or 0
local pause = (tonumber(st[3]) or 0) - now
if pause > 0 then
  return {0, tostring(pause), permits, epoch, tostring(pause)}
end
if redis.call('ZCARD', KEYS[1]) < permits then
  local lease_ms = tonumber(ARGV[2])
  local expiry = now + lease_ms
  extend_worker(KEYS[1], ARGV[4], expiry)
  redis.call('ZADD', KEYS[1], expiry, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(lease_ms * 2))
  return {1, '0', permits, epoch, '0'}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(first[2]) - now), permits, epoch, '0'}
"""
)

# KEYS: leases, state.  ARGV: lease id, outcome (''|'ok'|'throttled'), epoch of the lease,
# retry-after ms, max permits, min permits, grow after, state ttl ms.
# -> {permits, epoch, pause ms}
_RELEASE = (
    _NOW
    + """
local now = now_ms()
redis.call('ZREM', KEYS[1], ARGV[1])
local max_permits = tonumber(ARGV[5])
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until')
local permits = tonumber(st[1]) or max_permits
local epoch = tonumber(st[2]) or 0
local pause_until = tonumber(st[3]) or 0
if ARGV[2] == 'ok' then
  redis.call('HINCRBY', KEYS[2], 'succeeded', 1)
  if redis.call('HINCRBY', KEYS[2], 'run', 1) >= tonumber(ARGV[7]) then
    redis.call('HSET', KEYS[2], 'run', 0)
    if permits < max_permits then
      permits = permits + 1
      redis.call('HSET', KEYS[2], 'permits', permits)
    end
  end
elseif ARGV[2] == 'throttled' then
  redis.call('HINCRBY', KEYS[2], 'throttled', 1)
  redis.call('HSET', KEYS[2], 'run', 0)
  if tonumber(ARGV[3]) == epoch then
    permits = math.max(tonumber(ARGV[6]), math.floor(permits / 2))
    epoch = epoch + 1
    redis.call('HSET', KEYS[2], 'permits', permits, 'epoch', epoch)
  end
  local retry_after = tonumber(ARGV[4])
  if retry_after > 0 and now + retry_after > pause_until then
    pause_until = now + retry_after
    redis.call('HSET', KEYS[2], 'pause_until', tostring(pause_until))
  end
end
if ARGV[2] ~= '' then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return {permits, epoch, tostring(math.max(0, pause_until - now))}
"""
)

# KEYS: leases.  ARGV: lease ms, worker prefix.  -> how many of the worker's leases were renewed
_RENEW = (
    _NOW
    + _EXTEND_WORKER
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local renewed = extend_worker(KEYS[1], ARGV[2], now + tonumber(ARGV[1]))
if renewed > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]) * 2))
end
return renewed
"""
)

# GCRA on one key. KEYS: bucket.  ARGV: interval ms, tolerance ms, catch-up ms.
# -> '0' when a token was taken, else the ms until the next one
_TAKE_TOKEN = (
    _NOW
    + """
local now = now_ms()
local interval = tonumber(ARGV[1])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now - tonumber(ARGV[3]))
local early = tat - tonumber(ARGV[2]) - now
if early > 0 then
  return tostring(early)
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return '0'
"""
)

# KEYS: leases, state. -> {held, permits, epoch, pause ms, throttled, succeeded}
_SHARED = (
    _NOW
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until', 'throttled', 'succeeded')
return {redis.call('ZCARD', KEYS[1]), st[1] or false, tonumber(st[2]) or 0,
        tostring(math.max(0, (tonumber(st[3]) or 0) - now)), tonumber(st[4]) or 0,
        tonumber(st[5]) or 0}
"""
)


class _Lost(Exception):
    """Internal: a Redis call failed because the server could not be reached."""


class _RedisSlot:
    """A lease on one shared permit; only the first report counts."""

    __slots__ = ("epoch", "lease_id", "outcome", "retry_after")

    def __init__(self, lease_id: str, epoch: int) -> None:
        self.lease_id = lease_id
        self.epoch = epoch
        self.outcome = ""
        self.retry_after: float | None = None

    def succeeded(self) -> None:
        if not self.outcome:
            self.outcome = "ok"

    def throttled(self, retry_after: float | None) -> None:
        if not self.outcome:
            self.outcome = "throttled"
            self.retry_after = retry_after


class _KeyGate:
    """The local FIFO of one write key: only its head polls Redis for a token."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def _describe(client: RedisClient) -> str:
    """``host:port/db`` of a client, never its password."""
    if isinstance(client, RedisCluster):
        return "a Redis Cluster"
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def _number(value: Any) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


class RedisLimiter:
    """The account-wide limiter for many processes, shared through Redis (see the module docs).

    ``redis`` is a ``redis.asyncio`` client (borrowed: never closed here) or a URL (the limiter
    builds its own client and closes it in :meth:`aclose`). ``account_sid`` names the Twilio
    account whose limits are shared; every worker of that account must use the same one (and the
    same ``namespace``). ``max_permits`` is the ceiling of requests in flight over *all* workers.

    ``lease_seconds`` bounds how long the permits of a crashed worker stay taken; a live worker
    renews its leases, so it may be shorter than a request. ``on_redis_error`` is ``"fail"`` or
    ``"fallback"`` (then ``fallback``, by default an in-process limiter with the same settings,
    takes over). ``writes_per_second=None`` turns write pacing off.
    """

    def __init__(
        self,
        redis: RedisClient | str,
        *,
        account_sid: str,
        max_permits: int = 50,
        min_permits: int = 1,
        grow_after: int = 10,
        writes_per_second: float | None = 30.0,
        write_burst: int = 1,
        rate_margin: float = 0.97,
        lease_seconds: float = 15.0,
        retry_after_cap: float = 60.0,
        poll_interval: float = 0.02,
        on_redis_error: OnRedisError = "fail",
        fallback: Limiter | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        redis_timeout: float = 2.0,
    ) -> None:
        Text(pattern=SID_PATTERNS["AC"]).encode("account_sid", account_sid)
        if not isinstance(max_permits, int) or max_permits < 1:
            raise InvalidArgumentError("max_permits", "must be a positive integer")
        if not isinstance(min_permits, int) or not 1 <= min_permits <= max_permits:
            raise InvalidArgumentError("min_permits", "must be between 1 and max_permits")
        if not isinstance(grow_after, int) or grow_after < 1:
            raise InvalidArgumentError("grow_after", "must be a positive integer")
        if writes_per_second is not None and not (
            math.isfinite(writes_per_second) and writes_per_second > 0
        ):
            raise InvalidArgumentError("writes_per_second", "must be a positive number or None")
        if not isinstance(write_burst, int) or write_burst < 1:
            raise InvalidArgumentError("write_burst", "must be a positive integer")
        if not 0 < rate_margin <= 1:
            raise InvalidArgumentError("rate_margin", "must be in (0, 1]")
        if not (math.isfinite(lease_seconds) and lease_seconds >= 0.1):
            raise InvalidArgumentError("lease_seconds", "must be at least 0.1")
        if not retry_after_cap >= 0:
            raise InvalidArgumentError("retry_after_cap", "must not be negative")
        if not poll_interval > 0:
            raise InvalidArgumentError("poll_interval", "must be positive")
        if not (math.isfinite(redis_timeout) and redis_timeout > 0):
            raise InvalidArgumentError("redis_timeout", "must be a positive number of seconds")
        if on_redis_error not in ("fail", "fallback"):
            raise InvalidArgumentError("on_redis_error", 'must be "fail" or "fallback"')
        if not namespace or "{" in namespace or "}" in namespace:
            raise InvalidArgumentError("namespace", "must be non-empty, without braces")

        if isinstance(redis, str):
            self._redis: RedisClient = aioredis.Redis.from_url(
                redis,
                # No socket_timeout: redis-py would then send through asyncio.wait_for, which on
                # Python 3.11 can swallow a cancellation. Every call has our own timeout instead.
                socket_connect_timeout=redis_timeout,
                # The limiter decides what a lost server means; the client should not retry.
                retry=Retry(NoBackoff(), 0),
            )
            self._owns_redis = True
        else:
            self._redis = redis
            self._owns_redis = False
        self.account_sid = account_sid
        self.on_redis_error: OnRedisError = on_redis_error
        self._max = max_permits
        self._min = min_permits
        self._grow_after = grow_after
        self._interval_ms: float | None = (
            None if writes_per_second is None else 1000.0 / (writes_per_second * rate_margin)
        )
        self._tolerance_ms = (
            0.0 if self._interval_ms is None else (write_burst - 1) * self._interval_ms
        )
        # A writer always takes its token a little late (a sleep's overshoot, two round trips).
        # Letting the schedule absorb that much keeps a busy key at full rate instead of drifting
        # by the lateness on every write. It is capped at half of what ``rate_margin`` leaves for
        # network jitter, so a rolling second still never holds more than ``writes_per_second``.
        self._catch_up_ms = (
            0.0
            if self._interval_ms is None
            else min(self._interval_ms / 4, 500.0 * (1 / rate_margin - 1))
        )
        self._lease_ms = lease_seconds * 1000.0
        self._retry_after_cap = retry_after_cap
        self._poll = poll_interval
        self._fallback: Limiter = fallback or AdaptiveLimiter(
            max_permits=max_permits, writes_per_second=writes_per_second
        )

        account_tag = f"ca:{account_sid}"
        self._prefix = namespace
        self._account_tag = account_tag
        self._leases_key = f"{namespace}:{{{account_tag}}}:leases"
        self._state_key = f"{namespace}:{{{account_tag}}}:state"
        # One prefix per limiter (not per process): its leases are renewed, and expire, together.
        self._lease_prefix = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}:"
        self._redis_timeout = redis_timeout

        self._acquire_script: AsyncScript = self._redis.register_script(_ACQUIRE)
        self._release_script: AsyncScript = self._redis.register_script(_RELEASE)
        self._renew_script: AsyncScript = self._redis.register_script(_RENEW)
        self._token_script: AsyncScript = self._redis.register_script(_TAKE_TOKEN)
        self._shared_script: AsyncScript = self._redis.register_script(_SHARED)

        self._loop: asyncio.AbstractEventLoop | None = None
        self._checked = False
        self._falling_back = False
        self._closed = False
        self._permit_gate: asyncio.Lock | None = None
        self._released: asyncio.Event | None = None
        self._key_gates: dict[WriteKey, _KeyGate] = {}
        self._leases: set[str] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        # Local counters and the last shared values Redis told us about.
        self._in_flight = 0
        self._throttled = 0
        self._wait_seconds = 0.0
        self._shared_permits = max_permits
        self._pause_until = 0.0  # on time.monotonic()

    def __repr__(self) -> str:
        mode = "fallback" if self._falling_back else "shared"
        return f"<RedisLimiter {self.account_sid} via {_describe(self._redis)} {mode}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def check(self) -> None:
        """Reach Redis now (``PING``); :class:`RedisUnavailableError` when it cannot be reached.

        Optional: the first ``slot()`` does the same check."""
        try:
            await self._guarded(self._redis.ping())
        except _Lost as lost:
            raise RedisUnavailableError(
                f"cannot reach Redis at {_describe(self._redis)} for the shared limiter ({lost})"
            ) from None
        self._checked = True

    async def aclose(self) -> None:
        """Stop renewing, and close the Redis client if this limiter built it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        tasks = [*self._background, *([self._renewer] if self._renewer else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._owns_redis:
            await self._redis.aclose()

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

    @property
    def falling_back(self) -> bool:
        """True once Redis was lost and the in-process fallback limiter took over."""
        return self._falling_back

    # -- the Limiter protocol ----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(self, write_key: WriteKey | None) -> AsyncIterator[Slot]:
        self._bind()
        if not self._checked:
            await self.check()
        lease: _RedisSlot | None = None
        if not self._falling_back:
            started = time.monotonic()
            try:
                lease = await self._acquire(write_key)
            except _Lost as lost:
                self._lost(lost)  # raises under "fail"
            finally:
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
            await self._release(lease)

    @property
    def state(self) -> LimiterState:
        """This process's counters with the last shared values seen (no I/O).

        ``in_flight`` and ``throttled`` count this process only; :meth:`shared_state` asks Redis
        for the account-wide numbers."""
        if self._falling_back:
            return self._fallback.state
        return LimiterState(
            permits=self._shared_permits,
            max_permits=self._max,
            in_flight=self._in_flight,
            throttled=self._throttled,
            wait_seconds=self._wait_seconds,
            paused_for=max(0.0, self._pause_until - time.monotonic()),
        )

    async def shared_state(self) -> LimiterState:
        """The account-wide state from Redis: permits held by every worker, 429s of every worker."""
        try:
            reply = await self._call(self._shared_script, [self._leases_key, self._state_key], [])
        except _Lost as lost:
            raise RedisUnavailableError(
                f"cannot reach Redis at {_describe(self._redis)} ({lost})"
            ) from None
        held, permits, _epoch, pause, throttled, _succeeded = reply
        return LimiterState(
            permits=min(self._max, int(_number(permits))) if permits else self._max,
            max_permits=self._max,
            in_flight=int(held),
            throttled=int(throttled),
            wait_seconds=self._wait_seconds,
            paused_for=_number(pause) / 1000.0,
        )

    # -- permits -----------------------------------------------------------------------------

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._permit_gate = asyncio.Lock()
            self._released = asyncio.Event()
        elif self._loop is not loop:
            raise RuntimeError("a RedisLimiter belongs to the event loop it was first used in")
        if self._closed:
            raise RedisLimiterError("this RedisLimiter is closed")

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        return await self._guarded(script(keys=keys, args=args))

    async def _guarded(self, call: Awaitable[Any]) -> Any:
        """Await one Redis call within ``redis_timeout``, never losing a cancellation.

        A cancellation that lands inside the call must reach the caller. redis-py sends through
        ``asyncio.wait_for`` when its client has a ``socket_timeout`` (a borrowed client may), and
        on Python 3.11 ``wait_for`` swallows a cancellation that arrives as the write completes:
        the waiter then polled on forever after its ``asyncio.timeout`` had expired. A request
        still pending on this task after the call returned is re-raised here.
        """
        task = asyncio.current_task()
        requested = task.cancelling() if task is not None else 0
        try:
            async with asyncio.timeout(self._redis_timeout):
                reply = await call
        except _LOST as exc:  # our own timeout's TimeoutError is an OSError too
            raise _Lost(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None
        if task is not None and task.cancelling() > requested:
            raise asyncio.CancelledError
        return reply

    async def _acquire(self, write_key: WriteKey | None) -> _RedisSlot:
        if write_key is None or self._interval_ms is None:
            return await self._acquire_permit()
        gate = self._key_gates.get(write_key)
        if gate is None:
            gate = self._key_gates[write_key] = _KeyGate()
        gate.users += 1
        try:
            async with gate.lock:
                return await self._acquire_paced(write_key)
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self._key_gates[write_key]

    async def _acquire_paced(self, write_key: WriteKey) -> _RedisSlot:
        bucket = f"{self._prefix}:{{{self._account_tag}:{write_key}}}:tat"
        while True:
            lease = await self._acquire_permit()
            try:
                # Taken while the permit is held, right before sending: a slow permit can never
                # let two writes on one key leave closer together than one interval.
                early_ms = _number(
                    await self._call(
                        self._token_script,
                        [bucket],
                        [self._interval_ms, self._tolerance_ms, self._catch_up_ms],
                    )
                )
            except BaseException:
                await self._release(lease)
                raise
            if early_ms <= 0:
                return lease
            # Another worker took this token: give the permit back while waiting for the next.
            await self._release(lease)
            await asyncio.sleep(early_ms / 1000.0)

    async def _acquire_permit(self) -> _RedisSlot:
        assert self._permit_gate is not None
        async with self._permit_gate:
            while True:
                lease_id = self._lease_prefix + uuid.uuid4().hex
                try:
                    reply = await self._call(
                        self._acquire_script,
                        [self._leases_key, self._state_key],
                        [lease_id, self._lease_ms, self._max, self._lease_prefix],
                    )
                except asyncio.CancelledError:
                    # The lease may have been granted before the cancel landed: give it back.
                    self._in_background(self._discard(lease_id))
                    raise
                granted, wait_ms, permits, epoch, pause_ms = reply
                self._note_shared(permits, _number(pause_ms))
                if granted:
                    self._leases.add(lease_id)
                    self._ensure_renewer()
                    return _RedisSlot(lease_id, int(epoch))
                pause = _number(pause_ms) / 1000.0
                if pause > 0:
                    await asyncio.sleep(pause + random.uniform(0, self._poll))
                else:
                    poll = self._poll * random.uniform(0.5, 1.5)
                    await self._sleep_or_wake(min(poll, max(_number(wait_ms) / 1000.0, 0.001)))

    async def _sleep_or_wake(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less if this process returns a permit meanwhile."""
        assert self._released is not None
        self._released.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._released.wait()

    async def _release(self, lease: _RedisSlot) -> None:
        # Forget the lease first, so nothing renews it even if the release below never lands.
        self._leases.discard(lease.lease_id)
        retry_after = lease.retry_after or 0.0
        retry_after_ms = min(max(retry_after, 0.0), self._retry_after_cap) * 1000.0
        try:
            reply = await self._call(
                self._release_script,
                [self._leases_key, self._state_key],
                [
                    lease.lease_id,
                    lease.outcome,
                    lease.epoch,
                    retry_after_ms,
                    self._max,
                    self._min,
                    self._grow_after,
                    max(86_400_000, self._lease_ms * 2),
                ],
            )
        except _Lost as lost:
            # Never raise on the way out: the request's answer matters more, and the lease
            # expires by itself. The next slot() applies the policy.
            logger.warning("could not return a permit to Redis (%s); it expires on its own", lost)
            return
        finally:
            if self._released is not None:
                self._released.set()
        permits, _epoch, pause_ms = reply
        self._note_shared(permits, _number(pause_ms))

    async def _discard(self, lease_id: str) -> None:
        with contextlib.suppress(_Lost):
            await self._call(
                self._release_script,
                [self._leases_key, self._state_key],
                [lease_id, "", 0, 0, self._max, self._min, self._grow_after, 0],
            )

    def _note_shared(self, permits: Any, pause_ms: float) -> None:
        self._shared_permits = int(permits)
        if pause_ms > 0:
            self._pause_until = max(self._pause_until, time.monotonic() + pause_ms / 1000.0)

    def _in_background(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- leases ------------------------------------------------------------------------------

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_leases())

    async def _renew_leases(self) -> None:
        """Extend this limiter's leases, all to one expiry, every third of a lease while it holds any."""
        period = self._lease_ms / 3000.0
        while self._leases:
            await asyncio.sleep(period)
            held = set(self._leases)
            if not held:
                return
            try:
                renewed = await self._call(
                    self._renew_script, [self._leases_key], [self._lease_ms, self._lease_prefix]
                )
            except _Lost as lost:
                logger.warning("could not renew permits in Redis (%s)", lost)
                continue
            # A lease is held here only once Redis granted it, and forgotten here before it is
            # returned there: so fewer renewed than still held means some expired (the event
            # loop stalled for a whole lease).
            lapsed = len(held & self._leases) - int(renewed)
            if lapsed > 0:
                logger.warning(
                    "%d permit lease(s) expired before renewal; raise lease_seconds", lapsed
                )

    # -- Redis lost --------------------------------------------------------------------------

    def _lost(self, lost: _Lost) -> None:
        where = _describe(self._redis)
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
