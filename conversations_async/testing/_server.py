"""The emulator: a real aiohttp server of Conversations v1 on loopback, with injectable faults."""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import fnmatch
import random
import re
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn, Self

import attrs
from aiohttp import web

from ._store import JSONDict, Limits, Store, TwilioError
from ._webhooks import WebhookSender, conversation_params, participant_params

WEBHOOK_HEADER: Final = "X-Twilio-Webhook-Enabled"

if TYPE_CHECKING:
    from .._session import Session

DEFAULT_ACCOUNT_SID: Final = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN: Final = "emulator-auth-token"
STATS_PATH: Final = "/_emulator/stats"
SERVICE_SID: Final = re.compile(r"^IS[0-9a-fA-F]{32}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.define(kw_only=True)
class Faults:
    """What goes wrong, and how often. Change the attributes at any time; ``seed`` makes it
    reproducible (each fault draws from its own seeded random stream)."""

    latency: float = 0.0
    """Seconds added before every answer."""
    max_in_flight: int | None = None
    """More concurrent requests than this are answered 429 / 20429."""
    retry_after: float | None = None
    """``Retry-After`` seconds sent with the 429s of ``max_in_flight`` (none when None)."""
    writes_per_second: float | None = None
    """Writes allowed per conversation (participant create/update/delete, conversation update)
    and per service (conversation create/delete) in any one-second window; more → 429."""
    server_error_rate: float = 0.0
    """Fraction of requests answered 500 before anything is done."""
    server_error_after_commit_rate: float = 0.0
    """Fraction of writes that are applied and then answered 500 (an ambiguous failure)."""
    disconnect_after_commit_rate: float = 0.0
    """Fraction of writes that are applied and then answered by cutting the connection."""
    seed: int = 0


@attrs.define(kw_only=True)
class ScriptedFault:
    method: str
    path_glob: str
    status: int
    code: int
    message: str
    headers: Mapping[str, str]
    times: int
    body: str | None = None
    disconnect: bool = False


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


class _WriteWindow:
    """Writes accepted per key in the last second (a sliding window, as strict as can be)."""

    def __init__(self) -> None:
        self._times: dict[str, collections.deque[float]] = {}

    def allow(self, key: str, limit: float, now: float) -> bool:
        times = self._times.setdefault(key, collections.deque())
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True


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
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_keys = dict(api_keys or {})
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.store = Store(account_sid=account_sid, seed=seed, limits=limits)
        self.missing_participant_code = missing_participant_code
        self.counters = Counters()
        self.requests: collections.deque[RecordedRequest] = collections.deque(maxlen=keep_requests)
        self._scripted: list[ScriptedFault] = []
        self._windows = _WriteWindow()
        self._seeded_for: tuple[Faults, int] | None = None
        self._rng_error = random.Random()
        self._rng_commit = random.Random()
        self._reseed()
        self._runner: web.AppRunner | None = None
        self.webhooks = WebhookSender(auth_token)
        """Outgoing webhooks: set ``webhooks.url`` (or pass ``webhook_url=``), read
        ``webhooks.deliveries``, ``await webhooks.drain()``; ``webhooks.filters`` limits events."""
        self.webhooks.url = webhook_url
        self.app = self._make_app()

    def __repr__(self) -> str:
        return f"<Emulator {self.base_url if self._runner else 'not started'}>"

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

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.webhooks.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

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
        self._scripted.append(
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

    # -- the app ------------------------------------------------------------------------------

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

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(STATS_PATH, self._stats)
        for prefix in ("/v1", "/v1/Services/{service}"):
            conversations = f"{prefix}/Conversations"
            app.router.add_post(conversations, self._create_conversation)
            app.router.add_get(conversations, self._list_conversations)
            app.router.add_post(
                f"{prefix}/ConversationWithParticipants", self._create_with_participants
            )
            conversation = f"{conversations}/{{conversation}}"
            app.router.add_get(conversation, self._fetch_conversation)
            app.router.add_post(conversation, self._update_conversation)
            app.router.add_delete(conversation, self._delete_conversation)
            participants = f"{conversation}/Participants"
            app.router.add_post(participants, self._create_participant)
            app.router.add_get(participants, self._list_participants)
            participant = f"{participants}/{{participant}}"
            app.router.add_get(participant, self._fetch_participant)
            app.router.add_post(participant, self._update_participant)
            app.router.add_delete(participant, self._delete_participant)
        return app

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
                return self._throttle(faults.retry_after)
            scripted = self._take_scripted(request)
            if scripted is not None and scripted.disconnect:
                self._disconnect(request)
            if scripted is not None and scripted.body is not None:
                return web.Response(
                    status=scripted.status,
                    text=scripted.body,
                    content_type="text/html",
                    headers=scripted.headers,
                )
            if scripted is not None:
                return error_response(
                    TwilioError(scripted.status, scripted.code, scripted.message), scripted.headers
                )
            if faults.latency:
                await asyncio.sleep(faults.latency)
            self._reseed()
            if faults.server_error_rate and self._rng_error.random() < faults.server_error_rate:
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

    def _take_scripted(self, request: web.Request) -> ScriptedFault | None:
        for fault in self._scripted:
            if fault.method == request.method and fnmatch.fnmatchcase(
                request.path, fault.path_glob
            ):
                fault.times -= 1
                if fault.times <= 0:
                    self._scripted.remove(fault)
                return fault
        return None

    def _throttle(self, retry_after: float | None) -> web.Response:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return error_response(TwilioError(429, 20429, "Too Many Requests"), headers)

    def _reseed(self) -> None:
        """(Re)start the fault streams when ``faults`` or its seed was replaced."""
        faults = self.faults
        if self._seeded_for is None or (
            self._seeded_for[0] is not faults or self._seeded_for[1] != faults.seed
        ):
            self._seeded_for = (faults, faults.seed)
            self._rng_error.seed(self.faults.seed)
            self._rng_commit.seed(self.faults.seed + 1)

    def _disconnect(self, request: web.Request) -> NoReturn:
        """Cut the connection with no answer at all, as a lost peer or a crashed proxy would."""
        self.counters.disconnects += 1
        transport = request.transport
        if transport is not None:
            transport.abort()
        # aiohttp treats a handler cancelled by a lost peer as routine (logged at DEBUG only).
        raise asyncio.CancelledError

    def _spend_write(self, key: str) -> None:
        """Enforce the per-second write budget of ``key`` (raises a 429 answer when spent)."""
        limit = self.faults.writes_per_second
        if limit is not None:
            now = asyncio.get_running_loop().time()
            if not self._windows.allow(key, limit, now):
                raise TwilioError(429, 20429, "Too many requests: actions per second limit reached")

    async def _committed(
        self,
        request: web.Request,
        body: JSONDict | None,
        status: int,
        event: Mapping[str, str] | None = None,
    ) -> web.Response:
        """Answer a write that was applied, or fail it *after* it was applied, as faults say.

        ``event`` is the post-action webhook of the change: Twilio sends it for a REST action
        only when the request carried ``X-Twilio-Webhook-Enabled: true``, whatever happens to
        the answer afterwards.
        """
        if event is not None and request.headers.get(WEBHOOK_HEADER) == "true":
            self.webhooks.send(event)
        faults = self.faults
        self.counters.creates += 1
        self._reseed()
        roll = self._rng_commit.random()
        if roll < faults.disconnect_after_commit_rate:
            self._disconnect(request)
        if roll < faults.disconnect_after_commit_rate + faults.server_error_after_commit_rate:
            self.counters.server_errors += 1
            return error_response(TwilioError(500, 20500, "Internal Server Error"))
        if body is None:
            return web.Response(status=status)  # a delete's 204 has no body
        return web.json_response(body, status=status)

    # -- handlers -----------------------------------------------------------------------------

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _create_conversation(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        form = await request.post()
        self._spend_write(f"service:{service or 'default'}")
        record = self.store.create_conversation(service, {k: str(v) for k, v in form.items()})
        event = conversation_params("onConversationAdded", record)
        return await self._committed(request, record, 201, event)

    async def _fetch_conversation(self, request: web.Request) -> web.Response:
        entry = self.store.find_conversation(
            request.match_info.get("service"), request.match_info["conversation"]
        )
        return web.json_response(entry.record)

    async def _create_participant(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        conversation = request.match_info["conversation"]
        form = await request.post()
        entry = self.store.find_conversation(service, conversation, "Participants")
        self._spend_write(f"conversation:{entry.record['sid']}")
        record = self.store.create_participant(
            service, conversation, {k: str(v) for k, v in form.items()}
        )
        event = participant_params("onParticipantAdded", record)
        return await self._committed(request, record, 201, event)

    async def _fetch_participant(self, request: web.Request) -> web.Response:
        _, record = self.store.find_participant(
            request.match_info.get("service"),
            request.match_info["conversation"],
            request.match_info["participant"],
        )
        return web.json_response(record)

    async def _list_participants(self, request: web.Request) -> web.Response:
        items = self.store.participants_of(
            request.match_info.get("service"), request.match_info["conversation"]
        )
        return web.json_response(page(request, items, "participants"))

    async def _update_conversation(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        conversation = request.match_info["conversation"]
        form = await request.post()
        entry = self.store.find_conversation(service, conversation)
        self._spend_write(f"conversation:{entry.record['sid']}")
        record = self.store.update_conversation(
            service, conversation, {k: str(v) for k, v in form.items()}
        )
        event = conversation_params("onConversationUpdated", record)
        return await self._committed(request, record, 200, event)

    async def _delete_conversation(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        entry = self.store.find_conversation(service, request.match_info["conversation"])
        self._spend_write(f"service:{service or 'default'}")
        event = conversation_params("onConversationRemoved", entry.record)
        self.store.delete_conversation(service, request.match_info["conversation"])
        return await self._committed(request, None, 204, event)

    async def _list_conversations(self, request: web.Request) -> web.Response:
        items = self.store.list_conversations(request.match_info.get("service"), request.query)
        return web.json_response(page(request, items, "conversations"))

    async def _create_with_participants(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        form = await request.post()
        participants = [str(v) for v in form.getall("Participant", [])]
        self._spend_write(f"service:{service or 'default'}")
        record = self.store.create_with_participants(
            service, {k: str(v) for k, v in form.items() if k != "Participant"}, participants
        )
        # Twilio answers 202 while it adds the participants, 201 for a bare conversation.
        return await self._committed(request, record, 202 if participants else 201)

    async def _update_participant(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        conversation = request.match_info["conversation"]
        form = await request.post()
        entry = self.store.find_conversation(
            service, conversation, "Participants", request.match_info["participant"]
        )
        self._spend_write(f"conversation:{entry.record['sid']}")
        record = self.store.update_participant(
            service,
            conversation,
            request.match_info["participant"],
            {k: str(v) for k, v in form.items()},
        )
        event = participant_params("onParticipantUpdated", record)
        return await self._committed(request, record, 200, event)

    async def _delete_participant(self, request: web.Request) -> web.Response:
        service = request.match_info.get("service")
        conversation = request.match_info["conversation"]
        entry = self.store.find_conversation(
            service, conversation, "Participants", request.match_info["participant"]
        )
        self._spend_write(f"conversation:{entry.record['sid']}")
        _, record = self.store.find_participant(
            service, conversation, request.match_info["participant"]
        )
        event = participant_params("onParticipantRemoved", record)
        self.store.delete_participant(service, conversation, request.match_info["participant"])
        return await self._committed(request, None, 204, event)


def error_response(error: TwilioError, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=headers)


def page(request: web.Request, items: list[JSONDict], key: str) -> JSONDict:
    """One page of ``items`` with Twilio's ``meta``: opaque cursor tokens, absolute URLs.

    The token names the last SID of the previous page, so items added while a client pages
    never shift what it has still to read.
    """
    query = request.query
    try:
        page_size = int(query.get("PageSize", "50"))
        page_number = int(query.get("Page", "0"))
    except ValueError:
        raise TwilioError(400, 20001, "Invalid parameter PageSize or Page") from None
    if not 1 <= page_size <= 100:
        raise TwilioError(400, 20007, "Page size too large: PageSize must be between 1 and 100")
    start = 0
    token = query.get("PageToken")
    if token is not None:
        after = decode_token(token)
        sids = [item["sid"] for item in items]
        if after not in sids:
            raise TwilioError(400, 21481, "Invalid PageToken")
        start = sids.index(after) + 1
    chunk = items[start : start + page_size]
    # Filters (StartDate, State, ...) stay in every link, as in Twilio's own page URLs.
    filters = [(k, v) for k, v in query.items() if k not in {"PageSize", "Page", "PageToken"}]

    def link(number: int, token: str | None) -> str:
        params = [*filters, ("PageSize", str(page_size)), ("Page", str(number))]
        if token:
            params.append(("PageToken", token))
        return str(request.url.with_query(params))

    has_next = start + page_size < len(items)
    next_url = link(page_number + 1, encode_token(chunk[-1]["sid"])) if has_next and chunk else None
    previous_url = None
    if start > 0:
        previous_start = max(0, start - page_size)
        previous_token = encode_token(items[previous_start - 1]["sid"]) if previous_start else None
        previous_url = link(max(0, page_number - 1), previous_token)
    return {
        key: chunk,
        "meta": {
            "page": page_number,
            "page_size": page_size,
            "first_page_url": link(0, None),
            "previous_page_url": previous_url,
            "url": str(request.url),
            "next_page_url": next_url,
            "key": key,
        },
    }


def encode_token(sid: str) -> str:
    return "PT" + base64.urlsafe_b64encode(sid.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    if not token.startswith("PT"):
        raise TwilioError(400, 21481, "Invalid PageToken")
    data = token[2:]
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise TwilioError(400, 21481, "Invalid PageToken") from None
