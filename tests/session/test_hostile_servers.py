"""The Session against servers we did not write: small aiohttp and raw asyncio servers on loopback.

Each server here misbehaves in one way (resets, short bodies, drips, redirects, 429 forever, huge
``Retry-After``); the Session must answer with its typed errors, keep its credentials out of every
error, never freeze, and end its requests when closed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import logging
import socket
import struct
import traceback
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import FAST_RETRY
from multidict import CIMultiDict

from conversations_async import (
    AdaptiveLimiter,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConcurrencyLimiter,
    ConversationsError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    Session,
    SessionClosedError,
    SessionLoopError,
)

# Module constants, not locals: a traceback's locals must be free of them for the test's own
# frames too.
ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "hostile-auth-token-5f1e2d"
API_KEY = "SK" + "b" * 32
API_SECRET = "hostile-api-secret-9c8b7a"
SECRETS = (
    AUTH_TOKEN,
    API_SECRET,
    base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode(),
    base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode(),
)
THEIR_AUTHORIZATION = "Basic " + base64.b64encode(b"theirs:not-ours").decode()
CONVERSATION_SID = "CH" + "0" * 32
CONVERSATION = {"sid": CONVERSATION_SID, "account_sid": ACCOUNT_SID}
TWO_TRIES = RetryPolicy(attempts=2, initial=0.0, max_wait=0.0, jitter=False)
LONG_TIMEOUT = aiohttp.ClientTimeout(total=3600)
"""Longer than the 60 s pytest timeout: a test that relies on it ending hangs and fails."""


# -- servers ---------------------------------------------------------------------------------------

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_answer(status: int, payload: object, headers: dict[str, str] | None = None) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(payload, status=status, headers=headers)

    return answer


def text_answer(status: int, text: str, headers: dict[str, str] | None = None) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=text, content_type="text/html", headers=headers)

    return answer


class Hostile:
    """An aiohttp.web server whose answers each test scripts; it records every request."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[tuple[str, str, CIMultiDict[str]]] = []
        self.answer: Answer = json_answer(200, CONVERSATION)
        self.arrived = asyncio.Condition()
        self.release = asyncio.Event()
        """Set at teardown: ends every handler still hanging or dripping."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.requests.append((request.method, request.path_qs, CIMultiDict(request.headers)))
        async with self.arrived:
            self.arrived.notify_all()
        return await self.answer(request)

    async def wait_for_requests(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.requests) >= count)

    async def hang(self, request: web.Request) -> web.StreamResponse:
        await self.release.wait()
        return web.json_response(CONVERSATION)

    async def drip(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 10_000
        await response.prepare(request)
        # One byte at a time, each well inside any read timeout, the whole far beyond the total.
        while not self.release.is_set():
            try:
                await response.write(b" ")
            except (ConnectionError, RuntimeError):  # the client gave up
                break
            await asyncio.sleep(0.02)
        return response


@pytest.fixture
async def hostile(aiohttp_server: Any) -> AsyncIterator[Hostile]:
    server = Hostile()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    running = await aiohttp_server(app)
    server.url = str(running.make_url("")).rstrip("/")
    yield server
    server.release.set()


RawBehaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def reset(writer: asyncio.StreamWriter) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), not an orderly close."""
    writer.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
    )
    writer.transport.abort()


async def reset_before_answering(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    reset(writer)


async def reset_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    writer.write(b'{"sid": "CH')
    await writer.drain()
    await asyncio.sleep(0.05)
    reset(writer)


async def truncated_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    writer.write(b'{"sid": "CH')
    await writer.drain()
    writer.close()  # an orderly close, 89 bytes short of what Content-Length promised


class RawServer:
    """A bare asyncio server, for answers aiohttp.web would never send."""

    def __init__(self, behaviour: RawBehaviour) -> None:
        self.behaviour = behaviour
        self.heads: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            await self.behaviour(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[RawBehaviour], Awaitable[str]]]:
    servers: list[RawServer] = []

    async def start(behaviour: RawBehaviour) -> str:
        server = RawServer(behaviour)
        servers.append(server)
        return await server.start()

    yield start
    for server in servers:
        await server.stop()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# -- secrets -------------------------------------------------------------------------------------


