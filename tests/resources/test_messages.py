"""Message create/fetch/update/delete/list in both scopes, over HTTP against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from _messaging import ADDRESS, PROXY, Messaging, messaging_for
from _ops_scopes import Scope

import conversations_async as ca
from conversations_async._limits import conversation_write_key
from conversations_async.resources import messages as message_ops
from conversations_async.testing import Emulator

MEDIA = "ME" + "a" * 32
TEMPLATE = "HX" + "b" * 32
MISSING = "IM" + "0" * 32
CEST = timezone(timedelta(hours=2))


@pytest.fixture
def ms(session: ca.Session, scope: Scope) -> Messaging:
    return messaging_for(session, scope)


async def test_create_sends_every_field(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create(friendly_name="every field")
    message = await ms.messages.create(
        conversation.sid,
        author="alice",
        body="Hello",
        date_created=datetime(2023, 5, 4, 11, 42, tzinfo=CEST),
        date_updated=datetime(2023, 5, 4, 9, 43, tzinfo=UTC),
        attributes={"importance": "high"},
        subject="Greetings",
        webhook_enabled=True,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "POST",
        f"{ms.prefix}/Conversations/{conversation.sid}/Messages",
    )
    assert request.form == (
        ("Author", "alice"),
        ("Body", "Hello"),
        ("DateCreated", "2023-05-04T09:42:00Z"),
        ("DateUpdated", "2023-05-04T09:43:00Z"),
        ("Attributes", '{"importance":"high"}'),
        ("Subject", "Greetings"),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "true"
    assert isinstance(message, ca.Message) and message.sid.startswith("IM")
    assert message.conversation_sid == conversation.sid
    assert (message.author, message.body, message.index) == ("alice", "Hello", 0)
    assert message.attributes == {"importance": "high"}
    assert message.date_created == datetime(2023, 5, 4, 9, 42, tzinfo=UTC)
    assert message.date_updated == datetime(2023, 5, 4, 9, 43, tzinfo=UTC)
    assert message.participant_sid is None  # alice is not a participant
    assert message.media is None and message.content_sid is None
    assert message.delivery is None  # no SMS/WhatsApp participant
    url = f"{ms.prefix}/Conversations/{conversation.sid}/Messages/{message.sid}"
    assert str(message.url).endswith(url)
    assert {k: str(v) for k, v in message.links.items()} == {
        "delivery_receipts": f"{message.url}/Receipts",
        "channel_metadata": f"{message.url}/ChannelMetadata",
    }
    if ms.service is not None:
        assert message.chat_service_sid == ms.service


async def test_create_with_media_or_a_template(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    with_media = await ms.messages.create(conversation.sid, media_sid=MEDIA)
    media_request = emulator.requests[-1]
    assert media_request.form == (("MediaSid", MEDIA),)
    assert with_media.body is None
    assert with_media.media is not None and [m.sid for m in with_media.media] == [MEDIA]

    templated = await ms.messages.create(
        conversation.sid, content_sid=TEMPLATE, content_variables={"name": "John", "n": 2}
    )
    template_request = emulator.requests[-1]
    assert template_request.form == (
        ("ContentSid", TEMPLATE),
        ("ContentVariables", '{"name":"John","n":2}'),
    )
    assert templated.content_sid == TEMPLATE
    assert templated.index == 1


async def test_what_is_left_out_is_not_sent(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    message = await ms.messages.create(conversation.sid, body="hi")
    request = emulator.requests[-1]
    assert request.form == (("Body", "hi"),)
    assert "X-Twilio-Webhook-Enabled" not in request.headers
    # Twilio's defaults: the author is system, attributes are {}.
    assert message.author == "system"
    assert message.attributes == {}
    assert message.participant_sid is None


async def test_index_grows_per_conversation_and_is_never_reused(ms: Messaging) -> None:
    first = await ms.conversations.create()
    other = await ms.conversations.create()
    indexes = [(await ms.messages.create(first.sid, body=f"m{i}")).index for i in range(3)]
    assert indexes == [0, 1, 2]
    assert (await ms.messages.create(other.sid, body="x")).index == 0
    last = await ms.messages.create(first.sid, body="last")
    await ms.messages.delete(first.sid, last.sid)
    assert (await ms.messages.create(first.sid, body="after")).index == 4


async def test_a_participant_author_is_linked(ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    alice = await ms.participants.create(conversation.sid, identity="alice")
    sms = await ms.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    by_identity = await ms.messages.create(conversation.sid, author="alice", body="hi")
    by_address = await ms.messages.create(conversation.sid, author=ADDRESS, body="hi")
    assert by_identity.participant_sid == alice.sid
    assert by_address.participant_sid == sms.sid


async def test_fetch(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create(unique_name="fetch-here")
    made = await ms.messages.create(conversation.sid, body="hi")
    assert await ms.messages.fetch(conversation.sid, made.sid) == made
    # The conversation may be named by its unique name.
    assert await ms.messages.fetch("fetch-here", made.sid) == made
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "GET",
        f"{ms.prefix}/Conversations/fetch-here/Messages/{made.sid}",
    )


async def test_update_sends_every_field(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    made = await ms.messages.create(conversation.sid, body="draft", attributes={"v": 1})
    updated = await ms.messages.update(
        conversation.sid,
        made.sid,
        author="editor",
        body="final",
        date_created=datetime(2023, 5, 4, 11, 42, tzinfo=CEST),
        date_updated=datetime(2023, 5, 4, 9, 43, tzinfo=UTC),
        attributes={"v": 2},
        subject="Re: draft",
        webhook_enabled=False,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "POST",
        f"{ms.prefix}/Conversations/{conversation.sid}/Messages/{made.sid}",
    )
    assert request.form == (
        ("Author", "editor"),
        ("Body", "final"),
        ("DateCreated", "2023-05-04T09:42:00Z"),
        ("DateUpdated", "2023-05-04T09:43:00Z"),
        ("Attributes", '{"v":2}'),
        ("Subject", "Re: draft"),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "false"
    assert (updated.sid, updated.index) == (made.sid, made.index)
    assert (updated.author, updated.body, updated.attributes) == ("editor", "final", {"v": 2})
    assert updated.date_created == datetime(2023, 5, 4, 9, 42, tzinfo=UTC)
    assert updated.date_updated == datetime(2023, 5, 4, 9, 43, tzinfo=UTC)
    assert await ms.messages.fetch(conversation.sid, made.sid) == updated


async def test_an_update_with_nothing_sends_nothing(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    made = await ms.messages.create(conversation.sid, body="same")
    same = await ms.messages.update(conversation.sid, made.sid)
    assert emulator.requests[-1].form == ()
    assert same == made


@pytest.mark.parametrize("webhook_enabled", [True, False])
async def test_delete(emulator: Emulator, ms: Messaging, webhook_enabled: bool) -> None:
    conversation = await ms.conversations.create()
    made = await ms.messages.create(conversation.sid, body="bye")
    await ms.messages.delete(conversation.sid, made.sid, webhook_enabled=webhook_enabled)
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "DELETE",
        f"{ms.prefix}/Conversations/{conversation.sid}/Messages/{made.sid}",
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == str(webhook_enabled).lower()
    with pytest.raises(ca.NotFoundError) as gone:
        await ms.messages.fetch(conversation.sid, made.sid)
    assert gone.value.code == 20404
    with pytest.raises(ca.NotFoundError):
        await ms.messages.delete(conversation.sid, made.sid)


async def test_anything_missing_is_20404(ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    missing_conversation = "CH" + "0" * 32
    calls = [
        ms.messages.fetch(conversation.sid, MISSING),
        ms.messages.update(conversation.sid, MISSING, body="x"),
        ms.messages.delete(conversation.sid, MISSING),
        ms.messages.create(missing_conversation, body="x"),
        ms.messages.fetch(missing_conversation, MISSING),
    ]
    for call in calls:
        with pytest.raises(ca.NotFoundError) as caught:
            await call
        assert caught.value.code == 20404
    with pytest.raises(ca.NotFoundError):
        await ms.messages.list(missing_conversation)
    # The spec gives a message's path SID a pattern: anything else is refused before sending.
    with pytest.raises(ca.InvalidArgumentError) as refused:
        await ms.messages.fetch(conversation.sid, "not-a-sid")
    assert refused.value.field == "message"


async def test_deleting_the_conversation_deletes_its_messages(
    emulator: Emulator, ms: Messaging
) -> None:
    conversation = await ms.conversations.create(unique_name="short-lived")
    made = await ms.messages.create(conversation.sid, body="x")
    await ms.conversations.delete(conversation.sid)
    again = await ms.conversations.create(unique_name="short-lived")
    # The new conversation of the same name starts afresh: no messages, index 0.
    assert [m async for m in ms.messages.list("short-lived")] == []
    assert (await ms.messages.create("short-lived", body="y")).index == 0
    with pytest.raises(ca.NotFoundError):
        await ms.messages.fetch(conversation.sid, made.sid)
    assert conversation.sid not in emulator.store.conversations
    assert again.sid in emulator.store.conversations


async def test_list_in_both_orders_page_by_page(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    made = [await ms.messages.create(conversation.sid, body=f"m{i}") for i in range(7)]
    emulator.reset_counters()

    oldest_first = [m async for m in ms.messages.list(conversation.sid, page_size=3)]
    assert [m.sid for m in oldest_first] == [m.sid for m in made]
    first_asc = emulator.requests[0]
    assert first_asc.query == (("PageSize", "3"),)
    assert len(emulator.requests) == 3

    emulator.reset_counters()
    newest_first = ms.messages.list(conversation.sid, order="desc", page_size=3)
    assert [m.index async for m in newest_first] == [6, 5, 4, 3, 2, 1, 0]
    first_desc = emulator.requests[0]
    assert first_desc.query == (("Order", "desc"), ("PageSize", "3"))
    # Every later page keeps the order (Twilio's next_page_url carries it).
    assert all(dict(r.query)["Order"] == "desc" for r in emulator.requests)

    explicit = ms.messages.list(conversation.sid, order=ca.MessageOrder.ASC)
    assert [m.index async for m in explicit] == list(range(7))
    asc_request = emulator.requests[-1]
    assert asc_request.query == (("Order", "asc"),)
    [last] = [m async for m in ms.messages.list(conversation.sid, order="desc", limit=1)]
    assert last.sid == made[-1].sid
    last_request = emulator.requests[-1]
    assert last_request.query == (("Order", "desc"), ("PageSize", "1"))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "body"),
        ({"author": "bot"}, "body"),
        ({"body": ""}, "body"),
        ({"body": "x" * (32 * 1024 + 1)}, "body"),
        ({"body": "é" * (16 * 1024 + 1)}, "body"),  # 2 bytes each in UTF-8
        ({"body": 12}, "body"),
        ({"body": None}, "body"),  # no field of a message is cleared by None
        ({"body": "x", "author": None}, "author"),
        ({"body": "x", "subject": None}, "subject"),
        ({"media_sid": None}, "media_sid"),
        ({"body": "x", "attributes": {"x": "y" * 4100}}, "attributes"),
        ({"body": "x", "attributes": "{not json"}, "attributes"),
        ({"media_sid": "ME123"}, "media_sid"),
        ({"content_sid": "HX123"}, "content_sid"),
        ({"content_sid": TEMPLATE, "content_variables": ["John"]}, "content_variables"),
        ({"content_sid": TEMPLATE, "content_variables": '{"name": "John"}'}, "content_variables"),
        ({"body": "x", "content_variables": {"name": "John"}}, "content_variables"),
        ({"body": "x", "subject": "s" * 257}, "subject"),
        ({"body": "x", "author": 7}, "author"),
        ({"body": "x", "date_created": datetime(2023, 1, 1)}, "date_created"),
        ({"body": "x", "webhook_enabled": "yes"}, "webhook_enabled"),
    ],
)
async def test_create_refuses_bad_input_before_sending(
    emulator: Emulator, ms: Messaging, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        await ms.messages.create("CH" + "0" * 32, **arguments)
    assert caught.value.field == field
    assert emulator.counters.requests == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"body": "x" * (32 * 1024 + 1)}, "body"),
        ({"body": None}, "body"),
        ({"attributes": {"x": "y" * 4100}}, "attributes"),
        ({"subject": "s" * 257}, "subject"),
        ({"date_updated": "yesterday"}, "date_updated"),
    ],
)
async def test_update_refuses_bad_input_before_sending(
    emulator: Emulator, ms: Messaging, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        await ms.messages.update("CH" + "0" * 32, MISSING, **arguments)
    assert caught.value.field == field
    assert emulator.counters.requests == 0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.fetch("", MISSING), "conversation"),
        (lambda m: m.fetch("CH" + "0" * 32, ""), "message"),
        (lambda m: m.delete("CH" + "0" * 32, MISSING, webhook_enabled=1), "webhook_enabled"),
    ],
)
async def test_bad_path_and_header_values_are_refused(
    emulator: Emulator, ms: Messaging, call: Any, field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        await call(ms.messages)
    assert caught.value.field == field
    assert emulator.counters.requests == 0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"order": "sideways"}, "order"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
    ],
)
async def test_bad_list_options_are_refused(
    emulator: Emulator, ms: Messaging, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        ms.messages.list("CH" + "0" * 32, **options)
    assert caught.value.field == field
    assert emulator.counters.requests == 0


async def test_the_largest_body_is_sent_and_sms_length_is_not_checked(ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    largest = "x" * (32 * 1024)
    assert (await ms.messages.create(conversation.sid, body=largest)).body == largest
    # 1,600 characters is what SMS and WhatsApp deliver; a chat participant gets more.
    longer_than_sms = "y" * 1601
    assert (
        await ms.messages.create(conversation.sid, body=longer_than_sms)
    ).body == longer_than_sms


def test_message_writes_are_paced_per_conversation() -> None:
    arguments = {"conversation": "CH" + "1" * 32, "message": MISSING, "body": "x"}
    key = conversation_write_key("CH" + "1" * 32, None)
    for operation in (message_ops.CREATE, message_ops.UPDATE, message_ops.DELETE):
        assert operation.request(None, arguments).write_key == key
    service = "IS" + "2" * 32
    scoped = message_ops.CREATE.request(service, arguments).write_key
    assert scoped == conversation_write_key("CH" + "1" * 32, service) != key
    for read in (message_ops.FETCH, message_ops.LIST):
        assert read.request(None, arguments).write_key is None


async def test_message_writes_spend_the_conversations_budget(
    emulator: Emulator, session: ca.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which budget each request spends, recorded rather than timed (no clock in the test).
    spent: list[str] = []
    monkeypatch.setattr(
        emulator._fault_state, "spend_write", lambda faults, key, now: spent.append(key)
    )
    conversation = await session.conversations.create()
    spent.clear()
    await session.participants.create(conversation.sid, identity="alice")
    made = await session.messages.create(conversation.sid, body="1")
    await session.messages.fetch(conversation.sid, made.sid)
    [_ async for _ in session.messages.list(conversation.sid)]
    await session.messages.update(conversation.sid, made.sid, body="2")
    await session.messages.delete(conversation.sid, made.sid)
    # Participants and messages share the conversation's budget; reads spend nothing.
    assert spent == [f"conversation:{conversation.sid}"] * 4


async def test_a_spent_budget_answers_429(emulator: Emulator, session: ca.Session) -> None:
    conversation = await session.conversations.create()
    emulator.faults.writes_per_second = 0
    with pytest.raises(ca.RateLimitError):
        await session.messages.create(conversation.sid, body="no room")
    emulator.faults.writes_per_second = None
    assert [m async for m in session.messages.list(conversation.sid)] == []
