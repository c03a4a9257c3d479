"""WebhookRouter on a real aiohttp app over loopback, fed signed form bodies."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest
from _examples import load_example
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from conversations_async.webhooks import (
    SIGNATURE_HEADER,
    ConversationAdded,
    HandlerResult,
    MessageAdd,
    ParticipantAdd,
    ParticipantAdded,
    ParticipantEvent,
    Reject,
    WebhookEvent,
    WebhookRouter,
    body_sha256,
    compute_signature,
)

if TYPE_CHECKING:
    from types import ModuleType

TOKEN = "test-auth-token-0123456789abcdef"
PATH = "/twilio/conversations"

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]

PARTICIPANT_ADD = {
    "EventType": "onParticipantAdd",
    "AccountSid": "AC" + "0" * 32,
    "Source": "SDK",
    "ClientIdentity": "alice",
    "ConversationSid": "CH" + "1" * 32,
    "Identity": "bob",
    "RoleSid": "RL" + "2" * 32,
    "Attributes": '{"vip": true}',
}
PARTICIPANT_ADDED = {
    **PARTICIPANT_ADD,
    "EventType": "onParticipantAdded",
    "Source": "API",
    "ParticipantSid": "MB" + "3" * 32,
    "DateCreated": "2024-05-01T10:20:30Z",
}
MESSAGE_ADD = {
    "EventType": "onMessageAdd",
    "AccountSid": "AC" + "0" * 32,
    "Source": "SDK",
    "ConversationSid": "CH" + "1" * 32,
    "Author": "bob",
    "Body": "hello there",
    "Attributes": "{}",
}


async def post(
    client: Client,
    params: Mapping[str, str] | Sequence[tuple[str, str]],
    *,
    token: str = TOKEN,
    signed_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    sign: bool = True,
) -> tuple[int, Any]:
    url = signed_url or str(client.make_url(PATH))
    all_headers = dict(headers or {})
    if sign:
        all_headers[SIGNATURE_HEADER] = compute_signature(url, params, token)
    async with client.post(PATH, data=params, headers=all_headers) as response:
        body = await response.text()
        return response.status, json.loads(body) if body else None


async def serve(router: WebhookRouter, aiohttp_client: ClientFactory) -> Client:
    """A loopback test client for an app with *router* mounted on PATH."""
    app = web.Application()
    router.add_to(app, PATH)
    return await aiohttp_client(app)


@pytest.fixture
def router() -> WebhookRouter:
    return WebhookRouter(TOKEN, timeout=1.0)


@pytest.fixture
async def client(router: WebhookRouter, aiohttp_client: ClientFactory) -> Client:
    return await serve(router, aiohttp_client)


# --- signatures -------------------------------------------------------------------------------


async def test_bad_signature_is_403_and_not_dispatched(
    router: WebhookRouter, client: Client
) -> None:
    calls: list[WebhookEvent] = []

    @router.on(ParticipantAdded)
    async def handler(event: ParticipantAdded) -> HandlerResult:
        calls.append(event)
        return None

    assert (await post(client, PARTICIPANT_ADDED, token="wrong"))[0] == 403
    assert (await post(client, PARTICIPANT_ADDED, sign=False))[0] == 403
    tampered_url = str(client.make_url(PATH + "?x=1"))
    assert (await post(client, PARTICIPANT_ADDED, signed_url=tampered_url))[0] == 403
    assert calls == []


async def test_refusals_are_logged_under_the_package_logger(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # The router lives in a submodule; its records keep the name logging is configured for.
    caplog.set_level(logging.WARNING)
    assert (await post(client, PARTICIPANT_ADDED, token="wrong"))[0] == 403
    [record] = [r for r in caplog.records if "invalid signature" in r.getMessage()]
    assert record.name == "conversations_async.webhooks"


async def test_tampered_body_is_403(router: WebhookRouter, client: Client) -> None:
    url = str(client.make_url(PATH))
    signature = compute_signature(url, PARTICIPANT_ADD, TOKEN)
    forged = {**PARTICIPANT_ADD, "Identity": "mallory"}
    async with client.post(PATH, data=forged, headers={SIGNATURE_HEADER: signature}) as resp:
        assert resp.status == 403


async def test_rotated_tokens(aiohttp_client: ClientFactory) -> None:
    router = WebhookRouter(["new-token", TOKEN])
    client = await serve(router, aiohttp_client)
    assert (await post(client, PARTICIPANT_ADDED))[0] == 200
    assert (await post(client, PARTICIPANT_ADDED, token="new-token"))[0] == 200
    assert (await post(client, PARTICIPANT_ADDED, token="old-token"))[0] == 403


async def test_json_body_is_validated_then_refused(client: Client) -> None:
    body = json.dumps({"EventType": "onMessageAdded"}).encode()
    url = str(client.make_url(f"{PATH}?bodySHA256={body_sha256(body)}"))
    headers = {SIGNATURE_HEADER: compute_signature(url, None, TOKEN)}
    headers["Content-Type"] = "application/json"
    target = f"{PATH}?bodySHA256={body_sha256(body)}"
    async with client.post(target, data=body, headers=headers) as response:
        assert response.status == 415
    async with client.post(target, data=body + b" ", headers=headers) as response:
        assert response.status == 403


# --- dispatch ---------------------------------------------------------------------------------


async def test_post_action_dispatch(router: WebhookRouter, client: Client) -> None:
    seen: list[ParticipantAdded] = []

    @router.on(ParticipantAdded)
    async def handler(event: ParticipantAdded) -> HandlerResult:
        seen.append(event)
        return None

    assert await post(client, PARTICIPANT_ADDED) == (200, {})
    (event,) = seen
    assert event.participant_sid == PARTICIPANT_ADDED["ParticipantSid"]
    assert event.attributes == {"vip": True}
    assert event.date_created is not None
    assert event.date_created.tzinfo is not None


async def test_dispatch_by_name_and_repeated_keys(router: WebhookRouter, client: Client) -> None:
    seen: list[WebhookEvent] = []

    @router.on("onParticipantAdded")
    async def handler(event: WebhookEvent) -> None:
        seen.append(event)

    pairs = [*PARTICIPANT_ADDED.items(), ("Extra", "b"), ("Extra", "a")]
    assert await post(client, pairs) == (200, {})
    assert isinstance(seen[0], ParticipantAdded)
    assert seen[0].params["Extra"] == "b"


async def test_unknown_event_is_200_and_reaches_a_named_handler(
    router: WebhookRouter, client: Client
) -> None:
    seen: list[WebhookEvent] = []
    unknown = {"EventType": "onSomethingNew", "AccountSid": "AC" + "0" * 32, "Foo": "bar"}
    assert await post(client, unknown) == (200, {})

    @router.on("onSomethingNew")
    async def handler(event: WebhookEvent) -> HandlerResult:
        seen.append(event)
        return {"ignored": True}

    assert await post(client, unknown) == (200, {})
    assert type(seen[0]) is WebhookEvent
    assert seen[0].params["Foo"] == "bar"


async def test_unhandled_known_event_is_200(client: Client) -> None:
    assert await post(client, PARTICIPANT_ADD) == (200, {})


async def test_unreadable_event_is_400(router: WebhookRouter, client: Client) -> None:
    @router.on(ParticipantAdded)
    async def handler(event: ParticipantAdded) -> HandlerResult:
        raise AssertionError("not reached")

    broken = {**PARTICIPANT_ADDED, "DateCreated": "yesterday"}
    status, body = await post(client, broken)
    assert status == 400
    assert "message" in body
    assert (await post(client, {"Foo": "bar"}))[0] == 400


# --- pre-action answers -----------------------------------------------------------------------


async def test_reject(router: WebhookRouter, client: Client) -> None:
    @router.on(ParticipantAdd)
    async def vet(event: ParticipantAdd) -> HandlerResult:
        if event.identity == "bob":
            return Reject(status=409, message="bob is banned")
        return None

    assert await post(client, PARTICIPANT_ADD) == (409, {"message": "bob is banned"})
    assert await post(client, {**PARTICIPANT_ADD, "Identity": "carol"}) == (200, {})


async def test_modify(router: WebhookRouter, client: Client) -> None:
    @router.on(MessageAdd)
    async def edit(event: MessageAdd) -> HandlerResult:
        assert event.body is not None
        return {"body": event.body.upper(), "attributes": json.dumps({"edited": True})}

    status, body = await post(client, MESSAGE_ADD)
    assert status == 200
    assert body == {"body": "HELLO THERE", "attributes": '{"edited": true}'}


async def test_answer_of_post_action_handler_is_ignored(
    router: WebhookRouter, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    @router.on(ParticipantAdded)
    async def handler(event: ParticipantAdded) -> HandlerResult:
        return Reject(403)

    assert await post(client, PARTICIPANT_ADDED) == (200, {})
    assert "post-action" in caplog.text


def test_reject_needs_error_status() -> None:
    with pytest.raises(ValueError, match="4xx or 5xx"):
        Reject(status=200)


# --- timeouts and errors ----------------------------------------------------------------------


async def test_pre_action_timeout_allows_and_cancels(
    aiohttp_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    router = WebhookRouter(TOKEN, timeout=0.05)
    cancelled = asyncio.Event()

    @router.on(MessageAdd)
    async def slow(event: MessageAdd) -> HandlerResult:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Reject(403)

    client = await serve(router, aiohttp_client)
    with caplog.at_level(logging.WARNING, logger="conversations_async.webhooks"):
        assert await post(client, MESSAGE_ADD) == (200, {})
    await asyncio.wait_for(cancelled.wait(), 1)
    assert "did not finish within 0.05 s" in caplog.text


async def test_post_action_timeout_keeps_running(aiohttp_client: ClientFactory) -> None:
    router = WebhookRouter(TOKEN, timeout=0.05)
    release, finished = asyncio.Event(), asyncio.Event()

    @router.on(ParticipantAdded)
    async def slow(event: ParticipantAdded) -> HandlerResult:
        await release.wait()
        finished.set()
        return None

    client = await serve(router, aiohttp_client)
    assert await post(client, PARTICIPANT_ADDED) == (200, {})
    release.set()
    await asyncio.wait_for(finished.wait(), 1)


async def test_late_failure_of_post_action_handler_is_logged(
    aiohttp_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    router = WebhookRouter(TOKEN, timeout=0.05)
    release = asyncio.Event()

    @router.on(ParticipantAdded)
    async def slow(event: ParticipantAdded) -> HandlerResult:
        await release.wait()
        raise RuntimeError("too late to matter")

    client = await serve(router, aiohttp_client)
    assert await post(client, PARTICIPANT_ADDED) == (200, {})
    release.set()
    for _ in range(100):
        if "too late to matter" in caplog.text:
            break
        await asyncio.sleep(0.01)
    assert "late webhook handler failed" in caplog.text


async def test_background_handlers_are_cancelled_on_cleanup(
    aiohttp_client: ClientFactory,
) -> None:
    router = WebhookRouter(TOKEN, timeout=0.05)
    cancelled = asyncio.Event()

    @router.on(ParticipantAdded)
    async def slow(event: ParticipantAdded) -> HandlerResult:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return None

    client = await serve(router, aiohttp_client)
    assert await post(client, PARTICIPANT_ADDED) == (200, {})
    await client.close()
    assert cancelled.is_set()


@pytest.mark.parametrize("event", [PARTICIPANT_ADD, PARTICIPANT_ADDED])
async def test_exception_is_500_and_logged_without_token(
    aiohttp_client: ClientFactory, caplog: pytest.LogCaptureFixture, event: dict[str, str]
) -> None:
    router = WebhookRouter(TOKEN)

    @router.on(event["EventType"])
    async def broken(event: ParticipantEvent) -> HandlerResult:
        raise RuntimeError("database is down")

    client = await serve(router, aiohttp_client)
    status, body = await post(client, event)
    assert status == 500
    assert "database" not in json.dumps(body)
    assert "database is down" in caplog.text
    await post(client, event, token="wrong")  # also logs the rejection
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(router)


async def test_wrong_return_type_is_500(router: WebhookRouter, client: Client) -> None:
    @router.on("onMessageAdd")
    async def odd(event: MessageAdd) -> Any:
        return "yes"

    assert (await post(client, MESSAGE_ADD))[0] == 500


# --- registration -----------------------------------------------------------------------------


def test_registration_errors(router: WebhookRouter) -> None:
    @router.on(ParticipantAdd)
    async def first(event: ParticipantAdd) -> HandlerResult:
        return None

    with pytest.raises(ValueError, match="already has a handler"):
        router.on("onParticipantAdd")(first)
    with pytest.raises(TypeError, match="not one webhook event type"):
        router.on(ParticipantEvent)
    with pytest.raises(TypeError, match="coroutine"):
        router.on("onUserAdded")(lambda event: None)  # type: ignore[type-var]


@pytest.mark.parametrize("timeout", [0, 5, 6.0])
def test_timeout_must_stay_below_twilio_deadline(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        WebhookRouter(TOKEN, timeout=timeout)


def test_empty_token_is_refused() -> None:
    with pytest.raises(ValueError, match="token"):
        WebhookRouter("")


# --- proxies ----------------------------------------------------------------------------------

FORWARDED = {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "bot.example.com, internal"}
PUBLIC_URL = "https://bot.example.com" + PATH


@pytest.mark.parametrize("trust", [True, False])
async def test_trusted_proxy_reconstruction(aiohttp_client: ClientFactory, trust: bool) -> None:
    router = WebhookRouter(TOKEN, trust_forwarded=trust)
    client = await serve(router, aiohttp_client)
    status, _ = await post(client, PARTICIPANT_ADDED, signed_url=PUBLIC_URL, headers=FORWARDED)
    assert status == (200 if trust else 403)
    # A signature for the URL this server sees directly is only valid when not behind the proxy.
    status, _ = await post(client, PARTICIPANT_ADDED, headers=FORWARDED)
    assert status == (403 if trust else 200)


async def test_default_port_of_forwarded_host(aiohttp_client: ClientFactory) -> None:
    router = WebhookRouter(TOKEN, trust_forwarded=True)
    client = await serve(router, aiohttp_client)
    signed = "https://bot.example.com:443" + PATH
    assert (await post(client, PARTICIPANT_ADDED, signed_url=signed, headers=FORWARDED))[0] == 200


async def test_signed_url_keeps_raw_path_and_query(client: Client) -> None:
    # Twilio signs the URL exactly as configured: no percent-decoding or re-encoding.
    url = str(client.make_url(PATH)) + "?a=%2F%20b&c=%E2%9C%93&d=%7e"
    signature = compute_signature(url, PARTICIPANT_ADDED, TOKEN)
    async with client.session.post(
        URL(url, encoded=True), data=PARTICIPANT_ADDED, headers={SIGNATURE_HEADER: signature}
    ) as response:
        assert response.status == 200


# --- the documented example bot ---------------------------------------------------------------


def _load_example() -> ModuleType:
    return load_example("webhook_bot")


class FakeParticipants:
    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []

    async def create(self, conversation_sid: str, /, *, identity: str) -> object:
        self.created.append((conversation_sid, identity))
        return object()


class FakeSession:
    def __init__(self) -> None:
        self.participants = FakeParticipants()


async def test_example_bot(aiohttp_client: ClientFactory) -> None:
    example = _load_example()
    session = FakeSession()
    client = await aiohttp_client(example.create_app(session, auth_token=TOKEN))
    added = {
        "EventType": ConversationAdded.EVENT_TYPE or "",
        "AccountSid": "AC" + "0" * 32,
        "ConversationSid": "CH" + "9" * 32,
        "State": "active",
        "DateCreated": "2024-05-01T10:20:30.000Z",
    }
    assert await post(client, added) == (200, {})
    assert session.participants.created == [("CH" + "9" * 32, "greeter")]
    password = {**MESSAGE_ADD, "Body": "my Password is hunter2"}
    assert (await post(client, password))[0] == 403
    assert await post(client, {**MESSAGE_ADD, "Body": " hi "}) == (200, {"body": "hi"})
    assert await post(client, MESSAGE_ADD) == (200, {})