def exceptions_reachable_from(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception reachable from it: args, __cause__, __context__, groups."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        exc = stack.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        yield exc
        stack.extend(arg for arg in exc.args if isinstance(arg, BaseException))
        stack.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)


def assert_no_secret_reachable(error: BaseException, log: str = "") -> None:
    texts = [log]
    for exc in exceptions_reachable_from(error):
        texts += [repr(exc), str(exc), repr(exc.args), repr(getattr(exc, "__dict__", {}))]
        texts += [repr(value) for value in getattr(exc, "__dict__", {}).values()]
        texts.append(
            "".join(
                traceback.TracebackException(
                    type(exc), exc, exc.__traceback__, capture_locals=True
                ).format()
            )
        )
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            for value in frame.f_locals.values():
                # Plain containers show everything they hold; only our header class masks.
                if type(value) in (dict, list, tuple, str, bytes):
                    texts.append(repr(value))
    everything = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in everything


SCENARIOS: dict[str, tuple[type[ConversationsError], str]] = {
    # name: (the error expected, what the server does)
    "refused": (APIConnectionError, "nothing listens"),
    "reset": (APIConnectionError, "a TCP reset before answering"),
    "reset mid-body": (APIConnectionError, "a TCP reset after part of the body"),
    "truncated body": (APIConnectionError, "Content-Length larger than the body sent"),
    "timeout": (APITimeoutError, "no answer at all"),
    "401": (AuthenticationError, "Twilio's JSON error"),
    "404 html": (NotFoundError, "a proxy's HTML page"),
    "500": (ServerError, "a JSON 500"),
    "429 exhausted": (RateLimitError, "429 on every try"),
    "429 huge retry-after": (RateLimitError, "429 with Retry-After: 1e9"),
    "200 not json": (ResponseValidationError, "a 2xx HTML body"),
    "200 nested too deep": (ResponseValidationError, "JSON nested beyond the parser's limit"),
    "redirect": (APIStatusError, "a 302 to somewhere else"),
}


async def base_url_for(
    scenario: str, hostile: Hostile, raw_server: Callable[[RawBehaviour], Awaitable[str]]
) -> str:
    raw = {
        "reset": reset_before_answering,
        "reset mid-body": reset_mid_body,
        "truncated body": truncated_body,
    }
    if scenario == "refused":
        return closed_port_url()
    if scenario in raw:
        return await raw_server(raw[scenario])
    hostile.answer = {
        "timeout": hostile.hang,
        "401": json_answer(401, {"code": 20003, "message": "Authenticate", "status": 401}),
        "404 html": text_answer(404, "<html><body>Not here</body></html>"),
        "500": json_answer(500, {"code": 20500, "message": "Internal", "status": 500}),
        "429 exhausted": json_answer(429, {"code": 20429, "message": "Too many", "status": 429}),
        "429 huge retry-after": json_answer(429, {"code": 20429}, {"Retry-After": "1e9"}),
        "200 not json": text_answer(200, "<html>maintenance</html>"),
        "200 nested too deep": text_answer(200, "[" * 200_000),
        "redirect": text_answer(302, "", {"Location": closed_port_url() + "/v1/Conversations"}),
    }[scenario]
    return hostile.url


async def run_operation(session: Session, operation: str) -> None:
    if operation == "fetch":
        await session.conversations.fetch(CONVERSATION_SID)
    else:  # a POST whose request adds a header of its own to the fixed ones
        await session.conversations.create(friendly_name="x", webhook_enabled=True)


