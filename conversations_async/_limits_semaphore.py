"""The plain limiter: :class:`ConcurrencyLimiter`, a semaphore with nothing adaptive."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from ._checks import check_int
from ._limits_protocol import LimiterState, Slot, WriteKey
from .errors import SessionLoopError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class _NullSlot:
    def succeeded(self, concurrent_requests: int | None = None) -> None:
        pass

    def throttled(
        self,
        retry_after: float | None,
        code: int | None = None,
        concurrent_requests: int | None = None,
    ) -> None:
        pass


class ConcurrencyLimiter:
    """A plain semaphore: at most ``max_permits`` requests in flight, nothing adaptive."""

    def __init__(self, max_permits: int = 50) -> None:
        self._max = check_int("max_permits", max_permits, minimum=1)
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = 0
        self._throttled = 0

    @contextlib.asynccontextmanager
    async def slot(self, write_key: WriteKey | None) -> AsyncIterator[Slot]:
        # Built lazily so the limiter can be made outside a running loop.
        loop = asyncio.get_running_loop()
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max)
            self._loop = loop
        elif self._loop is not loop:
            raise SessionLoopError("this ConcurrencyLimiter is already used by another event loop")
        async with self._semaphore:
            self._in_flight += 1
            try:
                yield _NullSlot()
            finally:
                self._in_flight -= 1

    @property
    def state(self) -> LimiterState:
        return LimiterState(
            permits=self._max,
            max_permits=self._max,
            in_flight=self._in_flight,
            throttled=self._throttled,
            wait_seconds=0.0,
            paused_for=0.0,
        )
