"""The in-process limiters: the adaptive default and a plain semaphore.

The protocol they implement (:class:`Limiter`, :class:`Slot`, :class:`LimiterState`) and the write
keys are in ``_limits_protocol``, their settings in ``_limits_settings``, the estimate of the
account's cap in ``_limits_estimator``, a key's write budget in ``_limits_buckets`` and the plain
semaphore in ``_limits_semaphore``; every public name is importable from here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from ._checks import check_number
from ._limits_buckets import Bucket
from ._limits_estimator import CapEstimator
from ._limits_protocol import APS_CODES
from ._limits_protocol import DEFAULT_SERVICE_KEY as DEFAULT_SERVICE_KEY
from ._limits_protocol import Limiter as Limiter
from ._limits_protocol import LimiterState as LimiterState
from ._limits_protocol import Slot as Slot
from ._limits_protocol import WriteKey as WriteKey
from ._limits_protocol import conversation_write_key as conversation_write_key
from ._limits_protocol import service_write_key as service_write_key
from ._limits_semaphore import ConcurrencyLimiter as ConcurrencyLimiter
from ._limits_settings import LimiterSettings as LimiterSettings
from ._limits_settings import settings_from
from ._types import NOT_GIVEN, NotGiven
from .errors import InvalidArgumentError, SessionLoopError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

_Bucket = Bucket  # the name the tests (and older code) use

logger = logging.getLogger("conversations_async.limits")

_NEVER = -math.inf
"""``_pause_until`` before any pause."""

_TIMER_SLACK = 0.002
"""Seconds a paced write may start late and still keep its key on schedule."""


class _AdaptiveSlot(AbstractAsyncContextManager[Slot]):
    """``async with limiter.slot(key)``, and the slot it gives; only the first report counts.

    One object for both, made around every request: its common case costs a few attribute
    writes. It remembers what the estimate needs: the window it was granted in (``epoch``) and
    how many were in flight with it (``sent_with``); and its write key, for an APS 429."""

    __slots__ = ("_epoch", "_limiter", "_reported", "_sent_with", "_write_key")

    def __init__(self, limiter: AdaptiveLimiter, write_key: WriteKey | None) -> None:
        self._limiter = limiter
        self._write_key = write_key
        self._reported = False

    async def __aenter__(self) -> Slot:
        limiter = self._limiter
        key = self._write_key
        if not limiter._try_enter_now(key):
            # Waited for here rather than in a coroutine of its own (most of a burst waits: one
            # frame fewer to make, resume and traverse). A cancel while waiting leaves nothing
            # held: each acquire undoes its own waiting.
            loop = limiter._bind()
            start = limiter._now()
            limiter._waiting += 1
            try:
                if key is not None and limiter._interval is not None:
                    await limiter._acquire_paced(loop, key)
                else:
                    await limiter._acquire_permit(loop)
            finally:
                limiter._waiting -= 1
                limiter._wait_seconds += limiter._now() - start
        self._epoch = limiter._estimator.epoch
        self._sent_with = limiter._in_flight
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._limiter._release_permit()

    def succeeded(self, concurrent_requests: int | None = None) -> None:
        if not self._reported:
            self._reported = True
            self._limiter._on_success(self._sent_with, concurrent_requests)

    def throttled(
        self,
        retry_after: float | None,
        code: int | None = None,
        concurrent_requests: int | None = None,
    ) -> None:
        if not self._reported:
            self._reported = True
            limiter = self._limiter
            if code in APS_CODES:
                limiter._on_write_throttled(self._write_key, retry_after)
            else:
                limiter._on_throttled(self._epoch, retry_after, concurrent_requests)


class AdaptiveLimiter:
    """The default limiter: an adaptive account-wide semaphore plus per-key write pacing.

    **Concurrency.** At most ``permits`` requests are in flight, and ``permits`` follows an
    estimate of the account's cap (``_limits_estimator``): it starts at ``start_permits`` and
    grows by one per ``grow_after`` successes until the first 429; a 429 sets it to one less
    than what was in flight when the 429 came back (never below ``min_permits``), once per
    window of requests in flight together; while callers wait, it probes above the estimate
    every ``probe_interval`` to ``probe_interval_max`` seconds, in case the cap rose. The
    ``Twilio-Concurrent-Requests`` header, when the server sends it, takes permits off while
    other clients of the account hold more than they did at the latest 429. A 429 with no more
    than ``min_permits`` in flight while callers wait (the account is full with others'
    requests) holds them until the next probe. When ``permits`` drops below the number in
    flight, new callers wait until enough of those have finished.

    **Retry-After.** ``throttled(retry_after)`` holds every caller that has not been granted a
    permit yet until the pause ends (at most ``retry_after_cap`` seconds from now). The Session
    passes the wait its retry policy will take for that request, so the pause never outlasts
    the policy's ``retry_after_cap`` or deadline.

    **Writes.** ``slot(write_key)`` first waits, without holding a permit, for that key's turn:
    writes on one key are granted FIFO and spaced ``1 / (writes_per_second * rate_margin)``
    seconds apart (after an initial burst of ``write_burst``). The write is counted at the moment
    its permit is granted, so queueing for a permit can never bunch writes up. With the defaults
    (30/s, margin 0.97, burst 1) writes are 34.4 ms apart: any 1-second window holds at most 30
    of them, and the 3% margin absorbs about 30 ms of network jitter across a window. In general
    a window of one second holds at most ``floor(writes_per_second * rate_margin) + write_burst``
    writes. ``writes_per_second=None`` turns write pacing off.

    **Actions per second.** A 429 with code 50063 or 50074 (too many writes on one conversation
    or service) slows that key only: its spacing doubles (up to 8 times the normal one, at most
    once a second) for 10 seconds after its last such 429, its next write waits a whole spacing
    (or the ``Retry-After``), and the account's permits are left as they are.

    Buckets are dropped once they are full and unused (they then carry no state), in a sweep
    run at most once per ``key_sweep_interval`` seconds, so writing to 100,000 conversations does
    not keep 100,000 buckets.

    **Settings.** The numbers above are a :class:`LimiterSettings`: pass ``settings=`` or its
    fields as keyword arguments (unset ones keep their defaults), not both. :attr:`settings`
    gives the record back.

    The limiter may be made outside a running loop; its futures belong to the loop that first
    uses it, and it must not be shared between loops. ``clock`` (default: the loop's
    ``time``) and ``sleep`` (default :func:`asyncio.sleep`) can be injected for tests.
    """

    def __init__(
        self,
        *,
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
        key_sweep_interval: float = 10.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        # Each check raises InvalidArgumentError (a ValueError) naming the argument.
        self._settings: LimiterSettings = settings_from(settings, locals())
        check_number("key_sweep_interval", key_sweep_interval, exclusive=True)
        for name, hook in (("clock", clock), ("sleep", sleep)):
            if hook is not None and not callable(hook):
                raise InvalidArgumentError(name, f"must be callable, not {type(hook).__name__}")

        chosen = self._settings
        self._max = chosen.max_permits
        self._estimator = CapEstimator(chosen)
        self._interval = chosen.write_interval
        self._tolerance = (
            0.0 if self._interval is None else (chosen.write_burst - 1) * self._interval
        )
        self._retry_after_cap = chosen.retry_after_cap
        self._sweep_interval = key_sweep_interval
        self._clock = clock
        self._sleep: Callable[[float], Awaitable[object]] = sleep or asyncio.sleep

        self._loop: asyncio.AbstractEventLoop | None = None
        # Permit waiters, FIFO. A future's result is True when a permit was handed to it
        # (in_flight already counts it) and False when a pause began and it must queue again.
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._buckets: dict[WriteKey, _Bucket] = {}
        self._next_sweep = -math.inf
        self._in_flight = 0
        self._waiting = 0
        self._pause_until = _NEVER
        self._throttled = 0
        self._succeeded = 0
        self._wait_seconds = 0.0

    @property
    def settings(self) -> LimiterSettings:
        """The validated settings this limiter was made with."""
        return self._settings

    @property
    def write_interval(self) -> float | None:
        """Seconds between two writes on one key (``None`` when write pacing is off)."""
        return self._interval

    def slot(self, write_key: WriteKey | None) -> AbstractAsyncContextManager[Slot]:
        return _AdaptiveSlot(self, write_key)

    def _try_enter_now(self, write_key: WriteKey | None) -> bool:
        """Take a permit at once if nothing stands in the way: no pacing for this request, no
        pause, nobody queued, a permit free. The common case, so it takes no await."""
        if write_key is not None and self._interval is not None:
            return False
        if asyncio.get_running_loop() is not self._loop:
            self._bind()  # the first use, or another loop (which it refuses)
        if (
            self._waiters
            or self._in_flight >= self._estimator.permits
            # Never paused (the usual case): no need to read the clock.
            or (self._pause_until != _NEVER and self._pause_until > self._now())
        ):
            return False
        self._in_flight += 1
        return True

    @property
    def state(self) -> LimiterState:
        estimator = self._estimator
        return LimiterState(
            permits=estimator.permits,
            max_permits=self._max,
            in_flight=self._in_flight,
            throttled=self._throttled,
            wait_seconds=self._wait_seconds,
            paused_for=self._paused_for(),
            waiting=self._waiting,
            succeeded=self._succeeded,
            halvings=estimator.epoch,
            write_keys=len(self._buckets),
            ceiling=estimator.ceiling,
        )

    # -- time and loop -------------------------------------------------------------------------

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            if self._clock is None:
                self._clock = loop.time
        elif self._loop is not loop:
            raise SessionLoopError("this AdaptiveLimiter is already used by another event loop")
        return loop

    def _now(self) -> float:
        # Before the first slot() nothing can be paused or paced, so any clock will do.
        return self._clock() if self._clock is not None else 0.0

    def _paused_for(self) -> float:
        if self._pause_until == _NEVER:
            return 0.0  # never paused: no need to read the clock
        return max(0.0, self._pause_until - self._now())

    # -- permits ---------------------------------------------------------------------------------

    async def _acquire_permit(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            pause = self._paused_for()
            if pause > 0:
                # Nothing is held or queued while sleeping, so a cancel here has nothing to undo.
                await self._sleep(pause)
                continue
            if not self._waiters and self._in_flight < self._estimator.permits:
                self._in_flight += 1
                return
            fut: asyncio.Future[bool] = loop.create_future()
            self._waiters.append(fut)
            try:
                granted = await fut
            except BaseException:
                if fut.done() and not fut.cancelled() and fut.result():
                    # A permit was handed over just before the cancel landed: pass it on.
                    self._release_permit()
                else:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(fut)
                    # The head may have left while permits were free; let the next one in.
                    self._wake()
                raise
            if not granted:
                continue
            if self._paused_for() > 0:
                # Granted just before a pause began: nobody is sent during a pause.
                self._release_permit()
                continue
            return

    def _release_permit(self) -> None:
        self._in_flight -= 1
        if self._waiters:
            self._wake()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._estimator.permits:
            fut = self._waiters.popleft()
            if not fut.done():  # a cancelled waiter cleans up after itself
                self._in_flight += 1
                fut.set_result(True)

    def _requeue_all(self) -> None:
        # A pause began: queued callers go and sleep it out now, rather than each being granted a
        # permit during the pause only to hand it back.
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(False)

    # -- write pacing ----------------------------------------------------------------------------

    async def _acquire_paced(self, loop: asyncio.AbstractEventLoop, key: WriteKey) -> None:
        now = self._now()
        self._sweep(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tat=now)
        assert self._interval is not None
        fut: asyncio.Future[None] = loop.create_future()
        bucket.waiters.append(fut)
        try:
            if bucket.waiters[0] is not fut:
                await fut  # resolved when this caller reaches the head of the key's queue
            while (early := bucket.tat - self._tolerance - self._now()) > 0:
                await self._sleep(early)
            # Only the head takes a permit, so the key's other writers hold none meanwhile.
            await self._acquire_permit(loop)
            # The token is spent when the permit is granted, not when the turn came: however
            # long the permit took, the next write is due one interval after this one.
            # Timer lateness (epoll rounds timeouts up to whole milliseconds) is not counted:
            # added up over a long run it cost ~3% of the rate. A 1-second window then spans
            # at most 1 s + _TIMER_SLACK of schedule, which the rate margin covers.
            now = self._now()
            on_time = now - bucket.tat <= _TIMER_SLACK
            bucket.tat = (bucket.tat if on_time else now) + bucket.spacing(self._interval, now)
        finally:
            self._leave_bucket(bucket, fut)

    @staticmethod
    def _leave_bucket(bucket: _Bucket, fut: asyncio.Future[None]) -> None:
        bucket.leave(fut)

    def _sweep(self, now: float) -> None:
        # A full, unused bucket holds no information (a new one would behave the same), so it
        # can go. Sweeping at most once per interval keeps the cost amortised O(1) per write.
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_interval
        idle = [key for key, b in self._buckets.items() if b.idle(now)]
        for key in idle:
            del self._buckets[key]

    # -- feedback --------------------------------------------------------------------------------

    def _on_success(self, sent_with: int, concurrent: int | None) -> None:
        self._succeeded += 1
        estimator = self._estimator
        before = estimator.permits
        # The clock is read only past slow start (before the first 429 nothing is timed).
        now = 0.0 if estimator.ceiling is None else self._now()
        estimator.succeeded(now, sent_with, self._in_flight, concurrent, bool(self._waiters))
        if estimator.permits > before:
            self._wake()

    def _on_throttled(self, epoch: int, retry_after: float | None, concurrent: int | None) -> None:
        self._throttled += 1
        estimator = self._estimator
        before = estimator.permits
        now = self._now()
        starved_until = estimator.throttled(
            now, self._in_flight, concurrent, epoch, bool(self._waiters)
        )
        if estimator.permits > before:
            self._wake()  # the header showed another client gone
        elif estimator.permits < before:
            logger.info("429: limiter down to %d permits", estimator.permits)
        if starved_until is not None:
            self._hold(starved_until)
        self._pause(retry_after)

    def _on_write_throttled(self, key: WriteKey | None, retry_after: float | None) -> None:
        """Too many actions per second on ``key``: slow that key, not the account."""
        self._throttled += 1
        if key is None or self._interval is None:
            return  # not a paced write: there is no key budget to slow
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tat=now)
        if retry_after is not None:
            retry_after = min(retry_after, self._retry_after_cap)
        bucket.slow_down(self._interval, now, retry_after)

    def _pause(self, retry_after: float | None) -> None:
        if retry_after is not None and retry_after > 0 and self._retry_after_cap > 0:
            self._hold(self._now() + min(retry_after, self._retry_after_cap))

    def _hold(self, until: float) -> None:
        if until > self._pause_until:
            self._pause_until = until
            self._requeue_all()
            logger.info("429: every request pauses %.2fs", until - self._now())
