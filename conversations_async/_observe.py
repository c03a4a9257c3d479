"""What a Session tells about its requests: counters, log lines, and a hook for tracing.

Logging (logger ``conversations_async``): one DEBUG line per attempt (method, path, status,
milliseconds, attempt, ``Twilio-Request-Id``), one INFO line per retry with its reason and wait.
Paths only: never a query string, a header or a body, so never a credential.

:class:`RequestObserver` is how :mod:`conversations_async.otel` sees requests without the core
importing it: a Session holds one only once instrumented, so an uninstrumented request pays a
single ``is None`` check for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from yarl import URL

from ._retry import RetryEvent, RetryPolicy
from ._sansio import Request
from ._types import JSON
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConversationsError,
)

logger = logging.getLogger("conversations_async")


class AttemptWatcher(Protocol):
    """Told about each attempt of one request (by the Session, as it ends)."""

    def attempt(
        self,
        attempt: int,
        status: int | None,
        headers: Mapping[str, str] | None,
        error: ConversationsError | None,
        wait: float | None,
    ) -> None:
        """Attempt number ``attempt`` (1-based) ended with ``status`` and ``headers`` (None when
        no answer came) or ``error``; ``wait`` is the seconds until the next one, None if none."""


class RequestObserver(Protocol):
    """Wraps each :meth:`Session.request <conversations_async.Session.request>` (a span)."""

    async def observe(
        self, request: Request, url: URL, run: Callable[[AttemptWatcher], Awaitable[JSON]]
    ) -> JSON:
        """Run the request (``await run(watcher)``) and return its answer."""
        ...


def retry_reason(error: ConversationsError) -> str:
    """Why an attempt failed, in a few words: ``429 (code 20429)``, ``503``, ``timeout``,
    ``disconnect`` or ``connection failed`` (the request never left)."""
    if isinstance(error, APIStatusError):
        code = f" (code {error.code})" if error.code is not None else ""
        return f"{error.status}{code}"
    if isinstance(error, APITimeoutError):
        return "timeout"
    if isinstance(error, APIConnectionError):
        return "disconnect" if error.sent else "connection failed"
    return type(error).__name__


def note_attempt(
    watcher: AttemptWatcher | None,
    request: Request,
    url: URL,
    attempt: int,
    sent_at: float,
    status: int | None,
    headers: Mapping[str, str] | None,
    error: ConversationsError | None = None,
    wait: float | None = None,
) -> None:
    """Log one attempt at DEBUG (when enabled) and tell ``watcher``; called only when either
    listens, so that the common request does none of this."""
    if isinstance(error, APIStatusError):
        status, headers = error.status, error.headers
    if watcher is not None:
        watcher.attempt(attempt, status, headers, error, wait)
    if logger.isEnabledFor(logging.DEBUG):
        outcome = str(status) if status is not None else retry_reason(error) if error else "-"
        request_id = headers.get("Twilio-Request-Id") if headers is not None else None
        logger.debug(
            "%s %s -> %s in %.1f ms (attempt %d, Twilio-Request-Id %s)",
            request.method,
            url.path,
            outcome,
            (time.monotonic() - sent_at) * 1000,
            attempt,
            request_id or "-",
        )


def ask_retry_hook(
    retry: RetryPolicy,
    error: ConversationsError,
    request: Request,
    url: URL,
    attempt: int,
    wait: float,
) -> float:
    """The wait before the next attempt: ``wait``, or what the policy's ``on_retry`` returns."""
    hook = retry.on_retry
    if hook is None:
        return wait
    event = RetryEvent(error=error, method=request.method, url=str(url), attempt=attempt, wait=wait)
    override = hook(event)
    return wait if override is None else max(0.0, float(override))


def log_retry(
    error: ConversationsError, request: Request, url: URL, attempt: int, attempts: int, wait: float
) -> None:
    logger.info(
        "retrying %s %s in %.2fs after %s (attempt %d of %d)",
        request.method,
        url.path,
        wait,
        retry_reason(error),
        attempt,
        attempts,
    )


class SessionStats:
    """Counters a Session keeps, for logs and summaries (``session.stats``).

    ``requests`` counts attempts sent (retries included), ``retries`` the waits before another
    attempt, ``throttled`` the 429 answers.
    """

    __slots__ = ("requests", "retries", "throttled")

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.throttled = 0

    def __repr__(self) -> str:
        return f"SessionStats(requests={self.requests}, retries={self.retries}, throttled={self.throttled})"
