"""The shared limiter's state in Redis: its keys, its leases, and one typed call per Lua script.

:class:`RedisStore` knows the key layout, the scripts' arguments and replies, how long a call may
take, and which leases its limiter holds (it renews them until they are returned);
:class:`~conversations_async.redis_limiter.RedisLimiter` decides when to call it. The scheme
(leases sharing one expiry, GCRA buckets, the keys) is described in that module's docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable
from typing import Any, Final

import attrs
import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript

from . import _redis_scripts as scripts
from ._limits_protocol import APS_CODES, WriteKey
from ._limits_settings import APS_MEMORY, APS_SLOWDOWN_MAX, APS_WINDOW, LimiterSettings

# The limiter's own logger: users configure one name for everything the shared limiter logs.
logger = logging.getLogger("conversations_async.redis_limiter")

RedisClient = aioredis.Redis | RedisCluster

# Redis errors that mean "the server is not there" rather than "the script is wrong".
_LOST: Final = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

_STATE_TTL_MS: Final = 86_400_000
"""How long the shared permits, pause and counters outlive the account's last report."""


class Lost(Exception):
    """A Redis call failed because the server could not be reached."""


class Lease:
    """A lease on one shared permit, and the slot handed out for it: the first report counts.

    It remembers what the estimate needs (the window it was granted in, how many leases were
    held with it) and, for a paced write, its key (for an APS 429)."""

    __slots__ = (
        "concurrent",
        "epoch",
        "lease_id",
        "outcome",
        "retry_after",
        "sent_with",
        "write_key",
    )

    def __init__(self, lease_id: str, epoch: int, sent_with: int) -> None:
        self.lease_id = lease_id
        self.epoch = epoch
        self.sent_with = sent_with
        self.write_key: WriteKey | None = None
        self.outcome = ""
        self.retry_after: float | None = None
        self.concurrent: int | None = None

    def succeeded(self, concurrent_requests: int | None = None) -> None:
        if not self.outcome:
            self.outcome = "ok"
            self.concurrent = concurrent_requests

    def throttled(
        self,
        retry_after: float | None,
        code: int | None = None,
        concurrent_requests: int | None = None,
    ) -> None:
        if not self.outcome:
            self.outcome = "aps" if code in APS_CODES else "throttled"
            self.retry_after = retry_after
            self.concurrent = concurrent_requests


@attrs.frozen
class Grant:
    """The reply to a request for a lease."""

    lease: Lease | None
    """The lease granted, or None."""
    wait: float
    """Seconds until a permit may be free (the rest of a pause, or the first lease's expiry)."""
    permits: int
    epoch: int
    pause: float
    """Seconds left of the shared pause (0 when none)."""


@attrs.frozen
class Shared:
    """The shared values a script reports back."""

    permits: int
    epoch: int
    pause: float
    ceiling: int | None


@attrs.frozen
class Account:
    """The account's shared state, as :meth:`RedisStore.account` reads it."""

    held: int
    permits: int
    epoch: int
    pause: float
    throttled: int
    succeeded: int
    ceiling: int | None


def describe(client: RedisClient) -> str:
    """``host:port/db`` of a client, never its password."""
    if isinstance(client, RedisCluster):
        return "a Redis Cluster"
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def _number(value: Any) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


def _ceiling(value: Any) -> int | None:
    # Scripts answer -1 (or nothing) before the first 429.
    if value is None or value is False:
        return None
    number = int(_number(value))
    return None if number < 0 else number


