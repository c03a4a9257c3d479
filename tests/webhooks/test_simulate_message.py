"""``Emulator.simulate_message``: a user's message as a client SDK (or a phone) sends it. The
pre-action ``onMessageAdd`` may reject it (nothing is added) or modify it; then it is stored and
``onMessageAdded`` is dispatched like every post-action event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _hook_receiver import Receiver, start_receiver
from aiohttp import web

from conversations_async import Session
from conversations_async.errors import InvalidArgumentError
from conversations_async.testing import Emulator, TwilioError
from conversations_async.webhooks import (
    HandlerResult,
    MessageAdd,
    MessageAdded,
    Reject,
    WebhookRouter,
)

SERVICE_SID = "IS" + "5" * 32
BOTH = ["onMessageAdd", "onMessageAdded"]


async def _configured(
    session: Session, emulator: Emulator, aiohttp_server: Any, filters: list[str] = BOTH
) -> Receiver:
    receiver = await start_receiver(aiohttp_server, emulator.auth_token)
    await session.webhook_configuration.update(
        pre_webhook_url=receiver.url("/pre"),
        post_webhook_url=receiver.url("/post"),
        filters=filters,
    )
    return receiver


async def test_allowed_message_is_stored_then_announced(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _configured(session, emulator, aiohttp_server)
    conversation = await session.conversations.create()
    alice = await session.participants.create(conversation.sid, identity="alice")

    added = await emulator.simulate_message(
        conversation.sid, author="alice", body="hi", attributes={"lang": "en"}
    )
    await emulator.webhooks.drain()

    assert added is not None
    assert (added["author"], added["body"], added["index"]) == ("alice", "hi", 0)
    assert added["participant_sid"] == alice.sid
    assert json.loads(added["attributes"]) == {"lang": "en"}
    [pre] = receiver.at("/pre")
    assert pre.signed
    assert pre.params["EventType"] == "onMessageAdd"
    assert pre.params["Body"] == "hi" and pre.params["Author"] == "alice"
    assert pre.params["Source"] == "SDK" and pre.params["ClientIdentity"] == "alice"
    assert "MessageSid" not in pre.params  # not created yet
    [post] = receiver.at("/post")
    assert post.signed
    assert post.params["EventType"] == "onMessageAdded"
    assert post.params["MessageSid"] == added["sid"]
    assert post.params["Index"] == "0"
    assert post.params["Source"] == "SDK"
    assert [(d.kind, d.status) for d in emulator.webhooks.deliveries] == [
        ("pre", 200),
        ("post", 200),
    ]


@pytest.mark.parametrize("status", [403, 400, 500, 503])
async def test_a_rejected_message_is_not_added(
    emulator: Emulator, session: Session, aiohttp_server: Any, status: int
) -> None:
    receiver = await _configured(session, emulator, aiohttp_server)
    receiver.answers["/pre"] = (status, {"message": "no"})
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")

    assert await emulator.simulate_message(conversation.sid, author="alice", body="spam") is None
    await emulator.webhooks.drain()
    assert receiver.at("/post") == []
    [pre] = emulator.webhooks.deliveries
    assert pre.refused and pre.status == status

    # Nothing was added: the next message takes the first index.
    receiver.answers.pop("/pre")
    accepted = await emulator.simulate_message(conversation.sid, author="alice", body="ok")
    assert accepted is not None and accepted["index"] == 0


async def test_the_pre_action_answer_modifies_the_message(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _configured(session, emulator, aiohttp_server)
    receiver.answers["/pre"] = (
        200,
        {"body": "[redacted]", "author": "alice (verified)", "attributes": {"screened": True}},
    )
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")

    added = await emulator.simulate_message(conversation.sid, author="alice", body="my pin 1234")
    await emulator.webhooks.drain()

    assert added is not None
    assert added["body"] == "[redacted]"
    assert added["author"] == "alice (verified)"
    assert json.loads(added["attributes"]) == {"screened": True}
    [post] = receiver.at("/post")
    assert post.params["Body"] == "[redacted]"
    assert post.params["Author"] == "alice (verified)"


async def test_attributes_may_come_back_as_json_text(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _configured(session, emulator, aiohttp_server)
    receiver.answers["/pre"] = (200, {"attributes": '{"a": 1}'})
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")
    added = await emulator.simulate_message(conversation.sid, author="alice", body="x")
    assert added is not None
    assert json.loads(added["attributes"]) == {"a": 1}
    assert added["body"] == "x"  # what the answer leaves out is kept


async def test_an_unreachable_pre_webhook_publishes_unmodified(
    emulator: Emulator, session: Session
) -> None:
    await session.webhook_configuration.update(
        pre_webhook_url="http://127.0.0.1:1/pre", filters=["onMessageAdd"]
    )
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")
    added = await emulator.simulate_message(conversation.sid, author="alice", body="hi")
    assert added is not None and added["body"] == "hi"
    [pre] = emulator.webhooks.deliveries
    assert pre.status is None and pre.error is not None and not pre.refused


async def test_no_pre_webhook_unless_the_filters_name_it(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _configured(session, emulator, aiohttp_server, filters=["onMessageAdded"])
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")
    assert await emulator.simulate_message(conversation.sid, author="alice", body="hi")
    await emulator.webhooks.drain()
    assert [r.path for r in receiver.received] == ["/post"]


async def test_an_sms_participant_writes_from_its_address(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _configured(session, emulator, aiohttp_server)
    conversation = await session.conversations.create()
    phone = await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15558675310",
        messaging_binding_proxy_address="+15017122661",
    )
    added = await emulator.simulate_message(
        conversation.sid, author="+15558675310", body="hello", source="SMS"
    )
    await emulator.webhooks.drain()
    assert added is not None and added["participant_sid"] == phone.sid
    [pre] = receiver.at("/pre")
    assert pre.params["Source"] == "SMS"
    assert "ClientIdentity" not in pre.params
    assert pre.params["MessagingBinding.Address"] == "+15558675310"
    assert pre.params["MessagingBinding.ProxyAddress"] == "+15017122661"


async def test_a_service_conversation_uses_the_services_webhooks(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await start_receiver(aiohttp_server, emulator.auth_token)
    scoped = session.service(SERVICE_SID)
    await scoped.webhook_configuration.update(
        pre_webhook_url=receiver.url("/service-pre"), filters=["onMessageAdd"]
    )
    await session.webhook_configuration.update(
        pre_webhook_url=receiver.url("/account-pre"), filters=["onMessageAdd"]
    )
    conversation = await scoped.conversations.create()
    await scoped.participants.create(conversation.sid, identity="alice")
    added = await emulator.simulate_message(
        conversation.sid, author="alice", body="hi", service=SERVICE_SID
    )
    assert added is not None and added["chat_service_sid"] == SERVICE_SID
    assert [r.path for r in receiver.received] == ["/service-pre"]


async def test_trigger_webhooks_fire_on_their_keywords(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await start_receiver(aiohttp_server, emulator.auth_token)
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")
    await session.conversation_webhooks.create(
        conversation.sid,
        target="trigger",
        configuration_url=receiver.url("/agent"),
        configuration_triggers=["agent", "human"],
    )
    for body in ("hello", "an AGENT please", "dehumanised", "human?"):
        await emulator.simulate_message(conversation.sid, author="alice", body=body)
    await emulator.webhooks.drain()
    assert sorted(r.params["Body"] for r in receiver.at("/agent")) == ["an AGENT please", "human?"]


async def test_bad_authors_and_conversations(emulator: Emulator, session: Session) -> None:
    conversation = await session.conversations.create()
    with pytest.raises(InvalidArgumentError) as error:
        await emulator.simulate_message(conversation.sid, author="mallory", body="hi")
    assert error.value.field == "author"
    with pytest.raises(TwilioError) as missing:
        await emulator.simulate_message("CH" + "0" * 32, author="alice", body="hi")
    assert missing.value.status == 404


async def test_through_a_webhook_router(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    """The signed webhooks parse into typed events, and the router's answer decides."""
    router = WebhookRouter(emulator.auth_token)
    added_events: list[MessageAdded] = []

    @router.on(MessageAdd)
    async def screen(event: MessageAdd) -> HandlerResult:
        if event.body and "password" in event.body:
            return Reject(403, "no passwords")
        return {"body": (event.body or "").strip()}

    @router.on(MessageAdded)
    async def log(event: MessageAdded) -> HandlerResult:
        added_events.append(event)
        return None

    app = web.Application()
    router.add_to(app, "/hooks")
    server = await aiohttp_server(app)
    url = f"http://127.0.0.1:{server.port}/hooks"
    await session.webhook_configuration.update(
        pre_webhook_url=url, post_webhook_url=url, filters=BOTH
    )
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")

    refused = await emulator.simulate_message(conversation.sid, author="alice", body="password1")
    kept = await emulator.simulate_message(conversation.sid, author="alice", body="  hi  ")
    await emulator.webhooks.drain()

    assert refused is None
    assert kept is not None and kept["body"] == "hi"
    [event] = added_events
    assert event.message_sid == kept["sid"] and event.body == "hi"
    assert event.client_identity == "alice" and event.source == "SDK"
    statuses = [(d.kind, d.status) for d in emulator.webhooks.deliveries]
    assert statuses == [("pre", 403), ("pre", 200), ("post", 200)]