def session_with(
    pool: str, base_url: str, borrowed: aiohttp.ClientSession | None, timeout: float
) -> Session:
    # Built here so that no frame of the test itself holds the credentials.
    if pool == "owned api key":
        return Session(
            account_sid=ACCOUNT_SID,
            api_key=API_KEY,
            api_secret=API_SECRET,
            base_url=base_url,
            timeout=timeout,
            retry=TWO_TRIES,
        )
    return Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=base_url,
        timeout=timeout,
        retry=TWO_TRIES,
        http_session=borrowed,
    )


@pytest.mark.parametrize("operation", ["fetch", "create with webhook header"])
@pytest.mark.parametrize("pool", ["owned token", "owned api key", "borrowed hostile pool"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_no_error_reaches_a_secret(
    scenario: str,
    pool: str,
    operation: str,
    hostile: Hostile,
    raw_server: Callable[[RawBehaviour], Awaitable[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    expected, _ = SCENARIOS[scenario]
    base_url = await base_url_for(scenario, hostile, raw_server)
    borrowed = None
    if pool == "borrowed hostile pool":
        borrowed = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=300),
            raise_for_status=True,
            headers={"Authorization": THEIR_AUTHORIZATION, "X-Theirs": "1"},
        )
    try:
        # Short only where the server never answers: elsewhere a timeout would be the wrong
        # error, and one full run of the suite did report a truncated body as one at 0.5 s.
        timeout = 0.5 if scenario == "timeout" else 10.0
        async with session_with(pool, base_url, borrowed, timeout) as session:
            with pytest.raises(ConversationsError) as raised:
                await run_operation(session, operation)
    finally:
        if borrowed is not None:
            await borrowed.close()
    assert type(raised.value) is expected
    for exc in exceptions_reachable_from(raised.value):
        assert not isinstance(exc, aiohttp.ClientError)
    assert_no_secret_reachable(raised.value, caplog.text)


async def test_connection_errors_keep_no_aiohttp_exception(
    raw_server: Callable[[RawBehaviour], Awaitable[str]],
) -> None:
    url = await raw_server(reset_mid_body)
    async with Session(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=url, retry=TWO_TRIES
    ) as session:
        with pytest.raises(APIConnectionError) as raised:
            await session.conversations.fetch(CONVERSATION_SID)
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None


# -- a borrowed http_session ----------------------------------------------------------------------


async def test_a_borrowed_pool_gets_our_timeout_status_handling_and_credentials(
    hostile: Hostile,
) -> None:
    async with aiohttp.ClientSession(
        base_url="http://127.0.0.1:1/elsewhere/",
        timeout=aiohttp.ClientTimeout(total=None),
        raise_for_status=True,
        headers={"Authorization": THEIR_AUTHORIZATION, "User-Agent": "theirs", "X-Theirs": "1"},
    ) as borrowed:
        async with Session(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            base_url=hostile.url,
            timeout=10.0,
            retry=TWO_TRIES,
            http_session=borrowed,
        ) as session:
            hostile.answer = json_answer(404, {"code": 20404, "message": "Not found"})
            with pytest.raises(NotFoundError):  # not aiohttp's ClientResponseError
                await session.conversations.fetch(CONVERSATION_SID)
            hostile.answer = hostile.hang
            # Short only where the server never answers: a loaded machine may take longer
            # than half a second to answer the others.
            with pytest.raises(APITimeoutError):  # their timeout is None: this would hang
                await session.with_options(timeout=0.5).conversations.create(friendly_name="x")
            hostile.answer = json_answer(200, CONVERSATION)
            assert (await session.conversations.fetch(CONVERSATION_SID)).sid == CONVERSATION_SID
        assert not borrowed.closed
    ours = "Basic " + SECRETS[2]
    assert len(hostile.requests) == 3  # all sent to our base_url, not to theirs
    for _method, path, headers in hostile.requests:
        assert path.startswith("/v1/Conversations")
        assert headers.getall("Authorization") == [ours]
        assert headers["User-Agent"].startswith("conversations-async/")
        assert headers["X-Theirs"] == "1"  # their other defaults still apply


async def test_aiohttp_cannot_combine_session_auth_with_our_header(hostile: Hostile) -> None:
    # Why a pool with auth= is refused: aiohttp raises for every request we would send.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # auth=, since aiohttp 3.14
        borrowed = aiohttp.ClientSession(auth=aiohttp.BasicAuth("u", "p"))
    try:
        with pytest.raises(ValueError, match="Cannot combine AUTHORIZATION"):
            await borrowed.get(hostile.url, headers={"Authorization": "Basic x"})
        with pytest.raises(InvalidArgumentError) as raised:
            Session(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, http_session=borrowed)
    finally:
        await borrowed.close()
    assert raised.value.field == "http_session"
    assert hostile.requests == []


async def test_a_closed_borrowed_pool_is_a_typed_error(hostile: Hostile) -> None:
    borrowed = aiohttp.ClientSession()
    await borrowed.close()
    with pytest.raises(InvalidArgumentError) as refused:
        Session(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, http_session=borrowed)
    assert refused.value.field == "http_session"

    borrowed = aiohttp.ClientSession()
    session = Session(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=hostile.url, http_session=borrowed
    )
    await session.conversations.fetch(CONVERSATION_SID)
    await borrowed.close()  # closed behind the Session's back
    with pytest.raises(SessionClosedError) as raised:
        await session.conversations.fetch(CONVERSATION_SID)
    assert raised.value.__context__ is None
    await session.aclose()
    assert len(hostile.requests) == 1


def test_a_borrowed_pool_of_another_loop_is_a_session_loop_error() -> None:
    other_loop = asyncio.new_event_loop()

    async def make_pool() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    borrowed = other_loop.run_until_complete(make_pool())
    session = Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=closed_port_url(),
        http_session=borrowed,
    )
    try:
        with pytest.raises(SessionLoopError):
            asyncio.run(session.conversations.fetch(CONVERSATION_SID))
    finally:
        other_loop.run_until_complete(borrowed.close())
        other_loop.close()


async def test_a_borrowed_pool_that_does_not_decompress_still_reads_answers(
    hostile: Hostile,
) -> None:
    async def maybe_gzipped(request: web.Request) -> web.StreamResponse:
        body = json.dumps(CONVERSATION).encode()
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return web.Response(
                body=gzip.compress(body),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        return web.Response(body=body, content_type="application/json")

    hostile.answer = maybe_gzipped
    async with aiohttp.ClientSession(auto_decompress=False) as borrowed:
        async with Session(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            base_url=hostile.url,
            http_session=borrowed,
        ) as session:
            assert (await session.conversations.fetch(CONVERSATION_SID)).sid == CONVERSATION_SID


# -- Retry-After ----------------------------------------------------------------------------------


class FakeTime:
    """One clock for the limiter and one sleep for both the limiter and the Session."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.session_waits: list[float] = []
        self.limiter_waits: list[float] = []

    def time(self) -> float:
        return self.now

    async def session_sleep(self, seconds: float) -> None:
        self.session_waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    async def limiter_sleep(self, seconds: float) -> None:
        self.limiter_waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def limiter(self, **options: Any) -> AdaptiveLimiter:
        return AdaptiveLimiter(clock=self.time, sleep=self.limiter_sleep, **options)


def in_a_day() -> str:
    return format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)


@pytest.mark.parametrize("retry_after", ["1e9", "86400", "HTTP-DATE"])
async def test_a_huge_retry_after_is_raised_at_once_and_pauses_nobody(
    hostile: Hostile, retry_after: str
) -> None:
    header = in_a_day() if retry_after == "HTTP-DATE" else retry_after
    throttled = f"/v1/Conversations/{CONVERSATION_SID}"

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path == throttled:
            return web.json_response({"code": 20429}, status=429, headers={"Retry-After": header})
        return web.json_response(CONVERSATION)

    hostile.answer = answer
    clock = FakeTime()
    limiter = clock.limiter()
    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        retry=RetryPolicy(),  # the defaults: retry_after_cap 60 s, deadline 45 s
        limiter=limiter,
        sleep=clock.session_sleep,
    ) as session:
        with pytest.raises(RateLimitError) as raised:
            await session.conversations.fetch(CONVERSATION_SID)
        assert raised.value.retry_after is not None and raised.value.retry_after > 80_000
        assert limiter.state.paused_for == 0
        assert limiter.state.throttled == 1
        # Everyone else goes on at once.
        others = await asyncio.gather(
            *(session.conversations.fetch("CH" + str(i) * 32) for i in range(1, 6))
        )
    assert [c.sid for c in others] == [CONVERSATION_SID] * 5
    assert clock.session_waits == [] and clock.limiter_waits == []
    assert len(hostile.requests) == 6


async def test_a_retry_after_the_policy_takes_pauses_others_exactly_that_long(
    hostile: Hostile,
) -> None:
    first = True

    async def answer(request: web.Request) -> web.StreamResponse:
        nonlocal first
        if first:
            first = False
            return web.json_response({"code": 20429}, status=429, headers={"Retry-After": "5"})
        return web.json_response(CONVERSATION)

    hostile.answer = answer
    clock = FakeTime()
    limiter = clock.limiter()
    pauses: list[float] = []

    def on_retry(event: RetryEvent) -> None:
        pauses.append(limiter.state.paused_for)

    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        retry=RetryPolicy(on_retry=on_retry),
        limiter=limiter,
        sleep=clock.session_sleep,
    ) as session:
        await session.conversations.fetch(CONVERSATION_SID)
    assert clock.session_waits == [5.0]
    assert pauses == [5.0]  # the shared pause is the throttled request's own wait


@pytest.mark.parametrize(
    ("retry_after", "policy"),
    [
        ("30", RetryPolicy(deadline=10.0)),  # under the cap, beyond the deadline
        ("30", RetryPolicy(retry_after_cap=20.0, deadline=100.0)),  # beyond the cap
        ("3", RetryPolicy(attempts=1)),  # no retries at all
    ],
)
async def test_no_shared_pause_when_the_policy_does_not_retry(
    hostile: Hostile, retry_after: str, policy: RetryPolicy
) -> None:
    hostile.answer = json_answer(429, {"code": 20429}, {"Retry-After": retry_after})
    clock = FakeTime()
    limiter = clock.limiter()
    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        retry=policy,
        limiter=limiter,
        sleep=clock.session_sleep,
    ) as session:
        with pytest.raises(RateLimitError):
            await session.conversations.fetch(CONVERSATION_SID)
        assert limiter.state.paused_for == 0
    assert clock.session_waits == [] and len(hostile.requests) == 1


def test_next_wait_follows_the_retry_after_within_cap_and_deadline() -> None:
    from conversations_async._sansio import Request

    get = Request(method="GET")
    policy = RetryPolicy(attempts=3, retry_after_cap=60.0, deadline=45.0)

    def throttled(retry_after: float | None) -> RateLimitError:
        return RateLimitError(retry_after=retry_after, status=429, code=20429, message="x")

    assert policy.next_wait(throttled(10.0), get, 1, elapsed=0.0) == 10.0
    assert policy.next_wait(throttled(10.0), get, 1, elapsed=40.0) is None  # past the deadline
    assert policy.next_wait(throttled(61.0), get, 1, elapsed=0.0) is None  # beyond the cap
    assert policy.next_wait(throttled(10.0), get, 3, elapsed=0.0) is None  # attempts used up
    assert policy.next_wait(throttled(None), get, 1, elapsed=0.0) is not None


# -- 429 forever, drips, cuts, redirects ----------------------------------------------------------


async def test_429_forever_without_retry_after_ends_after_the_attempts(hostile: Hostile) -> None:
    hostile.answer = json_answer(429, {"code": 20429, "message": "Too many"})
    clock = FakeTime()
    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        retry=FAST_RETRY,
        limiter=clock.limiter(),
        sleep=clock.session_sleep,
    ) as session:
        with pytest.raises(RateLimitError):
            await session.participants.create(CONVERSATION_SID, identity="alice")
        assert session.stats.throttled == FAST_RETRY.attempts
    assert len(hostile.requests) == FAST_RETRY.attempts
    assert clock.session_waits == [0.0] * (FAST_RETRY.attempts - 1)


@pytest.mark.parametrize(
    ("policy", "tries"),
    [(RetryPolicy(attempts=4), 4), (RetryPolicy(deadline=2.5), 3)],
)
async def test_429_forever_with_retry_after_ends_by_attempts_or_deadline(
    hostile: Hostile, policy: RetryPolicy, tries: int
) -> None:
    hostile.answer = json_answer(429, {"code": 20429}, {"Retry-After": "1"})
    clock = FakeTime()
    limiter = clock.limiter()
    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        retry=policy,
        limiter=limiter,
        sleep=clock.session_sleep,
    ) as session:
        with pytest.raises(RateLimitError):
            await session.conversations.fetch(CONVERSATION_SID)
    assert len(hostile.requests) == tries
    assert clock.session_waits == [1.0] * (tries - 1)
    # The request slept out each pause itself; the limiter never had to hold it.
    assert clock.limiter_waits == []


async def test_a_dripping_body_ends_with_the_sessions_timeout(hostile: Hostile) -> None:
    hostile.answer = hostile.drip
    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        timeout=0.5,
        retry=FAST_RETRY,
    ) as session:
        with pytest.raises(APITimeoutError) as raised:
            await session.conversations.create(friendly_name="drip")
    assert raised.value.sent is True and len(hostile.requests) == 1  # a POST: not resent


@pytest.mark.parametrize("behaviour", [reset_mid_body, truncated_body], ids=["reset", "short"])
async def test_a_cut_body_is_a_connection_error(
    raw_server: Callable[[RawBehaviour], Awaitable[str]], behaviour: RawBehaviour
) -> None:
    url = await raw_server(behaviour)
    async with Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=url,
        retry=FAST_RETRY,
    ) as session:
        with pytest.raises(APIConnectionError) as raised:
            await session.participants.create(CONVERSATION_SID, identity="alice")
    assert type(raised.value) is APIConnectionError and raised.value.sent is True
    assert "ClientPayloadError" in str(raised.value)  # the cause, named in text only


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("pool", ["owned", "borrowed"])
async def test_a_redirect_to_another_host_is_never_followed(
    aiohttp_server: Any, hostile: Hostile, status: int, pool: str
) -> None:
    elsewhere: list[CIMultiDict[str]] = []

    async def record(request: web.Request) -> web.StreamResponse:
        elsewhere.append(CIMultiDict(request.headers))
        return web.json_response(CONVERSATION)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    other = await aiohttp_server(app)
    hostile.answer = text_answer(status, "", {"Location": str(other.make_url("/v1/Conversations"))})
    borrowed = aiohttp.ClientSession() if pool == "borrowed" else None
    try:
        async with Session(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            base_url=hostile.url,
            retry=FAST_RETRY,
            http_session=borrowed,
        ) as session:
            with pytest.raises(APIStatusError) as raised:
                await session.conversations.create(friendly_name="x")
    finally:
        if borrowed is not None:
            await borrowed.close()
    assert raised.value.status == status
    assert elsewhere == []  # nothing reached the other host, credentials least of all
    assert len(hostile.requests) == 1


# -- lifecycle ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", ["owned", "borrowed"])
async def test_aclose_ends_requests_in_flight_queued_and_sleeping(
    hostile: Hostile, pool: str
) -> None:
    retry_sleep_started = asyncio.Event()

    async def sleep_forever(seconds: float) -> None:
        retry_sleep_started.set()
        await asyncio.Event().wait()

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("CH" + "5" * 32):
            return web.json_response({"code": 20500}, status=503)  # a GET: retried, so it sleeps
        return await hostile.hang(request)

    hostile.answer = answer
    borrowed = aiohttp.ClientSession() if pool == "borrowed" else None
    session = Session(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        base_url=hostile.url,
        timeout=LONG_TIMEOUT,
        limiter=AdaptiveLimiter(max_permits=2),
        http_session=borrowed,
        sleep=sleep_forever,
    )
    try:
        sleeping = asyncio.create_task(session.conversations.fetch("CH" + "5" * 32))
        await retry_sleep_started.wait()
        in_flight = [
            asyncio.create_task(session.conversations.fetch(CONVERSATION_SID)) for _ in range(2)
        ]
        await hostile.wait_for_requests(3)
        queued = [
            asyncio.create_task(session.conversations.create(friendly_name="q")) for _ in range(3)
        ]
        await asyncio.sleep(0)  # one step each: the creates queue for the service's write turn
        assert session.limiter.state.waiting == 3
        await session.aclose()
        results = await asyncio.gather(sleeping, *in_flight, *queued, return_exceptions=True)
        assert all(isinstance(result, SessionClosedError) for result in results), results
        assert all(result.__context__ is None for result in results)  # type: ignore[union-attr]
        assert session.limiter.state.in_flight == 0 and session.limiter.state.waiting == 0
        assert len(hostile.requests) == 3  # the queued ones were never sent
        if borrowed is not None:
            assert not borrowed.closed
            hostile.answer = json_answer(200, CONVERSATION)
            async with borrowed.get(hostile.url + "/still-usable") as response:
                assert response.status == 200
    finally:
        if borrowed is not None:
            await borrowed.close()


async def test_a_task_whose_request_aclose_ended_goes_on_uncancelled(hostile: Hostile) -> None:
    hostile.answer = hostile.hang
    session = Session(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=hostile.url, timeout=LONG_TIMEOUT
    )

    async def caller() -> str:
        with contextlib.suppress(SessionClosedError):
            await session.conversations.fetch(CONVERSATION_SID)
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        await asyncio.sleep(0.01)  # no cancel left pending on the task
        return "went on"

    task = asyncio.create_task(caller())
    await hostile.wait_for_requests(1)
    await session.aclose()
    assert await task == "went on"


async def test_a_cancel_from_elsewhere_is_still_a_cancel(hostile: Hostile) -> None:
    hostile.answer = hostile.hang
    async with Session(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=hostile.url, timeout=LONG_TIMEOUT
    ) as session:
        task = asyncio.create_task(session.conversations.fetch(CONVERSATION_SID))
        await hostile.wait_for_requests(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Cancelled by its owner and by aclose() together: the owner's cancel wins.
        task = asyncio.create_task(session.conversations.fetch(CONVERSATION_SID))
        await hostile.wait_for_requests(2)
        task.cancel()
        await session.aclose()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_a_session_used_from_a_second_loop_is_a_session_loop_error() -> None:
    session = Session(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=closed_port_url())
    first_loop = asyncio.new_event_loop()
    try:
        first_loop.run_until_complete(session.__aenter__())
        with pytest.raises(SessionLoopError) as raised:
            asyncio.run(session.conversations.fetch(CONVERSATION_SID))
        assert isinstance(raised.value, ConversationsError)
        with pytest.raises(SessionLoopError):
            asyncio.run(session.aclose())
        assert not session.closed
    finally:
        first_loop.run_until_complete(session.aclose())
        first_loop.close()


@pytest.mark.parametrize(
    "limiter", [AdaptiveLimiter(), ConcurrencyLimiter()], ids=["adaptive", "concurrency"]
)
def test_a_limiter_used_from_a_second_loop_is_a_session_loop_error(limiter: Any) -> None:
    async def use() -> None:
        async with limiter.slot(None) as slot:
            slot.succeeded()

    asyncio.run(use())
    with pytest.raises(SessionLoopError, match="another event loop"):
        asyncio.run(use())
