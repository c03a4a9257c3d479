"""The Session: owns (or borrows) the aiohttp pool and runs every request through one loop.

Each attempt is: take a limiter slot -> send and read the whole body -> give the slot back ->
decide. A retry sleeps *outside* the limiter, so a backoff never holds a permit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import warnings
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Self, TypeVar

import aiohttp
from yarl import URL

from ._lifecycle import Lifecycle
from ._limits import AdaptiveLimiter, Limiter
from ._loop import RequestLoop, origin
from ._observe import (
    RequestObserver,
    SessionStats,
)
from ._options import (
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
    check_retry,
    check_timeout,
    credentials,
    from_environment,
    media_host,
    twilio_host,
    user_agent,
)
from ._retry import DEFAULT_RETRY, RetryPolicy
from ._sansio import RawResponse, Request
from ._types import JSON, NOT_GIVEN, NotGiven
from .errors import (
    InvalidArgumentError,
)
from .resources import AccountNamespaces, MediaFiles, ServiceScope, namespace

logger = logging.getLogger("conversations_async")
_DEBUG = logging.DEBUG
_ENVIRON: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "conversations_async_environ", default=None
)
"""The environment a Session reads: os.environ, or the mapping given to from_env()."""

R = TypeVar("R")


class Session(AccountNamespaces, Lifecycle, RequestLoop):
    """An async session with Twilio Conversations: open one per process, share it everywhere.

    ::

        async with Session(account_sid="AC…", auth_token="…") as session:
            participant = await session.participants.create("CH…", identity="alice")

    Credentials are an Account SID with its Auth Token, or an API key pair (``api_key`` +
    ``api_secret``, recommended by Twilio) with the ``account_sid``. What is not given is read
    from the environment, group by group: ``account_sid`` from ``TWILIO_ACCOUNT_SID``; the
    secret, unless any of ``auth_token``, ``api_key``, ``api_secret`` is given, from
    ``TWILIO_API_KEY`` + ``TWILIO_API_SECRET`` (when ``TWILIO_API_KEY`` is set) or
    ``TWILIO_AUTH_TOKEN``; the host, unless any of ``base_url``, ``edge``, ``region`` is given,
    from ``TWILIO_CONVERSATIONS_BASE_URL`` or ``TWILIO_EDGE`` / ``TWILIO_REGION``. So
    ``Session()`` is ``Session.from_env()``, and an explicit argument always wins.

    The Session builds its aiohttp pool lazily inside the running loop, so it may be
    constructed anywhere; it closes only a pool it built itself. Pass ``http_session`` to
    borrow yours: it is never closed. :meth:`with_options` gives a view with another timeout
    or retry policy that shares everything else.

    ``timeout`` is seconds (finite, > 0) or an ``aiohttp.ClientTimeout`` whose ``total`` is set,
    the only one that bounds a whole call, so none can hang. Every option is checked here: a bad
    one raises :class:`~conversations_async.errors.InvalidArgumentError` naming it, and a bad
    credential's value is never shown.

    ``media_base_url`` is the Media Content Service's root (``https://mcs.us1.twilio.com``, or
    the ``region``'s; ``TWILIO_CONVERSATIONS_MEDIA_BASE_URL``), where :attr:`media` sends. The
    credentials go only to the two roots: a request to any other host (a download's temporary
    link, a redirect) is sent without them.
    """

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | URL | None = None,
        media_base_url: str | URL | None = None,
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
        environ = _ENVIRON.get()
        found = from_environment(
            os.environ if environ is None else environ,
            account_sid=account_sid,
            auth_token=auth_token,
            api_key=api_key,
            api_secret=api_secret,
            base_url=base_url,
            edge=edge,
            region=region,
            media_base_url=media_base_url,
        )
        account_sid, username, password = credentials(
            found.account_sid, found.auth_token, found.api_key, found.api_secret
        )
        root = found.base_url
        edge = check_host_label("edge", found.edge)
        region = check_host_label("region", found.region)
        if root is not None and (edge or region):
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
        self.base_url: URL = check_base_url(root or f"https://{twilio_host(edge, region)}")
        self.media_base_url: URL = check_base_url(
            found.media_base_url or f"https://{media_host(region)}", "media_base_url"
        )
        self._own_origins = frozenset(origin(url) for url in (self.base_url, self.media_base_url))
        self.timeout: aiohttp.ClientTimeout = check_timeout(timeout)
        self.max_concurrency = max_concurrency
        self.retry = retry
        # The default limiter: adaptive permits up to max_concurrency, writes paced per
        # conversation/service (None turns pacing off). Pass ``limiter`` to set every number.
        self.limiter: Limiter = limiter or AdaptiveLimiter(
            max_permits=max_concurrency, writes_per_second=writes_per_second
        )
        self._sleep: Sleep = sleep or asyncio.sleep
        self._init_lifecycle(http_session)
        # Built once: every request sends the same ones. A pool the Session builds carries the
        # common ones itself (aiohttp copies and loops over each header a request passes, twice);
        # a borrowed pool is never reconfigured, so they go on each request.
        common = {"User-Agent": user_agent(), "Accept": "application/json"}
        if http_session is not None and not http_session.auto_decompress:
            # aiohttp still offers gzip; a body it will not decompress would not parse.
            common["Accept-Encoding"] = "identity"
        self._pool_headers = common if http_session is None else {}
        sent = {} if http_session is None else common
        self._plain_headers = FixedHeaders({**sent, "Authorization": self._authorization.reveal()})
        self._form_headers = FixedHeaders(
            {**self._plain_headers, "Content-Type": "application/x-www-form-urlencoded"}
        )
        # For a host that is not ours: everything but the credentials.
        self._anonymous_headers = sent
        self.stats = SessionStats()
        """Attempts sent, retries and 429s so far (shared with every :meth:`with_options` view)."""
        # Set by conversations_async.otel.instrument(); None costs the hot path one check.
        self._observer: RequestObserver | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Session:
        """A Session from the ``TWILIO_*`` variables of ``environ`` (default ``os.environ``).

        The same as ``Session(**kwargs)``, which reads the environment for whatever is not
        given (see :class:`Session`), except that ``environ`` replaces ``os.environ``.
        ``TWILIO_CONVERSATIONS_BASE_URL``, when set, replaces the service root, for example to
        point an unchanged program at the emulator.
        """
        token = _ENVIRON.set(os.environ if environ is None else environ)
        try:
            return cls(**kwargs)
        finally:
            _ENVIRON.reset(token)

    def with_options(
        self,
        *,
        timeout: float | aiohttp.ClientTimeout | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
    ) -> Session:
        """This Session with another ``timeout`` or ``retry`` policy, for the calls made
        through it::

            patient = session.with_options(timeout=120, retry=RetryPolicy(attempts=20))
            await patient.participants.create(conversation_sid, identity="alice")
            await patient.service("IS…").conversations.fetch(conversation_sid)

        A light view: it shares this Session's pool, limiter, counters, instrumentation and
        lifecycle (closing either closes both; a view cannot be entered with ``async with``).
        Options left out keep this Session's; each is checked as the constructor checks it.
        """
        return _SessionView(
            self,
            timeout=self.timeout if timeout is NOT_GIVEN else check_timeout(timeout),
            retry=self.retry if retry is NOT_GIVEN else check_retry(retry),
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Session account_sid={self.account_sid!r} base_url={str(self.base_url)!r} {state}>"

    # -- namespaces (Namespaces holds both scopes', AccountNamespaces the account's own) -------

    media = namespace(MediaFiles)
    """Files for messages, in the Media Content Service (``media_base_url``)."""

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

    def request(self, request: Request) -> Coroutine[Any, Any, JSON]:
        """Send ``request`` with limiting and retries; the decoded JSON of a 2xx answer.

        A coroutine (``await session.request(r)``). Raises the typed errors of
        :mod:`conversations_async.errors`; never an aiohttp one.
        """
        # Not itself ``async``: it hands back the loop's coroutine, one frame fewer per request.
        return self._dispatch(request, self.retry, self.timeout)

    def request_structured(
        self, request: Request, structure: Callable[[JSON], R]
    ) -> Coroutine[Any, Any, R]:
        """Like :meth:`request`, with ``structure`` applied to the decoded JSON (a resource's
        record): one coroutine per request rather than two, so a caller waiting for a permit
        holds less (most of a large ``gather`` waits)."""
        return self._dispatch(request, self.retry, self.timeout, structure=structure)

    async def request_raw(self, request: Request) -> RawResponse:
        """Like :meth:`request`, but the answer as it came: a 2xx, or a 3xx redirect (which is
        not followed: the caller decides where to go, and this Session whether to send its
        credentials there)."""
        answer = await self._dispatch(request, self.retry, self.timeout, redirects=True)
        assert isinstance(answer, RawResponse)
        return answer

    def _dispatch(
        self,
        request: Request,
        retry: RetryPolicy,
        timeout: aiohttp.ClientTimeout,
        *,
        redirects: bool = False,
        structure: Callable[[JSON], Any] | None = None,
    ) -> Coroutine[Any, Any, Any]:
        """The request's coroutine: the loop itself, or inside the observer's span."""
        observer = self._observer
        if observer is None:
            return self._request(request, retry, timeout, None, redirects, structure)
        return observer.observe(
            request,
            request.resolve(self.base_url),
            lambda watcher: self._request(request, retry, timeout, watcher, redirects, structure),
        )


class _SessionView(Session):
    """What :meth:`Session.with_options` returns: the same Session with another timeout and
    retry policy. ``Session.__init__`` is not run: everything else is read from the Session."""

    def __init__(
        self, session: Session, *, timeout: aiohttp.ClientTimeout, retry: RetryPolicy
    ) -> None:
        # A view of a view is a view of the Session: state is only ever written on the Session.
        self._session: Session = getattr(session, "_session", session)
        self.timeout = timeout
        self.retry = retry

    def __getattr__(self, name: str) -> Any:
        # Reached only for what the view does not hold itself: the Session's shared state.
        if name == "_session":
            raise AttributeError(name)
        return getattr(self._session, name)

    def __repr__(self) -> str:
        return f"<Session view timeout={self.timeout.total}s of {self._session!r}>"

    def request(self, request: Request) -> Coroutine[Any, Any, JSON]:
        return self._session._dispatch(request, self.retry, self.timeout)

    def request_structured(
        self, request: Request, structure: Callable[[JSON], R]
    ) -> Coroutine[Any, Any, R]:
        return self._session._dispatch(request, self.retry, self.timeout, structure=structure)

    async def aclose(self) -> None:
        await self._session.aclose()

    async def __aenter__(self) -> Self:
        raise RuntimeError("enter the Session itself; a view of it shares its lifecycle")

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        pass  # only the Session itself warns when it was never closed
