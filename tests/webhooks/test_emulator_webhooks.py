"""End to end on one machine: the emulator sends a signed webhook, the router checks and parses
it, and the user's coroutine adds a participant back through the Session."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from _examples import load_example

from conversations_async import Session
from conversations_async.testing import Emulator
from conversations_async.webhooks import (
    ParticipantAdded,
    ParticipantRemoved,
    WebhookRouter,
    parse_event,
)


def _bot() -> ModuleType:
    return load_example("webhook_bot")


async def test_a_new_conversation_gets_a_greeter(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    bot = _bot()
    server = await aiohttp_server(bot.create_app(session, auth_token=emulator.auth_token))
    emulator.webhooks.url = f"http://127.0.0.1:{server.port}{bot.WEBHOOK_PATH}"

    conversation = await session.conversations.create(friendly_name="help", webhook_enabled=True)
    await emulator.webhooks.drain()

    [delivery] = emulator.webhooks.deliveries
    assert delivery.event_type == "onConversationAdded"
    assert delivery.status == 200
    assert delivery.params["ConversationSid"] == conversation.sid
    identities = [p.identity async for p in session.participants.list(conversation.sid)]
    assert identities == [bot.GREETER]
    # The greeter was added over REST without X-Twilio-Webhook-Enabled: no webhook, no loop.
    assert len(emulator.webhooks.deliveries) == 1


async def test_no_header_no_webhook(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    bot = _bot()
    server = await aiohttp_server(bot.create_app(session, auth_token=emulator.auth_token))
    emulator.webhooks.url = f"http://127.0.0.1:{server.port}{bot.WEBHOOK_PATH}"
    await session.conversations.create(friendly_name="quiet")
    await session.conversations.create(friendly_name="explicitly quiet", webhook_enabled=False)
    await emulator.webhooks.drain()
    assert emulator.webhooks.deliveries == []


async def test_a_forged_webhook_is_refused_and_changes_nothing(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    bot = _bot()
    server = await aiohttp_server(bot.create_app(session, auth_token="not-the-account-token"))
    emulator.webhooks.url = f"http://127.0.0.1:{server.port}{bot.WEBHOOK_PATH}"
    conversation = await session.conversations.create(friendly_name="x", webhook_enabled=True)
    await emulator.webhooks.drain()
    assert [d.status for d in emulator.webhooks.deliveries] == [403]
    assert [p async for p in session.participants.list(conversation.sid)] == []


async def test_participant_added_and_removed_events(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    from aiohttp import web

    router = WebhookRouter(emulator.auth_token)
    seen: list[Any] = []

    @router.on(ParticipantAdded)
    async def added(event: ParticipantAdded) -> None:
        seen.append(event)

    @router.on(ParticipantRemoved)
    async def removed(event: ParticipantRemoved) -> None:
        seen.append(event)

    app = web.Application()
    router.add_to(app, "/hooks")
    server = await aiohttp_server(app)
    emulator.webhooks.url = f"http://127.0.0.1:{server.port}/hooks"
    conversation = await session.conversations.create(friendly_name="x")
    participant = await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15558675310",
        messaging_binding_proxy_address="+15017122661",
        attributes={"vip": True},
        webhook_enabled=True,
    )
    await session.participants.delete(conversation.sid, participant.sid, webhook_enabled=True)
    await emulator.webhooks.drain()

    assert [type(e) for e in seen] == [ParticipantAdded, ParticipantRemoved]
    assert all(d.status == 200 for d in emulator.webhooks.deliveries)
    added_event = seen[0]
    assert added_event.participant_sid == participant.sid
    assert added_event.attributes == {"vip": True}
    assert added_event.messaging_binding.address == "+15558675310"
    assert added_event.messaging_binding.proxy_address == "+15017122661"
    # What was sent parses to the same event the router saw.
    assert parse_event(emulator.webhooks.deliveries[0].params) == added_event
