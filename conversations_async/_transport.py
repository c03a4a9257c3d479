"""Pieces of the Session's request path: what an aiohttp exception means for a request (the
library's own error, never aiohttp's), and a streamed body that knows whether it was sent.

Only an aiohttp exception's type and text are kept: aiohttp's objects may carry the request
headers, and so the credentials.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

import aiohttp
from yarl import URL

from ._sansio import Request
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConversationsError,
    InvalidArgumentError,
    SessionClosedError,
)

SEND_ERRORS: Final = (
    aiohttp.ClientError,
    OSError,
    TimeoutError,
    RuntimeError,
    ValueError,
    AssertionError,
)
"""What sending may raise and :func:`failure_of` translates."""


def failure_of(
    exc: BaseException, http: aiohttp.ClientSession, request: Request, url: URL, *, borrowed: bool
) -> ConversationsError:
    """The error to raise for ``exc``, raised by one send of ``request`` on ``http``.

    Never connected (refused, DNS, connect timeout): ``APIConnectionError(sent=False)``, safe
    to retry for any method. A timeout or a cut after connecting: ``sent=True``. aiohttp
    refusing the pool itself (closed, or settings it cannot combine with ours):
    ``SessionClosedError``, or ``InvalidArgumentError("http_session")`` for a borrowed pool.
    """
    if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        return _connection_error(exc, request, url, sent=False)
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        return _connection_error(exc, request, url, sent=True)
    if http.closed:
        return SessionClosedError("the http_session this Session borrowed is closed")
    description = _describe(exc)
    if borrowed:
        return InvalidArgumentError("http_session", f"aiohttp refused to send: {description}")
    return APIConnectionError(description, method=request.method, url=str(url), sent=True)


def _connection_error(
    exc: BaseException, request: Request, url: URL, *, sent: bool
) -> APIConnectionError:
    cls = APITimeoutError if isinstance(exc, TimeoutError) else APIConnectionError
    return cls(_describe(exc), method=request.method, url=str(url), sent=sent)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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
