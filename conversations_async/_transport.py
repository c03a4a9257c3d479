"""Pieces of the Session's request path: a request body that knows whether it began to be sent,
the typed error for an exception aiohttp raised, and the counters the Session keeps.

None of these shows more of an aiohttp exception than its type and text: aiohttp objects may
carry our request headers, and so the credentials.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import aiohttp

from ._sansio import Request
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConversationsError,
    InvalidArgumentError,
    SessionClosedError,
)


class StreamBody:
    """One attempt's view of a streamed request body: it records whether aiohttp began to
    read it. A stream that began cannot be sent again (its bytes are gone), so such a request
    is never retried; one that was never read (nothing connected) can be.

    A body whose ``replayable`` attribute is true (a file the library opens itself) starts
    afresh on each iteration, so it may be sent again.
    """

    __slots__ = ("_source", "started")

    def __init__(self, source: AsyncIterable[bytes]) -> None:
        self._source = source
        self.started = False

    @property
    def replayable(self) -> bool:
        return bool(getattr(self._source, "replayable", False))

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        async for chunk in self._source:
            yield chunk


def describe(exc: BaseException) -> str:
    """``Type: text`` of an exception (only its type when it has no text)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def connection_error(
    exc: BaseException, request: Request, url: str, *, sent: bool
) -> APIConnectionError:
    cls = APITimeoutError if isinstance(exc, TimeoutError) else APIConnectionError
    return cls(describe(exc), method=request.method, url=url, sent=sent)


def pool_error(
    exc: BaseException, http: aiohttp.ClientSession, request: Request, url: str, *, owned: bool
) -> ConversationsError:
    """aiohttp refusing the pool itself: closed, or settings it cannot combine with ours."""
    if http.closed:
        return SessionClosedError("the http_session this Session borrowed is closed")
    if not owned:
        return InvalidArgumentError("http_session", f"aiohttp refused to send: {describe(exc)}")
    return APIConnectionError(describe(exc), method=request.method, url=url, sent=True)


class SessionStats:
    """Counters a Session keeps, for logs and summaries."""

    __slots__ = ("requests", "retries", "throttled")

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.throttled = 0

    def __repr__(self) -> str:
        return f"SessionStats(requests={self.requests}, retries={self.retries}, throttled={self.throttled})"
