"""What every request to the emulator goes through: authentication, the request log, the spec
check, scripted faults, latency, error answers, the after-commit roll, webhooks — and the one
generic handler that serves every route row. The base class of :class:`~.Emulator`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, NoReturn

from aiohttp import web

from ._faults import Faults, FaultState, ScriptedFault
from ._media import CONTENT_PATH
from ._paging import page
from ._probes import Counters, RecordedRequest
from ._routes import Route
from ._state import Form, JSONDict, Store, TwilioError, conversations
from ._state import services as service_state
from ._state._common import SERVICE_SID
from ._validation import RefusedRequest, RequestValidator
from ._webhooks import WebhookSender

STATS_PATH: Final = "/_emulator/stats"
CONCURRENT_REQUESTS_HEADER: Final = "Twilio-Concurrent-Requests"
WEBHOOK_HEADER: Final = "X-Twilio-Webhook-Enabled"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Serving:
    """Request handling; the Emulator holds the state it reads."""

    account_sid: str
    auth_token: str
    api_keys: dict[str, str]
    faults: Faults
    store: Store
    counters: Counters
    webhooks: WebhookSender
    validator: RequestValidator | None
    refused_requests: list[RefusedRequest]
    requests: Any
    _scripted: list[ScriptedFault]
    _fault_state: FaultState

    def stats(self) -> JSONDict:
        raise NotImplementedError

    # -- what every request goes through ------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == STATS_PATH or request.path.startswith(CONTENT_PATH + "/"):
            # Probes for other processes (benchmarks) and media's direct links, which work
            # without credentials (Twilio's are on another host): not counted.
            return await handler(request)
        counters = self.counters
        counters.requests += 1
        number = counters.requests
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
        if not response.prepared:
            # Twilio sends one on every answer (RQ + 32 hex digits); numbered here, so that
            # seeded SIDs stay as they were.
            response.headers["Twilio-Request-Id"] = f"RQ{number:032x}"
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
        if self.validator is not None and request.path.startswith("/v1/"):
            await self._validate(self.validator, request)
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
            if service is not None:
                service_state.require(self.store, service)  # 404 if deleted, or not implicit
            return await handler(request)
        except TwilioError as error:
            return error_response(error)

    async def _validate(self, validator: RequestValidator, request: web.Request) -> None:
        refusal = validator.check(
            request.method,
            request.raw_path.split("?", 1)[0],
            query=tuple(request.query.items()),
            body=await request.read() if request.body_exists else b"",
            content_type=request.headers.get("Content-Type", ""),
            headers=request.headers,
        )
        if refusal is not None:
            self.refused_requests.append(refusal)

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
        # Kept before the call: a deleted conversation's webhooks still get its removal.
        entry = None
        if "conversation" in params and route.event is not None:
            entry = conversations.lookup(store, service, params["conversation"])
        result = route.call(store, service, form, **params)
        if route.page is not None:
            answer = page(
                request, result, route.page, max_page_size=route.max_page_size, cursor=route.cursor
            )
            return web.json_response(answer)
        status = route.status_for(form)
        if not route.writes:
            return web.json_response(result, status=status)
        # Twilio sends the post-action webhook of a REST change only when the request carried
        # X-Twilio-Webhook-Enabled: true, whatever happens to the answer afterwards.
        event = route.webhook(result) if request.headers.get(WEBHOOK_HEADER) == "true" else None
        if event is not None:
            self.webhooks.dispatch(store, event, service=service, entry=entry)
        self.webhooks.flush(store)
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
