"""Session lifecycle, credentials, hosts and transport errors, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from conversations_async import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InvalidArgumentError,
    RetryEvent,
    RetryPolicy,
    Session,
    SessionClosedError,
)
from conversations_async._options import basic_authorization, twilio_host, user_agent
from conversations_async.testing import Emulator, Faults

TOKEN = "super-secret-token-value"


def test_constructing_outside_a_loop_builds_nothing() -> None:
    session = Session(account_sid="AC" + "1" * 32, auth_token=TOKEN)
    assert session._http is None
    assert (
        session.base_url.host == "conversations.twilio.com" and session.base_url.scheme == "https"
    )


def test_the_token_never_shows_in_repr() -> None:
    session = Session(account_sid="AC" + "1" * 32, auth_token=TOKEN)
    encoded = basic_authorization("AC" + "1" * 32, TOKEN)
    for text in (repr(session), str(session), repr(vars(session))):
        assert TOKEN not in text
        assert encoded.split()[1] not in text


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"account_sid": "AC1"},
        {"auth_token": TOKEN},
        {"api_key": "SK1"},
        {"api_key": "SK1", "account_sid": "AC1"},
    ],
)
def test_missing_credentials_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        Session(**options)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://conversations.twilio.com",
        "http://10.0.0.5:8080",
        "ftp://example.com",
        "/v1",
        "https://u:p@example.com",
    ],
)
def test_unsafe_or_malformed_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        Session(account_sid="AC1", auth_token=TOKEN, base_url=base_url)
    assert raised.value.field == "base_url"


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8099", "http://localhost:1", "http://[::1]:8099", "https://example.com"],
)
def test_loopback_http_and_https_are_accepted(base_url: str) -> None:
    assert str(Session(account_sid="AC1", auth_token=TOKEN, base_url=base_url).base_url).startswith(
        base_url
    )


@pytest.mark.parametrize(
    ("edge", "region", "host"),
    [
        (None, None, "conversations.twilio.com"),
        ("sydney", "au1", "conversations.sydney.au1.twilio.com"),
        ("dublin", None, "conversations.dublin.us1.twilio.com"),
        (None, "ie1", "conversations.ie1.twilio.com"),
    ],
)
def test_edge_and_region_build_twilio_hosts(
    edge: str | None, region: str | None, host: str
) -> None:
    assert twilio_host(edge, region) == host
    assert (
        Session(account_sid="AC1", auth_token=TOKEN, edge=edge, region=region).base_url.host == host
    )


def test_base_url_and_edge_conflict() -> None:
    with pytest.raises(InvalidArgumentError):
        Session(account_sid="AC1", auth_token=TOKEN, base_url="https://x.example", edge="sydney")


def test_from_env_reads_twilio_variables() -> None:
    token_session = Session.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": TOKEN})
    assert token_session.account_sid == "AC1"
    key_session = Session.from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_API_KEY": "SK1",
            "TWILIO_API_SECRET": "s",
            "TWILIO_REGION": "ie1",
        }
    )
    assert key_session.base_url.host == "conversations.ie1.twilio.com"
    with pytest.raises(InvalidArgumentError):
        Session.from_env({})


async def test_requests_carry_user_agent_and_basic_auth(emulator: Emulator) -> None:
    async with emulator.session() as session:
        await session.conversations.create(friendly_name="x")
    request = emulator.requests[-1]
    assert request.headers["User-Agent"] == user_agent()
    assert request.headers["User-Agent"].startswith("conversations-async/")
    assert (
        "aiohttp/" in request.headers["User-Agent"] and "Python/" in request.headers["User-Agent"]
    )
    assert request.username == emulator.account_sid


async def test_api_key_credentials() -> None:
    async with Emulator(api_keys={"SK" + "a" * 32: "key-secret"}) as emulator:
        async with emulator.session(api_key="SK" + "a" * 32, api_secret="key-secret") as session:
            await session.conversations.create(friendly_name="x")
        assert emulator.requests[-1].username == "SK" + "a" * 32


async def test_wrong_token_is_an_authentication_error_without_the_token(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with emulator.session(auth_token=TOKEN) as session:
        with pytest.raises(AuthenticationError) as raised:
            await session.conversations.create(friendly_name="x")
    assert (raised.value.status, raised.value.code) == (401, 20003)
    for text in (str(raised.value), repr(raised.value), repr(raised.value.__dict__), caplog.text):
        assert TOKEN not in text


async def test_session_is_built_lazily_inside_the_loop(emulator: Emulator) -> None:
    session = emulator.session()
    built_before = session._http is not None
    await session.conversations.create(friendly_name="lazy")
    assert not built_before
    assert session._http is not None
    await session.aclose()
    assert session.closed


async def test_closed_session_raises_and_close_is_idempotent(emulator: Emulator) -> None:
    async with emulator.session() as session:
        pass
    await session.aclose()
    with pytest.raises(SessionClosedError):
        await session.conversations.create(friendly_name="late")
    with pytest.raises(SessionClosedError):
        async with session:
            pass


async def test_entering_twice_is_refused(emulator: Emulator) -> None:
    async with emulator.session() as session:
        with pytest.raises(RuntimeError, match="already entered"):
            await session.__aenter__()


async def test_a_request_running_when_the_session_closes_gets_session_closed(
    emulator: Emulator,
) -> None:
    emulator.faults.latency = 0.2
    session = emulator.session()
    task = asyncio.create_task(session.conversations.create(friendly_name="in flight"))
    await asyncio.sleep(0.05)
    await session.aclose()
    with pytest.raises(SessionClosedError):
        await task


@pytest.mark.spec_invalid_requests("a raw request without credentials: none were left behind")
async def test_a_borrowed_session_is_never_closed(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as borrowed:
        async with emulator.session(http_session=borrowed) as session:
            await session.conversations.create(friendly_name="borrowed")
        assert not borrowed.closed
        async with borrowed.get(f"{emulator.base_url}/v1/Conversations/CHx") as response:
            assert response.status == 401  # still usable; no credentials were left on it


async def test_an_owned_pool_never_closed_warns(emulator: Emulator) -> None:
    session = emulator.session()
    await session.conversations.create(friendly_name="x")
    with pytest.warns(ResourceWarning, match="never closed"):
        session.__del__()
    await session.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_nothing_listening_is_a_connection_error_retried_even_for_post() -> None:
    events: list[RetryEvent] = []
    policy = RetryPolicy(attempts=3, initial=0.0, max_wait=0.0, on_retry=events.append)
    async with Session(
        account_sid="AC1",
        auth_token=TOKEN,
        base_url=f"http://127.0.0.1:{_free_port()}",
        retry=policy,
    ) as session:
        with pytest.raises(APIConnectionError) as raised:
            await session.conversations.create(friendly_name="x")
    assert raised.value.sent is False
    assert not isinstance(raised.value.__cause__, aiohttp.ClientError)
    assert [e.attempt for e in events] == [1, 2]
    assert TOKEN not in str(raised.value)


async def test_timeouts_are_typed_and_a_create_is_not_resent() -> None:
    events: list[RetryEvent] = []
    policy = RetryPolicy(attempts=3, initial=0.0, max_wait=0.0, on_retry=events.append)
    async with Emulator(faults=Faults(latency=0.5)) as emulator:
        async with emulator.session(timeout=0.1, retry=policy) as session:
            with pytest.raises(APITimeoutError) as raised:
                await session.conversations.create(friendly_name="slow")
            assert raised.value.sent is True
            assert events == []  # ambiguous for a POST: not resent blindly
            with pytest.raises(APITimeoutError):
                await session.conversations.fetch("CHmissing")
            assert len(events) == 2  # a read is safe to repeat


def test_from_env_base_url_points_at_an_emulator() -> None:
    session = Session.from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:8099",
        }
    )
    assert str(session.base_url) == "http://127.0.0.1:8099"


@pytest.mark.parametrize("borrowed", [False, True])
async def test_each_header_is_sent_once_from_an_own_or_a_borrowed_pool(
    aiohttp_server: Any, borrowed: bool
) -> None:
    # The Session's own pool carries User-Agent and Accept itself; a borrowed one gets them on
    # each request. Either way every header arrives exactly once, with our values.
    seen: list[dict[str, list[str]]] = []

    async def create(request: web.Request) -> web.Response:
        names = ("User-Agent", "Accept", "Authorization", "Content-Type")
        seen.append({name: request.headers.getall(name, []) for name in names})
        return web.json_response({"sid": "MB" + "0" * 32}, status=201)

    app = web.Application()
    app.router.add_post("/v1/Conversations/{conversation}/Participants", create)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as pool:
        options: dict[str, Any] = {"http_session": pool} if borrowed else {}
        async with Session(
            account_sid="AC1", auth_token=TOKEN, base_url=str(server.make_url("/")), **options
        ) as session:
            await session.participants.create("CH" + "0" * 32, identity="alice")
    assert seen == [
        {
            "User-Agent": [user_agent()],
            "Accept": ["application/json"],
            "Authorization": [basic_authorization("AC1", TOKEN)],
            "Content-Type": ["application/x-www-form-urlencoded"],
        }
    ]
