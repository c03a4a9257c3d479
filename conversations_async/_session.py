"""The Session: owns (or borrows) the aiohttp pool and runs every request through one loop.

Each attempt is: take a limiter slot -> send and read the whole body -> give the slot back ->
decide. A retry sleeps *outside* the limiter, so a backoff never holds a permit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from ._limits import AdaptiveLimiter, Limiter, Slot
from ._options import (
    BODY_METHODS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
    DEFAULT_WRITES_PER_SECOND,
    FixedHeaders,
    Secret,
    Sleep,
    basic_authorization,
    check_base_url,
    check_host_label,
    check_options,
    check_timeout,
    credentials,
    twilio_host,
    user_agent,
)
from ._retry import DEFAULT_RETRY, RetryEvent, RetryPolicy
from ._sansio import Request, concurrent_requests, decode_success, status_error
from ._types import JSON
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConversationsError,
    InvalidArgumentError,
    RateLimitError,
    SessionClosedError,
    SessionLoopError,
)
from .resources import Namespaces, ServiceScope

logger = logging.getLogger("conversations_async")


class Session(Namespaces):
    """An async session with Twilio Conversations: open one per process, share it everywhere.

    ::

        async with Session(account_sid="AC…", auth_token="…") as session:
            participant = await session.participants.create("CH…", identity="alice")

    Credentials are an Account SID with its Auth Token, or an API key pair (``api_key`` +
    ``api_secret``, recommended by Twilio) with the ``account_sid``. The Session builds its
    aiohttp pool lazily inside the running loop, so it may be constructed anywhere; it closes
    only a pool it built itself. Pass ``http_session`` to borrow yours: it is never closed.

    ``timeout`` is seconds (finite, > 0) or an ``aiohttp.ClientTimeout`` whose ``total`` is set,
    the only one that bounds a whole call, so none can hang. Every option is checked here: a bad
    one raises :class:`~conversations_async.errors.InvalidArgumentError` naming it, and a bad
    credential's value is never shown.
    """

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | URL | None = None,
        edge: str | None = None,
        region: str | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: RetryPolicy = DEFAULT_RETRY,
        limiter: Limiter | None = None,
        writes_per_second: float | None = DEFAULT_WRITES_PER_SECOND,
        http_session: aiohttp.ClientSession | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        account_sid, username, password = credentials(account_sid, auth_token, api_key, api_secret)
        edge = check_host_label("edge", edge)
        region = check_host_label("region", region)
        if base_url is not None and (edge or region):
            raise InvalidArgumentError("base_url", "give either base_url or edge/region, not both")
        check_options(
            max_concurrency=max_concurrency,
            writes_per_second=writes_per_second,
            retry=retry,
            limiter=limiter,
            http_session=http_session,
            sleep=sleep,
        )
        self.account_sid = account_sid
        self._username = username
        # Kept only as the encoded header, behind Secret: base64 of a token is the token.
        self._authorization = Secret(basic_authorization(username, password))
        self.base_url: URL = check_base_url(base_url or f"https://{twilio_host(edge, region)}")
        self.timeout: aiohttp.ClientTimeout = check_timeout(timeout)
        self.max_concurrency = max_concurrency
        self.retry = retry
        # The default limiter: adaptive permits up to max_concurrency, writes paced per
        # conversation/service (None turns pacing off). Pass ``limiter`` to set every number.
        self.limiter: Limiter = limiter or AdaptiveLimiter(
            max_permits=max_concurrency, writes_per_second=writes_per_second
        )
        self._sleep: Sleep = sleep or asyncio.sleep
        self._http = http_session
        self._owns_http = http_session is None
        self._closed = False
        self._entered = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # The tasks inside request() now, so that aclose() can end them (queued in the limiter,
        # sleeping before a retry or waiting for an answer) with SessionClosedError.
        self._running: set[asyncio.Task[Any]] = set()
        self._cancelled_by_close: set[asyncio.Task[Any]] = set()
        # Built once: every request sends the same ones (a borrowed pool is never reconfigured,
        # so they go on each request rather than on the ClientSession).
        self._plain_headers = FixedHeaders(
            {
                "User-Agent": user_agent(),
                "Accept": "application/json",
                "Authorization": self._authorization.reveal(),
            }
        )
        if http_session is not None and not http_session.auto_decompress:
            # aiohttp still offers gzip; a body it will not decompress would not parse.
            self._plain_headers["Accept-Encoding"] = "identity"
        self._form_headers = FixedHeaders(
            {**self._plain_headers, "Content-Type": "application/x-www-form-urlencoded"}
        )
        self.stats = SessionStats()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: object) -> Session:
        """A Session from ``TWILIO_ACCOUNT_SID`` with ``TWILIO_AUTH_TOKEN`` or
        ``TWILIO_API_KEY`` + ``TWILIO_API_SECRET`` (also ``TWILIO_EDGE``, ``TWILIO_REGION``).

        ``TWILIO_CONVERSATIONS_BASE_URL``, when set, replaces the service root (for example to
        point an unchanged program at the emulator). Keyword arguments override the environment.
        """
        env = os.environ if environ is None else environ
        options: dict[str, object] = {
            "account_sid": env.get("TWILIO_ACCOUNT_SID") or None,
            "edge": env.get("TWILIO_EDGE") or None,
            "region": env.get("TWILIO_REGION") or None,
            "base_url": env.get("TWILIO_CONVERSATIONS_BASE_URL") or None,
        }
        if env.get("TWILIO_API_KEY"):
            options["api_key"] = env.get("TWILIO_API_KEY")
            options["api_secret"] = env.get("TWILIO_API_SECRET")
        else:
            options["auth_token"] = env.get("TWILIO_AUTH_TOKEN")
        options.update(kwargs)
        if options.get("base_url") is not None:
            options["edge"] = options["region"] = None
        return cls(**options)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Session account_sid={self.account_sid!r} base_url={str(self.base_url)!r} {state}>"

    # -- lifecycle --------------------------------------------------------------------------

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
        before a retry) raises :class:`~conversations_async.errors.SessionClosedError`. Idempotent; a borrowed pool stays open.
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
                connector=connector, timeout=self.timeout, raise_for_status=False
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

    # -- namespaces (declared once on Namespaces, for this scope and ServiceScope) -------------

    @property
    def requester(self) -> Session:
        """What the namespaces send through: this Session."""
        return self

    @property
    def chat_service_sid(self) -> None:
        """The account scope: the account's default Conversation Service."""
        return None

    def service(self, chat_service_sid: str) -> ServiceScope:
        """The same resources under ``/v1/Services/{chat_service_sid}/…``."""
        return ServiceScope(self, chat_service_sid)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` with the Session's ``sleep`` (which tests may replace)."""
        await self._sleep(seconds)

    # -- the request loop -------------------------------------------------------------------

    async def request(self, request: Request) -> JSON:
        """Send ``request`` with limiting and retries; the decoded JSON of a 2xx answer.

        Raises the typed errors of :mod:`conversations_async.errors`; never an aiohttp one.
        """
        http = self._ensure_http()
        url = request.resolve(self.base_url)
        data: bytes | None = None
        headers: Mapping[str, str]
        if request.method in BODY_METHODS:
            # Encoded here rather than by aiohttp: its form path builds a multipart writer (with a
            # fresh UUID boundary) for every urlencoded body, a fifth of a create's client CPU.
            data = urlencode(request.form).encode()
            headers = self._form_headers
        else:
            headers = self._plain_headers
        if request.headers:
            # Still a FixedHeaders: a plain dict would show the credentials in the locals of a
            # traceback (``capture_locals=True``).
            headers = FixedHeaders({**headers, **request.headers})
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            started = time.monotonic()
            slept = 0.0  # counted too, so that an injected ``sleep`` still meets the deadline
            attempt = 0
            while True:
                attempt += 1
                self.stats.requests += 1
                async with self.limiter.slot(request.write_key) as slot:
                    try:
                        status, response_headers, body = await self._send_once(
                            http, request, url, data, headers
                        )
                    except APIConnectionError as failure:
                        error: ConversationsError = failure
                    else:
                        if status != 429:
                            slot.succeeded(concurrent_requests(response_headers))
                            if 200 <= status < 300:
                                return decode_success(status, body)
                        error = status_error(
                            status, response_headers, body, method=request.method, url=str(url)
                        )
                    elapsed = max(time.monotonic() - started, slept)
                    wait = self.retry.next_wait(error, request, attempt, elapsed)
                    if isinstance(error, RateLimitError):
                        self._report_throttled(slot, error, wait)
                if wait is None:
                    raise error
                wait = self._notify_retry(error, request, url, attempt, wait)
                self.stats.retries += 1
                logger.info(
                    "retrying %s %s in %.2fs (attempt %d)", request.method, url.path, wait, attempt
                )
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

    def _notify_retry(
        self, error: ConversationsError, request: Request, url: URL, attempt: int, wait: float
    ) -> float:
        hook = self.retry.on_retry
        if hook is None:
            return wait
        event = RetryEvent(
            error=error, method=request.method, url=str(url), attempt=attempt, wait=wait
        )
        override = hook(event)
        return wait if override is None else max(0.0, float(override))

    async def _send_once(
        self,
        http: aiohttp.ClientSession,
        request: Request,
        url: URL,
        data: bytes | None,
        headers: Mapping[str, str],
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One send and read of the whole body: the status, headers and body of the answer.

        Raises APIConnectionError, SessionClosedError or (for a borrowed pool aiohttp refuses to
        use) InvalidArgumentError.
        """
        # Our timeout, status handling and redirect rule on each request: a borrowed pool may
        # have been built with other ones.
        try:
            async with http.request(
                request.method,
                url,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=self.timeout,
                raise_for_status=False,
            ) as response:
                return response.status, response.headers, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            failure: ConversationsError = self._connection_error(exc, request, url, sent=False)
        except aiohttp.ClientConnectorError as exc:
            failure = self._connection_error(exc, request, url, sent=False)
        except TimeoutError as exc:
            failure = self._connection_error(exc, request, url, sent=True)
        except (aiohttp.ClientError, OSError) as exc:
            failure = self._connection_error(exc, request, url, sent=True)
        except (RuntimeError, ValueError, AssertionError) as exc:
            # aiohttp refusing the pool itself: closed, or settings it cannot combine with ours.
            failure = self._pool_error(exc, http, request, url)
        if self._closed:
            failure = SessionClosedError("the Session was closed during the request")
        # Raised here, after the except block, so that aiohttp's exception (which may carry our
        # request headers) is not even kept as __context__.
        raise failure

    def _connection_error(
        self, exc: BaseException, request: Request, url: URL, *, sent: bool
    ) -> APIConnectionError:
        # Only the exception's type and text: aiohttp objects may carry our request headers.
        description = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        cls = APITimeoutError if isinstance(exc, TimeoutError) else APIConnectionError
        return cls(description, method=request.method, url=str(url), sent=sent)

    def _pool_error(
        self, exc: BaseException, http: aiohttp.ClientSession, request: Request, url: URL
    ) -> ConversationsError:
        if http.closed:
            return SessionClosedError("the http_session this Session borrowed is closed")
        description = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if not self._owns_http:
            return InvalidArgumentError("http_session", f"aiohttp refused to send: {description}")
        return APIConnectionError(description, method=request.method, url=str(url), sent=True)


class SessionStats:
    """Counters a Session keeps, for logs and summaries."""

    __slots__ = ("requests", "retries", "throttled")

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.throttled = 0

    def __repr__(self) -> str:
        return f"SessionStats(requests={self.requests}, retries={self.retries}, throttled={self.throttled})"
