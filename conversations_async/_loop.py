"""The request loop of :class:`~conversations_async.Session` (its base class): for each
attempt, take a limiter slot -> send and read the whole body -> give the slot back -> decide.
A retry sleeps *outside* the limiter, so a backoff never holds a permit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from ._limits import Limiter, Slot
from ._observe import AttemptWatcher, SessionStats, ask_retry_hook, log_retry, note_attempt
from ._options import BODY_METHODS, FixedHeaders, Sleep
from ._reading import RecordReader
from ._retry import RetryPolicy
from ._sansio import RawResponse, Request, concurrent_requests, decode_success, status_error
from ._sansio.request import encode_form
from ._transport import SEND_ERRORS, StreamBody, failure_of
from ._types import JSON
from .errors import APIConnectionError, ConversationsError, RateLimitError, SessionClosedError

logger = logging.getLogger("conversations_async")
_DEBUG = logging.DEBUG


def origin(url: URL) -> tuple[str, str | None, int | None]:
    """Scheme, host and port: which server a URL reaches (credentials go only to ours)."""
    return url.scheme, url.host, url.port


class RequestLoop:
    """Sends one request with limiting and retries; the Session provides what it reads."""

    base_url: URL
    limiter: Limiter
    stats: SessionStats
    _sleep: Sleep
    _owns_http: bool
    _closed: bool
    _running: set[asyncio.Task[Any]]
    _cancelled_by_close: set[asyncio.Task[Any]]
    _plain_headers: FixedHeaders
    _form_headers: FixedHeaders
    _anonymous_headers: Mapping[str, str]
    _own_origins: frozenset[tuple[str, str | None, int | None]]

    def _ensure_http(self) -> aiohttp.ClientSession:
        raise NotImplementedError

    async def _request(
        self,
        request: Request,
        retry: RetryPolicy,
        client_timeout: aiohttp.ClientTimeout,
        watcher: AttemptWatcher | None,
        redirects: bool = False,
        structure: Callable[[JSON], Any] | None = None,
    ) -> Any:
        """The request loop: the decoded JSON of a 2xx answer (``structure`` applied to it, when
        given), or with ``redirects`` the :class:`RawResponse` of a 2xx or 3xx."""
        http = self._ensure_http()
        url = request.resolve(self.base_url)
        data: bytes | AsyncIterable[bytes] | None = None
        headers: Mapping[str, str]
        if request.body is not None:
            data, headers = request.body, self._plain_headers
        elif request.method in BODY_METHODS:
            # Encoded here rather than by aiohttp: its form path builds a multipart writer (with a
            # fresh UUID boundary) for every urlencoded body, a fifth of a create's client CPU.
            data = encode_form(request.form)
            headers = self._form_headers
        else:
            headers = self._plain_headers
        own = request.url is None or origin(url) in self._own_origins
        if not (own if request.credentials is None else request.credentials):
            headers = self._anonymous_headers  # by default, credentials never leave our hosts
        if request.headers:
            # Still a FixedHeaders: a plain dict would show the credentials in the locals of a
            # traceback (``capture_locals=True``).
            headers = FixedHeaders({**headers, **request.headers})
        # Told apart once, not per attempt, and without an ABC's isinstance (which costs more).
        plain: bytes | None = None
        stream: AsyncIterable[bytes] | None = None
        if data is None or isinstance(data, bytes):
            plain = data
        else:
            stream = data
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        # Asked once per request: with neither DEBUG logging nor a watcher, no attempt is timed.
        watching = watcher is not None or logger.isEnabledFor(_DEBUG)
        try:
            started = time.monotonic()
            slept = 0.0  # counted too, so that an injected ``sleep`` still meets the deadline
            attempt = 0
            while True:
                attempt += 1
                self.stats.requests += 1
                body_sent = plain if stream is None else StreamBody(stream)
                async with self.limiter.slot(request.write_key) as slot:
                    sent = time.monotonic() if watching else 0.0
                    # One send and read of the whole body, here rather than in a coroutine of
                    # its own. Our timeout, status handling and redirect rule go on each
                    # request: a borrowed pool may have been built with other ones. Awaited
                    # rather than ``async with`` (four coroutines more): read() closes the
                    # response when it fails, and waits for the upload.
                    try:
                        response = await http.request(
                            request.method,
                            url,
                            data=body_sent,
                            headers=headers,
                            allow_redirects=False,
                            timeout=client_timeout,
                            raise_for_status=False,
                        )
                        body = await response.read()
                        response.release()
                    except SEND_ERRORS as exc:
                        failure: ConversationsError | None = failure_of(
                            exc, http, request, url, borrowed=not self._owns_http
                        )
                    else:
                        failure = None
                        status, response_headers = response.status, response.headers
                        if 200 <= status < 300 or (redirects and 300 <= status < 400):
                            slot.succeeded(concurrent_requests(response_headers))
                            if watching:
                                note_attempt(
                                    watcher, request, url, attempt, sent, status, response_headers
                                )
                            if redirects:
                                return RawResponse(status, response_headers, body)
                            if structure is None:
                                return decode_success(status, body)
                            if isinstance(structure, RecordReader):
                                return structure.read(status, body)  # from the bytes
                            return structure(decode_success(status, body))
                        if status != 429:
                            slot.succeeded(concurrent_requests(response_headers))
                        error: ConversationsError = status_error(
                            status, response_headers, body, method=request.method, url=str(url)
                        )
                    if failure is not None:
                        if self._closed:
                            failure = SessionClosedError(
                                "the Session was closed during the request"
                            )
                        # Raised or kept only here, after the except block, so that aiohttp's
                        # exception (which may carry our request headers) is not even kept as
                        # __context__. Only a connection failure is for the retry policy.
                        if not isinstance(failure, APIConnectionError):
                            raise failure
                        error = failure
                    elapsed = max(time.monotonic() - started, slept)
                    wait = retry.next_wait(error, request, attempt, elapsed)
                    if (
                        isinstance(body_sent, StreamBody)
                        and body_sent.started
                        and not body_sent.replayable
                    ):
                        wait = None  # its bytes are gone: it cannot be sent again
                    if isinstance(error, RateLimitError):
                        self._report_throttled(slot, error, wait)
                if wait is not None:
                    wait = ask_retry_hook(retry, error, request, url, attempt, wait)
                if watching:
                    note_attempt(watcher, request, url, attempt, sent, None, None, error, wait)
                if wait is None:
                    raise error
                self.stats.retries += 1
                log_retry(error, request, url, attempt, retry.attempts, wait)
                await self._sleep(wait)
                slept += wait
                http = self._ensure_http()
        except asyncio.CancelledError:
            if task is None or task not in self._cancelled_by_close:
                raise
            # aclose() cancelled it: take that cancel back and raise SessionClosedError instead,
            # unless someone else cancelled the task as well.
            self._cancelled_by_close.discard(task)
            if task.uncancel() > 0:
                raise
        finally:
            if task is not None:
                self._running.discard(task)
                if self._cancelled_by_close and task in self._cancelled_by_close:
                    # aclose() cancelled it, but something swallowed that CancelledError.
                    self._cancelled_by_close.discard(task)
                    task.uncancel()
        raise SessionClosedError("the Session was closed during the request")

    def _report_throttled(self, slot: Slot, error: RateLimitError, wait: float | None) -> None:
        self.stats.throttled += 1
        # The pause every caller shares is this request's own wait for the server's Retry-After,
        # never more: nobody is held longer than the retry policy allows, and when the policy
        # does not retry (a Retry-After beyond retry_after_cap or the deadline), nobody at all.
        slot.throttled(
            wait if error.retry_after is not None else None,
            error.code,
            concurrent_requests(error.headers),
        )
