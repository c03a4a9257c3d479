"""The emulator: a real aiohttp server of Conversations v1 on loopback, with injectable faults.

Its app is built from the route table (:mod:`._routes`); what every request goes through
(authentication, the request log, faults, latency, error answers, webhooks) is here.
"""

from __future__ import annotations

import collections
import socket
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Self

from aiohttp import web

from ._faults import Faults, FaultState, ScriptedFault
from ._inbound import simulate_message
from ._media import MCS_PREFIX, MediaService
from ._probes import Counters, RecordedRequest
from ._push import PushRegistrations
from ._routes import ROUTES, Route
from ._serving import STATS_PATH, Serving
from ._state import JSONDict, Limits, Store, delivery_receipts
from ._state import services as service_state
from ._validation import RefusedRequest, RequestValidator, SpecSource, validator_for
from ._webhooks import WebhookSender

if TYPE_CHECKING:
    from .._session import Session

DEFAULT_ACCOUNT_SID: Final = "AC" + "0" * 31 + "1"
"""The Account SID an :class:`Emulator` accepts unless given another (``TWILIO_ACCOUNT_SID``)."""
DEFAULT_AUTH_TOKEN: Final = "emulator-auth-token"
"""The Auth Token an :class:`Emulator` accepts unless given another (``TWILIO_AUTH_TOKEN``)."""
MAX_UPLOAD: Final = 150 * 1024 * 1024
"""The largest request body the emulator reads (a media upload; aiohttp's default is 1 MiB)."""


class Emulator(Serving, PushRegistrations):
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
    ``extra_routes`` serves more operations (see :meth:`add_routes`). ``implicit_services``
    decides what an unknown service SID is (see :attr:`implicit_services`).

    ``validate_requests`` checks every request against Twilio's official OpenAPI spec (a
    :class:`RequestValidator`, or the spec's path or mapping; it needs openapi-core) and records
    each one the spec refuses in :attr:`refused_requests`. None uses the default validator (the
    pytest plugin's ``conversations_async_spec`` option sets one), False none at all.
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
        validate_requests: RequestValidator | SpecSource | bool | None = None,
        implicit_services: bool = True,
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
        self.implicit_services = implicit_services
        self.counters = Counters()
        self.requests: collections.deque[RecordedRequest] = collections.deque(maxlen=keep_requests)
        self._fault_state = FaultState()
        self.validator = validator_for(validate_requests)
        """What checks each request against the spec (None: nothing does)."""
        self.refused_requests: list[RefusedRequest] = []
        """The requests the spec refuses, in order (with ``validate_requests``)."""
        self._runner: web.AppRunner | None = None
        self.webhooks = WebhookSender(auth_token)
        """Outgoing webhooks: set ``webhooks.url`` (or pass ``webhook_url=``), read
        ``webhooks.deliveries``, ``await webhooks.drain()``; ``webhooks.filters`` limits events."""
        self.webhooks.url = webhook_url
        self.app = web.Application(middlewares=[self._middleware], client_max_size=MAX_UPLOAD)
        self.app.router.add_get(STATS_PATH, self._stats)
        self.app.router.add_routes(MediaService(lambda: self.store, lambda: self.base_url).routes())
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

    @property
    def media_base_url(self) -> str:
        """The Media Content Service's root on this server (``Session(media_base_url=...)``)."""
        return self.base_url + MCS_PREFIX

    def session(self, **options: Any) -> Session:
        """A :class:`~conversations_async.Session` pointed at this emulator (both roots) with its
        credentials."""
        from .._session import Session

        options.setdefault("account_sid", self.account_sid)
        if "api_key" not in options:
            options.setdefault("auth_token", self.auth_token)
        options.setdefault("base_url", self.base_url)
        options.setdefault("media_base_url", self.base_url + MCS_PREFIX)
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
    def implicit_services(self) -> bool:
        """True: an unknown ``IS…`` used as a scope is a service made before the test (then
        fetched and listed); False: 404 / 20404, as Twilio answers. Deleted ones are 404."""
        return service_state.of(self.store).implicit

    @implicit_services.setter
    def implicit_services(self, implicit: bool) -> None:
        service_state.of(self.store).implicit = implicit

    def update_delivery(
        self,
        conversation: str,
        message: str,
        receipt: str,
        status: str,
        *,
        service: str | None = None,
        error_code: int = 0,
    ) -> JSONDict:
        """Play the channel reporting a delivery: move a receipt to ``status`` (``delivered``,
        ``read``, ``failed``, ...), update the message's ``delivery`` summary and send
        ``onDeliveryUpdated``. Call it from the running loop; raises the emulator's
        :class:`~conversations_async.testing.TwilioError` (404) for a missing receipt."""
        changed = delivery_receipts.set_status(
            self.store, service, conversation, message, receipt, status, error_code=error_code
        )
        self.webhooks.dispatch(
            self.store,
            delivery_receipts.webhook_params("onDeliveryUpdated", changed),
            service=service,
        )
        return changed

    async def simulate_message(
        self,
        conversation: str,
        *,
        author: str,
        body: str,
        attributes: Any = None,
        service: str | None = None,
        source: str = "SDK",
    ) -> JSONDict | None:
        """A user sends a message (from a client SDK; ``source="SMS"`` with an address as
        ``author``: from a phone). The pre-action ``onMessageAdd`` goes to the configured
        pre-webhook URL, whose 4xx/5xx rejects it (None is returned, nothing is added) and whose
        200 JSON may change ``body``, ``author``, ``attributes``; then the message is stored and
        ``onMessageAdded`` goes out as configured (``await webhooks.drain()`` to wait). Returns
        the message's JSON. ``author`` must be a participant's identity or address."""
        added, _ = await simulate_message(
            self.store,
            self.webhooks,
            conversation,
            author=author,
            body=body,
            attributes=attributes,
            service=service,
            source=source,
        )
        return added

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
