"""The message and delivery webhook events: parsed from the parameters Twilio documents, and
sent by the emulator for REST writes that ask for them (``X-Twilio-Webhook-Enabled: true``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from _messaging import ADDRESS, PROXY
from aiohttp import web

from conversations_async import Session
from conversations_async.testing import Emulator
from conversations_async.webhooks import (
    EVENT_CLASSES,
    DeliveryUpdated,
    MessageAdded,
    MessageRemove,
    MessageRemoved,
    MessageUpdate,
    MessageUpdated,
    WebhookEvent,
    WebhookParseError,
    WebhookRouter,
    parse_event,
)

CONVERSATION = "CH" + "1" * 32
MESSAGE = "IM" + "2" * 32
PARTICIPANT = "MB" + "3" * 32
RECEIPT = "DY" + "4" * 32
SERVICE = "IS" + "5" * 32
WHEN = "2024-05-01T10:20:30Z"
LATER = "2024-05-01T10:21:00Z"
# The parameters of onMessageUpdate/Updated/Remove/Removed (Twilio's "Webhook Bodies by
# Event Type", https://www.twilio.com/docs/conversations/conversations-webhooks).
MESSAGE_PARAMS = {
    "AccountSid": "AC" + "6" * 32,
    "Source": "SDK",
    "ClientIdentity": "alice",
    "ConversationSid": CONVERSATION,
    "MessageSid": MESSAGE,
    "Index": "7",
    "DateCreated": WHEN,
    "DateUpdated": LATER,
    "Body": "edited",
    "Author": "alice",
    "ParticipantSid": PARTICIPANT,
    "Attributes": '{"edited": true}',
    "Media": json.dumps([{"Sid": "ME1", "Filename": "a.png", "ContentType": "image/png"}]),
}


@pytest.mark.parametrize(
    ("event_type", "cls", "pre_action"),
    [
        ("onMessageUpdate", MessageUpdate, True),
        ("onMessageUpdated", MessageUpdated, False),
        ("onMessageRemove", MessageRemove, True),
        ("onMessageRemoved", MessageRemoved, False),
    ],
)
def test_message_change_events(event_type: str, cls: type[Any], pre_action: bool) -> None:
    event: Any = parse_event({**MESSAGE_PARAMS, "EventType": event_type})
    assert type(event) is cls
    assert EVENT_CLASSES[event_type] is cls
    assert event.is_pre_action is pre_action
    assert (event.conversation_sid, event.message_sid, event.index) == (CONVERSATION, MESSAGE, 7)
    assert event.date_created == datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC)
    assert event.date_updated == datetime(2024, 5, 1, 10, 21, tzinfo=UTC)
    assert (event.body, event.author, event.participant_sid) == ("edited", "alice", PARTICIPANT)
    assert event.attributes == {"edited": True}
    assert event.raw_attributes == '{"edited": true}'
    assert [(m.sid, m.filename, m.content_type) for m in event.media] == [
        ("ME1", "a.png", "image/png")
    ]
    assert (event.source, event.client_identity) == ("SDK", "alice")


def test_message_removed_has_its_removal_date() -> None:
    event = parse_event({**MESSAGE_PARAMS, "EventType": "onMessageRemoved", "DateRemoved": LATER})
    assert isinstance(event, MessageRemoved)
    assert event.date_removed == datetime(2024, 5, 1, 10, 21, tzinfo=UTC)


def test_delivery_updated() -> None:
    params = {
        "EventType": "onDeliveryUpdated",
        "AccountSid": "AC" + "6" * 32,
        "ConversationSid": CONVERSATION,
        "ChatServiceSid": SERVICE,
        "MessageSid": MESSAGE,
        "DeliveryReceiptSid": RECEIPT,
        "ChannelMessageSid": "WA" + "7" * 32,
        "ParticipantSid": PARTICIPANT,
        "Status": "failed",
        "ErrorCode": "63016",
        "DateCreated": WHEN,
        "DateUpdated": LATER,
    }
    event = parse_event(params)
    assert isinstance(event, DeliveryUpdated)
    assert not event.is_pre_action
    assert (event.message_sid, event.delivery_receipt_sid) == (MESSAGE, RECEIPT)
    assert event.channel_message_sid == "WA" + "7" * 32
    assert (event.participant_sid, event.chat_service_sid) == (PARTICIPANT, SERVICE)
    assert (event.status, event.error_code) == ("failed", 63016)
    assert event.date_updated == datetime(2024, 5, 1, 10, 21, tzinfo=UTC)
    assert event.params == params
    # An empty error code is "not set"; a status Twilio adds later is kept as it came.
    quiet = parse_event({**params, "ErrorCode": "", "Status": "queued"})
    assert isinstance(quiet, DeliveryUpdated)
    assert (quiet.error_code, quiet.status) == (None, "queued")


@pytest.mark.parametrize(
    ("params", "missing"),
    [
        (
            {"EventType": "onMessageUpdated", "ConversationSid": CONVERSATION, "Index": "1"},
            "message_sid",
        ),
        (
            {
                "EventType": "onMessageRemoved",
                "ConversationSid": CONVERSATION,
                "MessageSid": MESSAGE,
            },
            "index",
        ),
        (
            {
                "EventType": "onMessageUpdate",
                "ConversationSid": CONVERSATION,
                "MessageSid": MESSAGE,
                "Index": "x",
            },
            "index",
        ),
        (
            {
                "EventType": "onDeliveryUpdated",
                "ConversationSid": CONVERSATION,
                "MessageSid": MESSAGE,
            },
            "delivery_receipt_sid",
        ),
        (
            {
                "EventType": "onDeliveryUpdated",
                "ConversationSid": CONVERSATION,
                "MessageSid": MESSAGE,
                "DeliveryReceiptSid": RECEIPT,
                "ErrorCode": "none",
            },
            "error_code",
        ),
    ],
)
def test_unreadable_events_raise(params: dict[str, str], missing: str) -> None:
    with pytest.raises(WebhookParseError) as caught:
        parse_event(params)
    assert missing in str(caught.value)


def test_an_unmodelled_message_event_is_generic() -> None:
    event = parse_event({**MESSAGE_PARAMS, "EventType": "onMessageReacted"})
    assert type(event) is WebhookEvent
    assert event.params["MessageSid"] == MESSAGE


async def test_the_emulator_sends_the_message_events(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    router = WebhookRouter(emulator.auth_token)
    seen: list[WebhookEvent] = []

    @router.on(MessageAdded)
    async def added(event: MessageAdded) -> None:
        seen.append(event)

    @router.on(MessageUpdated)
    async def updated(event: MessageUpdated) -> None:
        seen.append(event)

    @router.on(MessageRemoved)
    async def removed(event: MessageRemoved) -> None:
        seen.append(event)

    @router.on(DeliveryUpdated)
    async def delivered(event: DeliveryUpdated) -> None:
        seen.append(event)

    app = web.Application()
    router.add_to(app, "/hooks")
    server = await aiohttp_server(app)
    emulator.webhooks.url = f"http://127.0.0.1:{server.port}/hooks"

    conversation = await session.conversations.create()
    alice = await session.participants.create(conversation.sid, identity="alice")
    await session.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    quiet = await session.messages.create(conversation.sid, body="no webhook for this one")
    await session.messages.update(conversation.sid, quiet.sid, body="nor this")
    made = await session.messages.create(
        conversation.sid, author="alice", body="hi", attributes={"k": 1}, webhook_enabled=True
    )
    changed = await session.messages.update(
        conversation.sid, made.sid, body="hi!", webhook_enabled=True
    )
    [receipt] = [r async for r in session.delivery_receipts.list(conversation.sid, made.sid)]
    emulator.update_delivery(conversation.sid, made.sid, receipt.sid, "read")
    await session.messages.delete(conversation.sid, made.sid, webhook_enabled=True)
    await emulator.webhooks.drain()

    assert [d.status for d in emulator.webhooks.deliveries] == [200] * 4
    kinds = [type(e) for e in seen]
    assert sorted(k.__name__ for k in kinds) == sorted(
        ["MessageAdded", "MessageUpdated", "DeliveryUpdated", "MessageRemoved"]
    )
    by_kind = {type(e): e for e in seen}
    first = by_kind[MessageAdded]
    assert isinstance(first, MessageAdded)
    assert (first.message_sid, first.index, first.body) == (made.sid, made.index, "hi")
    assert (first.author, first.participant_sid) == ("alice", alice.sid)
    assert (first.attributes, first.source) == ({"k": 1}, "API")
    assert first.date_created == made.date_created
    second = by_kind[MessageUpdated]
    assert isinstance(second, MessageUpdated)
    assert (second.body, second.date_updated) == ("hi!", changed.date_updated)
    delivery = by_kind[DeliveryUpdated]
    assert isinstance(delivery, DeliveryUpdated)
    assert (delivery.delivery_receipt_sid, delivery.status) == (receipt.sid, "read")
    gone = by_kind[MessageRemoved]
    assert isinstance(gone, MessageRemoved)
    assert gone.message_sid == made.sid and gone.date_removed is not None
    # What was sent parses to the very events the router saw.
    assert sorted(
        map(repr, (parse_event(d.params) for d in emulator.webhooks.deliveries))
    ) == sorted(map(repr, seen))