class RedisStore:
    """One limiter's view of its account in Redis (checked arguments only: no checks here)."""

    def __init__(
        self,
        redis: RedisClient | str,
        *,
        account_sid: str,
        namespace: str,
        settings: LimiterSettings,
        lease_seconds: float,
        timeout: float,
    ) -> None:
        if isinstance(redis, str):
            self.client: RedisClient = aioredis.Redis.from_url(
                redis,
                # No socket_timeout: redis-py would then send through asyncio.wait_for, which on
                # Python 3.11 can swallow a cancellation. Every call has our own timeout instead.
                socket_connect_timeout=timeout,
                # The limiter decides what a lost server means; the client should not retry.
                retry=Retry(NoBackoff(), 0),
            )
            self._owns_client = True
        else:
            self.client = redis
            self._owns_client = False
        self.where = describe(self.client)
        self._timeout = timeout
        self._settings = settings
        self.lease_ms = lease_seconds * 1000.0
        interval = settings.write_interval
        self._interval_ms = None if interval is None else interval * 1000.0
        self._tolerance_ms = (
            0.0 if self._interval_ms is None else (settings.write_burst - 1) * self._interval_ms
        )
        # A writer always takes its token a little late (a sleep's overshoot, two round trips).
        # Letting the schedule absorb that much keeps a busy key at full rate instead of drifting
        # by the lateness on every write. It is capped at half of what ``rate_margin`` leaves for
        # network jitter, so a rolling second still never holds more than ``writes_per_second``.
        self._catch_up_ms = (
            0.0
            if self._interval_ms is None
            else min(self._interval_ms / 4, 500.0 * (1 / settings.rate_margin - 1))
        )

        account_tag = f"ca:{account_sid}"
        self._bucket_prefix = f"{namespace}:{{{account_tag}:"
        self._account_keys = [
            f"{namespace}:{{{account_tag}}}:leases",
            f"{namespace}:{{{account_tag}}}:state",
        ]
        # One prefix per limiter (not per process): its leases are renewed, and expire, together.
        self._lease_prefix = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}:"

        self._leases: set[str] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

        register = self.client.register_script
        self._acquire_script: AsyncScript = register(scripts.ACQUIRE)
        self._release_script: AsyncScript = register(scripts.RELEASE)
        self._renew_script: AsyncScript = register(scripts.RENEW)
        self._take_token_script: AsyncScript = register(scripts.TAKE_TOKEN)
        self._slow_key_script: AsyncScript = register(scripts.SLOW_KEY)
        self._shared_script: AsyncScript = register(scripts.SHARED)

    async def aclose(self) -> None:
        """Stop renewing, and close the client if this store built it from a URL."""
        tasks = [*self._background, *([self._renewer] if self._renewer else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._owns_client:
            await self.client.aclose()

    async def guarded(self, call: Awaitable[Any]) -> Any:
        """Await one Redis call within the timeout, never losing a cancellation.

        A cancellation that lands inside the call must reach the caller. redis-py sends through
        ``asyncio.wait_for`` when its client has a ``socket_timeout`` (a borrowed client may), and
        on Python 3.11 ``wait_for`` swallows a cancellation that arrives as the write completes:
        the waiter then polled on forever after its ``asyncio.timeout`` had expired. A request
        still pending on this task after the call returned is re-raised here.
        """
        task = asyncio.current_task()
        requested = task.cancelling() if task is not None else 0
        try:
            async with asyncio.timeout(self._timeout):
                reply = await call
        except _LOST as exc:  # our own timeout's TimeoutError is an OSError too
            raise Lost(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
        if task is not None and task.cancelling() > requested:
            raise asyncio.CancelledError
        return reply

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        return await self.guarded(script(keys=keys, args=args))

    async def ping(self) -> None:
        await self.guarded(self.client.ping())

    async def acquire(self) -> Grant:
        """Take a lease on a shared permit if one is free and no pause holds the account.

        A granted lease is renewed until it is released; one granted to a call that was
        cancelled is returned in the background."""
        settings = self._settings
        lease_id = self._lease_prefix + uuid.uuid4().hex
        args = [lease_id, self.lease_ms, settings.max_permits, self._lease_prefix]
        try:
            granted, wait_ms, permits, epoch, pause_ms, held = await self._call(
                self._acquire_script,
                self._account_keys,
                # Any lease this limiter holds: a new one joins its expiry (_EXTEND_WORKER).
                [*args, settings.start_permits, next(iter(self._leases), "")],
            )
        except asyncio.CancelledError:
            # The lease may have been granted before the cancel landed: give it back.
            self._in_background(self._discard(lease_id))
            raise
        lease = None
        if granted:
            lease = Lease(lease_id, int(epoch), int(held))
            self._leases.add(lease_id)
            self._ensure_renewer()
        return Grant(
            lease=lease,
            wait=_number(wait_ms) / 1000.0,
            permits=int(permits),
            epoch=int(epoch),
            pause=_number(pause_ms) / 1000.0,
        )

    async def release(self, lease: Lease, *, saturated: bool) -> Shared:
        """Return a lease with its outcome; :class:`Lost` when Redis cannot be reached.

        ``saturated``: this limiter has callers waiting (only then may the estimate probe)."""
        # Forget the lease first, so nothing renews it even if the release below never lands.
        self._leases.discard(lease.lease_id)
        return await self._release_id(lease.lease_id, lease, saturated)

    async def _discard(self, lease_id: str) -> None:
        with contextlib.suppress(Lost):
            await self._release_id(lease_id, None, False)

    async def _release_id(self, lease_id: str, lease: Lease | None, saturated: bool) -> Shared:
        settings = self._settings
        outcome, epoch, sent_with, concurrent, pause = "", 0, 0, None, 0.0
        if lease is not None:
            outcome, epoch, sent_with, concurrent = (
                lease.outcome,
                lease.epoch,
                lease.sent_with,
                lease.concurrent,
            )
            if outcome == "throttled":
                # An actions-per-second 429 pauses its key only (slow_key), not the account.
                pause = min(max(lease.retry_after or 0.0, 0.0), settings.retry_after_cap)
        permits, new_epoch, pause_ms, ceiling = await self._call(
            self._release_script,
            self._account_keys,
            [
                lease_id,
                outcome,  # '' returns the lease without a report
                epoch,
                pause * 1000.0,
                settings.max_permits,
                settings.min_permits,
                settings.grow_after,
                max(_STATE_TTL_MS, self.lease_ms * 2),
                settings.start_permits,
                sent_with,
                "" if concurrent is None else concurrent,
                "1" if saturated else "0",
                settings.probe_interval * 1000.0,
                settings.probe_interval_max * 1000.0,
            ],
        )
        return Shared(
            permits=int(permits),
            epoch=int(new_epoch),
            pause=_number(pause_ms) / 1000.0,
            ceiling=_ceiling(ceiling),
        )

    def _in_background(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_leases())

    async def _renew_leases(self) -> None:
        """Extend the held leases, all to one expiry, every third of a lease while any is held."""
        period = self.lease_ms / 3000.0
        while self._leases:
            await asyncio.sleep(period)
            held = set(self._leases)
            if not held:
                return
            try:
                renewed = await self._call(
                    self._renew_script, self._account_keys[:1], [self.lease_ms, self._lease_prefix]
                )
            except Lost as lost:
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

    def _bucket_keys(self, write_key: WriteKey) -> list[str]:
        # The GCRA time and the slowdown of one key: one hash tag, so one Redis Cluster slot.
        tagged = f"{self._bucket_prefix}{write_key}}}"
        return [f"{tagged}:tat", f"{tagged}:slow"]

    async def take_token(self, write_key: WriteKey) -> float:
        """Take a write token of ``write_key``: 0 when taken, else the seconds until the next."""
        args = [self._interval_ms, self._tolerance_ms, self._catch_up_ms]
        early_ms = await self._call(self._take_token_script, self._bucket_keys(write_key), args)
        return _number(early_ms) / 1000.0

    async def slow_key(self, lease: Lease) -> None:
        """An actions-per-second 429 on ``lease``'s write: slow that key for every worker."""
        assert lease.write_key is not None
        assert self._interval_ms is not None
        retry_after = min(max(lease.retry_after or 0.0, 0.0), self._settings.retry_after_cap)
        args = [
            self._interval_ms,
            retry_after * 1000.0,
            APS_SLOWDOWN_MAX,
            APS_MEMORY * 1000.0,
            APS_WINDOW * 1000.0,
        ]
        await self._call(self._slow_key_script, self._bucket_keys(lease.write_key), args)

    async def account(self) -> Account:
        """The account-wide state: leases held by every worker, the shared permits and counts."""
        held, permits, epoch, pause_ms, throttled, succeeded, ceiling = await self._call(
            self._shared_script, self._account_keys, []
        )
        settings = self._settings
        return Account(
            held=int(held),
            # No state yet: the permits every worker starts from.
            permits=min(settings.max_permits, int(_number(permits)))
            if permits
            else settings.start_permits,
            epoch=int(epoch),
            pause=_number(pause_ms) / 1000.0,
            throttled=int(throttled),
            succeeded=int(succeeded),
            ceiling=_ceiling(ceiling),
        )
