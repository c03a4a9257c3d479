"""The emulator delivers post-action webhooks where Twilio does: the configured post-webhook URL
of the conversation's service (the account's for the default service), filtered, and each
matching conversation-scoped webhook; signed with the auth token; for REST actions only with
``X-Twilio-Webhook-Enabled: true``."""

from __future__ import annotations

from typing import Any

from _hook_receiver import Receiver, start_receiver

from conversations_async import Session
from conversations_async.testing import Emulator

SERVICE_SID = "IS" + "4" * 32


async def _receiver(aiohttp_server: Any, emulator: Emulator) -> Receiver:
    return await start_receiver(aiohttp_server, emulator.auth_token)


async def test_the_accounts_post_url_gets_the_filtered_events(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    await session.webhook_configuration.update(
        post_webhook_url=receiver.url("/post"), filters=["onParticipantAdded"]
    )
    conversation = await session.conversations.create(webhook_enabled=True)  # not in filters
    alice = await session.participants.create(
        conversation.sid, identity="alice", webhook_enabled=True
    )
    await session.participants.create(conversation.sid, identity="bob")  # no header
    await session.participants.update(
        conversation.sid, alice.sid, attributes={"x": 1}, webhook_enabled=True
    )  # not in filters
    await emulator.webhooks.drain()

    [received] = receiver.received
    assert received.path == "/post" and received.method == "POST"
    assert received.signed
    assert received.params["EventType"] == "onParticipantAdded"
    assert received.params["ParticipantSid"] == alice.sid
    [delivery] = emulator.webhooks.deliveries
    assert (delivery.target, delivery.kind, delivery.status) == ("service", "post", 200)
    assert not delivery.refused


async def test_a_service_uses_its_own_configuration(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    events = ["onConversationAdded"]
    await session.webhook_configuration.update(
        post_webhook_url=receiver.url("/account"), filters=events
    )
    scoped = session.service(SERVICE_SID)
    await scoped.webhook_configuration.update(
        post_webhook_url=receiver.url("/service"), filters=events
    )
    in_service = await scoped.conversations.create(webhook_enabled=True)
    in_default = await session.conversations.create(webhook_enabled=True)
    await emulator.webhooks.drain()

    assert [r.params["ConversationSid"] for r in receiver.at("/service")] == [in_service.sid]
    assert [r.params["ConversationSid"] for r in receiver.at("/account")] == [in_default.sid]


async def test_without_filters_nothing_fires(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    # "Events not configured here will not fire" (Twilio's description of Filters).
    receiver = await _receiver(aiohttp_server, emulator)
    await session.webhook_configuration.update(post_webhook_url=receiver.url("/post"))
    await session.conversations.create(webhook_enabled=True)
    await emulator.webhooks.drain()
    assert receiver.received == []


async def test_a_flex_target_sends_nothing_to_the_url(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    await session.webhook_configuration.update(
        post_webhook_url=receiver.url("/post"), filters=["onConversationAdded"], target="flex"
    )
    await session.conversations.create(webhook_enabled=True)
    await emulator.webhooks.drain()
    assert receiver.received == []


async def test_conversation_webhooks_get_their_conversations_matching_events(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    watched = await session.conversations.create()
    other = await session.conversations.create()
    await session.conversation_webhooks.create(
        watched.sid,
        target="webhook",
        configuration_url=receiver.url("/watched"),
        configuration_filters=["onParticipantAdded"],
    )
    await session.participants.create(watched.sid, identity="a", webhook_enabled=True)
    await session.participants.create(other.sid, identity="b", webhook_enabled=True)
    alice = await session.participants.create(watched.sid, identity="c")  # no header
    await session.participants.delete(watched.sid, alice.sid, webhook_enabled=True)  # filtered
    await emulator.webhooks.drain()

    [received] = receiver.received
    assert received.path == "/watched" and received.signed
    assert received.params["EventType"] == "onParticipantAdded"
    assert received.params["Identity"] == "a"
    assert [d.target for d in emulator.webhooks.deliveries] == ["conversation"]


async def test_a_get_webhook_is_signed_over_its_query(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    conversation = await session.conversations.create()
    await session.conversation_webhooks.create(
        conversation.sid,
        target="webhook",
        configuration_url=receiver.url("/get?token=abc"),
        configuration_method="get",
        configuration_filters=["onParticipantAdded"],
    )
    await session.participants.create(conversation.sid, identity="a", webhook_enabled=True)
    await emulator.webhooks.drain()
    [received] = receiver.received
    assert received.method == "GET" and received.signed
    assert received.params["EventType"] == "onParticipantAdded"
    assert received.params["token"] == "abc"  # the configured query is kept


async def test_a_forged_signature_would_be_seen(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    # The receiver's check is real: with another token, the same deliveries fail it.
    receiver = await start_receiver(aiohttp_server, "another-token")
    await session.webhook_configuration.update(
        post_webhook_url=receiver.url("/post"), filters=["onConversationAdded"]
    )
    await session.conversations.create(webhook_enabled=True)
    await emulator.webhooks.drain()
    assert [r.signed for r in receiver.received] == [False]


async def test_a_removed_conversations_webhooks_get_its_removal(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    conversation = await session.conversations.create()
    await session.conversation_webhooks.create(
        conversation.sid,
        target="webhook",
        configuration_url=receiver.url("/gone"),
        configuration_filters=["onConversationRemoved"],
    )
    await session.conversations.delete(conversation.sid, webhook_enabled=True)
    await emulator.webhooks.drain()
    [received] = receiver.received
    assert received.params["EventType"] == "onConversationRemoved"
    assert received.params["ConversationSid"] == conversation.sid


async def test_the_test_url_still_gets_every_event(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    emulator.webhooks.url = receiver.url("/test")
    await session.webhook_configuration.update(
        post_webhook_url=receiver.url("/post"), filters=["onParticipantAdded"]
    )
    conversation = await session.conversations.create(webhook_enabled=True)
    await session.participants.create(conversation.sid, identity="a", webhook_enabled=True)
    await emulator.webhooks.drain()
    assert sorted(r.params["EventType"] for r in receiver.at("/test")) == [
        "onConversationAdded",
        "onParticipantAdded",
    ]
    assert [r.params["EventType"] for r in receiver.at("/post")] == ["onParticipantAdded"]
    assert sorted(d.target for d in emulator.webhooks.deliveries) == ["service", "test", "test"]


async def test_refused_deliveries_are_counted(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    receiver.answers["/down"] = (503, {"message": "down"})
    conversation = await session.conversations.create()
    for path in ("/up", "/down"):
        await session.conversation_webhooks.create(
            conversation.sid,
            target="webhook",
            configuration_url=receiver.url(path),
            configuration_filters=["onParticipantAdded"],
        )
    await session.participants.create(conversation.sid, identity="a", webhook_enabled=True)
    await emulator.webhooks.drain()
    by_url = {d.url: d for d in emulator.webhooks.deliveries}
    assert by_url[receiver.url("/up")].status == 200
    assert by_url[receiver.url("/down")].status == 503
    assert [d.refused for d in emulator.webhooks.deliveries].count(True) == 1


async def test_replay_after_sends_the_earlier_messages_to_a_new_webhook(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    receiver = await _receiver(aiohttp_server, emulator)
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="alice")
    for body in ("zero", "one", "two: help"):
        await emulator.simulate_message(conversation.sid, author="alice", body=body)
    await emulator.webhooks.drain()
    assert receiver.received == []  # nothing configured yet

    await session.conversation_webhooks.create(
        conversation.sid,
        target="webhook",
        configuration_url=receiver.url("/late"),
        configuration_filters=["onMessageAdded"],
        configuration_replay_after=1,
    )
    await session.conversation_webhooks.create(
        conversation.sid,
        target="trigger",
        configuration_url=receiver.url("/help"),
        configuration_triggers=["help"],
        configuration_replay_after=0,
    )
    await emulator.webhooks.drain()
    # Deliveries run concurrently: their order of arrival is not part of the contract.
    assert sorted(r.params["Index"] for r in receiver.at("/late")) == ["1", "2"]
    assert all(r.signed and r.params["EventType"] == "onMessageAdded" for r in receiver.received)
    assert [r.params["Body"] for r in receiver.at("/help")] == ["two: help"]
