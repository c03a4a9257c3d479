"""The write budget of one key (a conversation or a service) in the in-process limiter.

A GCRA bucket: one "theoretical arrival time" per key, the FIFO of the key's writers, and the
slowdown an actions-per-second 429 (code 50063 / 50074) puts on that key alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque

import attrs

from ._limits_settings import APS_MEMORY, APS_SLOWDOWN_MAX, APS_WINDOW


@attrs.define
class Bucket:
    """The write budget of one key, kept as a GCRA "theoretical arrival time"."""

    tat: float
    """When the next write is due; a bucket whose ``tat`` has passed is full (same as a new one)."""
    waiters: deque[asyncio.Future[None]] = attrs.field(factory=deque)
    """Callers queued on this key, FIFO; ``waiters[0]`` is the only one that may take a token."""
    slowdown: int = 1
    """How many times the normal spacing writes on this key are kept apart (after an
    actions-per-second 429), until ``slowed_until``."""
    slowed_at: float = -math.inf
    """When the latest slowdown began."""
    slowed_until: float = -math.inf

    def spacing(self, interval: float, now: float) -> float:
        """The gap to leave after a write sent ``now``: ``interval``, times any slowdown."""
        if self.slowdown > 1:
            if now < self.slowed_until:
                return interval * self.slowdown
            self.slowdown = 1
        return interval

    def slow_down(self, interval: float, now: float, retry_after: float | None) -> None:
        """A write was refused for too many actions per second.

        Doubles the slowdown (at most once per ``APS_WINDOW``: refusals within a second answer
        the same burst), keeps it for ``APS_MEMORY`` seconds after the latest refusal, and holds
        the next write a whole (slowed) spacing or ``retry_after``."""
        if now >= self.slowed_at + APS_WINDOW:
            if now >= self.slowed_until:
                self.slowdown = 1
            self.slowdown = min(2 * self.slowdown, APS_SLOWDOWN_MAX)
            self.slowed_at = now
        self.slowed_until = now + APS_MEMORY
        hold = interval * self.slowdown
        if retry_after is not None and retry_after > hold:
            hold = retry_after
        self.tat = max(self.tat, now + hold)

    def idle(self, now: float) -> bool:
        """Full, unused and not slowed down: a new bucket would behave the same."""
        return not self.waiters and self.tat <= now and self.slowed_until <= now

    def leave(self, fut: asyncio.Future[None]) -> None:
        """``fut``'s writer leaves the queue; a head that leaves hands the turn on."""
        waiters = self.waiters
        if waiters and waiters[0] is fut:
            waiters.popleft()
            # A cancelled new head is still in the queue and hands the turn on when it leaves.
            if waiters and not waiters[0].done():
                waiters[0].set_result(None)
        else:
            with contextlib.suppress(ValueError):
                waiters.remove(fut)
