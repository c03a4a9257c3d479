"""A Session's lifecycle: the pool it builds lazily (or borrows), the event loop it belongs to,
and closing, which ends every request still running with SessionClosedError."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import aiohttp

from .errors import SessionClosedError, SessionLoopError


class Lifecycle:
    """The pool and loop part of :class:`~conversations_async.Session` (its base class)."""

    max_concurrency: int
    timeout: aiohttp.ClientTimeout
    _pool_headers: dict[str, str]
    """What a pool this Session builds sends on every request (no credentials)."""

    def _init_lifecycle(self, http_session: aiohttp.ClientSession | None) -> None:
        self._http = http_session
        self._owns_http = http_session is None
        self._closed = False
        self._entered = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # The tasks inside request() now, so that aclose() can end them (queued in the limiter,
        # sleeping before a retry or waiting for an answer) with SessionClosedError.
        self._running: set[asyncio.Task[Any]] = set()
        self._cancelled_by_close: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> Self:
        if self._closed:
            raise SessionClosedError("this Session is closed; create a new one")
        if self._entered:
            raise RuntimeError("this Session is already entered; use one `async with` at a time")
        self._entered = True
        self._ensure_http()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End this Session's requests and close the pool if this Session built it.

        Every request still running (waiting for an answer, queued in the limiter or sleeping
        before a retry) raises :class:`~conversations_async.errors.SessionClosedError`.
        Idempotent; a borrowed pool stays open.
        """
        if self._closed:
            return
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            raise SessionLoopError("close a Session in the event loop it was used in")
        self._closed = True
        current = asyncio.current_task()
        for task in self._running:
            if task is not current and not task.done():
                self._cancelled_by_close.add(task)
                task.cancel()
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run (the Session cannot be used again)."""
        return self._closed

    def _ensure_http(self) -> aiohttp.ClientSession:
        if self._closed:
            raise SessionClosedError("this Session is closed; create a new one")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._bind(loop)
        if self._http is None:
            connector = aiohttp.TCPConnector(limit=self.max_concurrency, limit_per_host=0)
            self._http = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                raise_for_status=False,
                headers=self._pool_headers,
            )
        return self._http

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is not None:
            raise SessionLoopError(
                "a Session belongs to the event loop it was first used in; "
                "open one Session per event loop"
            )
        # aiohttp has no public accessor for a ClientSession's loop.
        if self._http is not None and getattr(self._http, "_loop", loop) is not loop:
            raise SessionLoopError("the borrowed http_session belongs to another event loop")
        self._loop = loop

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # getattr: __init__ may have raised before these were set.
        owns_open_pool = getattr(self, "_owns_http", False) and getattr(self, "_http", None)
        if owns_open_pool and not self._closed:
            _warn(
                f"{self!r} was never closed; use `async with Session(...)` or `await aclose()`",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )
