"""The emulator: a real aiohttp server of Conversations v1 on loopback, with injectable faults.

Its app is built from the route table (:mod:`._routes`); what every request goes through
(authentication, the request log, faults, latency, error answers, webhooks) is here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn, Self

import attrs
from aiohttp import web

from ._faults import Faults, FaultState, ScriptedFault
from ._paging import page
from ._routes import ROUTES, Route
from ._state import Form, JSONDict, Limits, Store, TwilioError
from ._state._common import SERVICE_SID
from ._webhooks import WebhookSender

if TYPE_CHECKING:
    from .._session import Session

DEFAULT_ACCOUNT_SID: Final = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN: Final = "emulator-auth-token"
STATS_PATH: Final = "/_emulator/stats"
CONCURRENT_REQUESTS_HEADER: Final = "Twilio-Concurrent-Requests"
WEBHOOK_HEADER: Final = "X-Twilio-Webhook-Enabled"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.define
class Counters:
    """What the emulator saw: readable by tests, resettable with :meth:`conversations_async.testing.Emulator.reset_counters`."""

    requests: int = 0
    by_status: collections.Counter[int] = attrs.field(factory=collections.Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    throttled: int = 0
    """429 answers, for any reason."""
    disconnects: int = 0
    """Connections cut without an answer (after commit, or scripted)."""
    server_errors: int = 0
    creates: int = 0
    """Writes that created a conversation or participant (whatever the client was answered)."""


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request as the emulator received it (the Authorization header is never kept)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    username: str | None

    @property
    def form_dict(self) -> dict[str, str]:
        return dict(self.form)


class Emulator:
    """A Conversations v1 server on loopback with Twilio's shapes, rules and error codes.

    ::

        async with Emulator() as emulator:
            async with emulator.session() as session:
                conversation = await session.conversations.create(friendly_name="test")

    ``base_url`` is the service root to pass as ``Session(base_url=...)``. Credentials are
    ``account_sid`` / ``auth_token`` (or any pair in ``api_keys``). ``faults`` injects latency,
    a concurrency cap, write rate limits, 5xx answers and cut connections; ``counters`` and
    ``requests`` show what arrived. ``missing_participant_code`` picks which of Twilio's
    plausible 404 answers a missing participant gets (20404, 50432 or no code).
    ``extra_routes`` serves more operations (see :meth:`add_routes`).
    """

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        api_keys: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        limits: Limits | None = None,
        seed: int = 0,
        keep_requests: int = 10_000,
        webhook_url: str | None = None,
        missing_participant_code: int | None = 20404,
        extra_routes: Iterable[Route] = (),
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_keys = dict(api_keys or {})
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.store = Store(account_sid=account_sid, seed=seed, limits=limits)
        """The state (replaceable between requests: each request reads it afresh)."""
        self.missing_participant_code = missing_participant_code
        self.counters = Counters()
        self.requests: collections.deque[RecordedRequest] = collections.deque(maxlen=keep_requests)
        self._fault_state = FaultState()
        self._runner: web.AppRunner | None = None
        self.webhooks = WebhookSender(auth_token)
        """Outgoing webhooks: set ``webhooks.url`` (or pass ``webhook_url=``), read
        ``webhooks.deliveries``, ``await webhooks.drain()``; ``webhooks.filters`` limits events."""
        self.webhooks.url = webhook_url
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get(STATS_PATH, self._stats)
        self.add_routes(ROUTES)
        self.add_routes(extra_routes)

    def __repr__(self) -> str:
        return f"<Emulator {self.base_url if self._runner else 'not started'}>"

    def add_routes(self, routes: Iterable[Route]) -> None:
        """Serve more operations, one :class:`Route` row each, before :meth:`start`.

        This is how a resource is added: a module of state functions and a few rows (the
        emulator's own resources are added the same way, from its route table)."""
        if self._runner is not None:
            raise RuntimeError("routes are added before the emulator starts")
        for route in routes:
            handler = self._handler(route)
            for prefix in route.scopes:
                self.app.router.add_route(route.method, f"{prefix}/{route.path}", handler)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on ``host``:``port`` (a free port when 0)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self._runner = runner
        self.store.root = self.base_url
        return self

    async def aclose(self) -> None:
        """Stop listening and end the webhook deliveries under way (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.webhooks.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def session(self, **options: Any) -> Session:
        """A :class:`~conversations_async.Session` pointed at this emulator with its credentials."""
        from .._session import Session

        options.setdefault("account_sid", self.account_sid)
        if "api_key" not in options:
            options.setdefault("auth_token", self.auth_token)
        options.setdefault("base_url", self.base_url)
        return Session(**options)

    # -- test helpers -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_glob: str,
        *,
        status: int = 429,
        code: int | None = None,
        message: str = "scripted failure",
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        body: str | None = None,
        disconnect: bool = False,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and the path glob with an error.

        ``body`` replaces Twilio's JSON error body (e.g. a proxy's HTML page). With
        ``disconnect=True`` the connection is cut instead, before the request is handled."""
        self._fault_state.scripted.append(
            ScriptedFault(
                method=method.upper(),
                path_glob=path_glob,
                status=status,
                code=code if code is not None else (20429 if status == 429 else status * 100),
                message=message,
                headers=dict(headers or {}),
                times=times,
                body=body,
                disconnect=disconnect,
            )
        )

    def reset_counters(self) -> None:
        """Start counting afresh (counters and the request log); the state is kept."""
        self.counters = Counters()
        self.requests.clear()

    @property
    def missing_participant_code(self) -> int | None:
        """The Twilio code of the 404 for a participant (by SID or identity) that is not in its
        conversation: 20404 (the default: what Twilio's captured answers show), 50432
        ("Participant not found", in Twilio's error dictionary) or None (a body without a
        code). Set it at any time; a client must accept all three (API-FACTS.md 3.3)."""
        return self.store.missing_participant_code

    @missing_participant_code.setter
    def missing_participant_code(self, code: int | None) -> None:
        self.store.missing_participant_code = code

    @property
    def participants_created(self) -> int:
        """Participants created since the emulator started."""
        return self.store.participants_created

    def stats(self) -> JSONDict:
        """The counters as JSON (also served, without auth, at ``GET /_emulator/stats``)."""
        counters = self.counters
        return {
            "requests": counters.requests,
            "by_status": {str(status): n for status, n in sorted(counters.by_status.items())},
            "in_flight": counters.in_flight,
            "max_in_flight": counters.max_in_flight,
            "throttled": counters.throttled,
            "disconnects": counters.disconnects,
            "server_errors": counters.server_errors,
            "participants_created": self.participants_created,
        }

    # -- what every request goes through ------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == STATS_PATH:
            # Probes for other processes (benchmarks): not counted, not authenticated.
            return await handler(request)
        counters = self.counters
        counters.requests += 1
        counters.in_flight += 1
        counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
        try:
            response = await self._answer(request, handler)
            if self.faults.concurrent_requests_header and not response.prepared:
                # Counted as the answer leaves, this request included (a refused one too).
                response.headers[CONCURRENT_REQUESTS_HEADER] = str(counters.in_flight)
        finally:
            counters.in_flight -= 1
        counters.by_status[response.status] += 1
        if response.status == 429:
            counters.throttled += 1
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        form = tuple((k, str(v)) for k, v in (await request.post()).items())
        username = self._authenticate(request)
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.raw_path.split("?", 1)[0],
                query=tuple(request.query.items()),
                form=form,
                headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
                username=username,
            )
        )
        faults = self.faults
        try:
            if username is None:
                raise TwilioError(401, 20003, "Authenticate")
            if faults.max_in_flight is not None and self.counters.in_flight > faults.max_in_flight:
                headers = {}
                if faults.retry_after is not None:
                    headers["Retry-After"] = f"{faults.retry_after:g}"
                return error_response(TwilioError(429, 20429, "Too Many Requests"), headers)
            scripted = self._fault_state.take_scripted(request.method, request.path)
            if scripted is not None:
                return self._scripted_answer(request, scripted)
            if faults.latency:
                await asyncio.sleep(faults.latency)
            if self._fault_state.server_error(faults):
                self.counters.server_errors += 1
                raise TwilioError(500, 20500, "Internal Server Error")
            service = request.match_info.get("service")
            if service is not None and not SERVICE_SID.fullmatch(service):
                raise TwilioError(
                    404, 20404, f"The requested resource {request.path} was not found"
                )
            return await handler(request)
        except TwilioError as error:
            return error_response(error)

    def _authenticate(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self.auth_token if username == self.account_sid else self.api_keys.get(username)
        return username if expected is not None and password == expected else None

    def _scripted_answer(self, request: web.Request, fault: ScriptedFault) -> web.Response:
        if fault.disconnect:
            self._disconnect(request)
        if fault.body is not None:
            return web.Response(
                status=fault.status,
                text=fault.body,
                content_type="text/html",
                headers=fault.headers,
            )
        return error_response(TwilioError(fault.status, fault.code, fault.message), fault.headers)

    def _disconnect(self, request: web.Request) -> NoReturn:
        """Cut the connection with no answer at all, as a lost peer or a crashed proxy would."""
        self.counters.disconnects += 1
        transport = request.transport
        if transport is not None:
            transport.abort()
        # aiohttp treats a handler cancelled by a lost peer as routine (logged at DEBUG only).
        raise asyncio.CancelledError

    # -- the generic handler of every route ---------------------------------------------------

    def _handler(self, route: Route) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(route, request)

        return handle

    async def _serve(self, route: Route, request: web.Request) -> web.StreamResponse:
        store = self.store
        params = dict(request.match_info)
        service = params.pop("service", None)
        fields = await request.post() if request.method == "POST" else request.query
        form = Form((k, str(v)) for k, v in fields.items())
        if route.pace is not None:
            key = route.pace(store, service, params)
            if key is not None:
                now = asyncio.get_running_loop().time()
                self._fault_state.spend_write(self.faults, key, now)
        result = route.call(store, service, form, **params)
        if route.page is not None:
            return web.json_response(page(request, result, route.page))
        status = route.status_for(form)
        if not route.writes:
            return web.json_response(result, status=status)
        # Twilio sends the post-action webhook of a REST change only when the request carried
        # X-Twilio-Webhook-Enabled: true, whatever happens to the answer afterwards.
        event = route.webhook(result) if request.headers.get(WEBHOOK_HEADER) == "true" else None
        if event is not None:
            self.webhooks.send(event)
        return self._committed(request, None if status == 204 else result, status)

    def _committed(self, request: web.Request, body: JSONDict | None, status: int) -> web.Response:
        """Answer a write that was applied, or fail it *after* it was applied, as faults say."""
        faults = self.faults
        self.counters.creates += 1
        roll = self._fault_state.commit_roll(faults)
        if roll < faults.disconnect_after_commit_rate:
            self._disconnect(request)
        if roll < faults.disconnect_after_commit_rate + faults.server_error_after_commit_rate:
            self.counters.server_errors += 1
            return error_response(TwilioError(500, 20500, "Internal Server Error"))
        if body is None:
            return web.Response(status=status)  # a delete's 204 has no body
        return web.json_response(body, status=status)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())


def error_response(error: TwilioError, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=headers)
