"""A user's conversations in both scopes: one per conversation the user is a participant of,
the unread count from the messages, the read state shared with the participant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from _ops_scopes import Scope
from _people import People, people_for

import conversations_async as ca
from conversations_async._limits import service_write_key
from conversations_async._sansio import Pacing
from conversations_async.models import ConversationState, NotificationLevel, UserConversation
from conversations_async.resources import user_conversations as user_conversation_ops
from conversations_async.testing import Emulator

OTHER_SERVICE = "IS" + "7" * 32


@pytest.fixture
def ps(session: ca.Session, scope: Scope) -> People:
    return people_for(session, scope)


async def test_one_per_conversation_the_user_is_in(
    emulator: Emulator, session: ca.Session, ps: People
) -> None:
    first = await ps.conversations.create(
        friendly_name="First", unique_name="first", attributes={"topic": "billing"}
    )
    second = await ps.conversations.create(friendly_name="Second")
    await ps.conversations.create(friendly_name="Not hers")
    one = await ps.participants.create(first.sid, identity="alice")
    two = await ps.participants.create(second.sid, identity="alice")
    # The same identity in another service is another user.
    elsewhere = session.service(OTHER_SERVICE)
    await elsewhere.participants.create(
        (await elsewhere.conversations.create()).sid, identity="alice"
    )
    user = await ps.users.fetch("alice")

    listed = [c async for c in ps.user_conversations.list("alice")]
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("GET", f"{ps.prefix}/Users/alice/Conversations")
    assert [c.conversation_sid for c in listed] == [first.sid, second.sid]
    assert [c.participant_sid for c in listed] == [one.sid, two.sid]
    mine = listed[0]
    assert isinstance(mine, UserConversation)
    assert mine.user_sid == user.sid
    assert mine.account_sid == emulator.account_sid
    assert mine.chat_service_sid == (ps.service or emulator.store.default_service)
    assert (mine.friendly_name, mine.unique_name) == ("First", "first")
    assert mine.attributes == {"topic": "billing"}
    assert mine.conversation_state == ConversationState.ACTIVE
    assert mine.timers is not None
    assert mine.date_created == first.date_created
    assert mine.notification_level == NotificationLevel.DEFAULT
    assert (mine.unread_messages_count, mine.last_read_message_index) == (0, None)
    assert str(mine.url).endswith(f"{ps.prefix}/Users/{user.sid}/Conversations/{first.sid}")
    assert {k: str(v) for k, v in mine.links.items()} == {
        "participant": str(one.url),
        "conversation": str(first.url),
    }
    # By the user's SID too; the conversation by SID or unique name.
    assert [c async for c in ps.user_conversations.list(user.sid)] == listed
    assert await ps.user_conversations.fetch("alice", "first") == mine
    assert await ps.user_conversations.fetch(user.sid, first.sid) == mine
    assert emulator.requests[-1].path == f"{ps.prefix}/Users/{user.sid}/Conversations/{first.sid}"


async def test_the_unread_count_follows_the_read_horizon(emulator: Emulator, ps: People) -> None:
    conversation = await ps.conversations.create()
    await ps.participants.create(conversation.sid, identity="bob")
    for n in range(3):
        await ps.messages.create(conversation.sid, author="system", body=f"m{n}")
    view = await ps.user_conversations.fetch("bob", conversation.sid)
    assert (view.unread_messages_count, view.last_read_message_index) == (3, None)

    updated = await ps.user_conversations.update("bob", conversation.sid, last_read_message_index=1)
    assert (updated.unread_messages_count, updated.last_read_message_index) == (1, 1)
    # The read horizon is the participant's.
    assert (await ps.participants.fetch(conversation.sid, "bob")).last_read_message_index == 1
    await ps.participants.update(conversation.sid, "bob", last_read_message_index=2)
    again = await ps.user_conversations.fetch("bob", conversation.sid)
    assert (again.unread_messages_count, again.last_read_message_index) == (0, 2)
    # None clears it (sent as Twilio's null): every message is unread again.
    cleared = await ps.user_conversations.update(
        "bob", conversation.sid, last_read_message_index=None
    )
    assert emulator.requests[-1].form == (("LastReadMessageIndex", "null"),)
    assert (cleared.unread_messages_count, cleared.last_read_message_index) == (3, None)


async def test_update_sends_every_field(emulator: Emulator, ps: People) -> None:
    conversation = await ps.conversations.create()
    await ps.participants.create(conversation.sid, identity="carol")
    await ps.messages.create(conversation.sid, body="hello")
    updated = await ps.user_conversations.update(
        "carol",
        conversation.sid,
        notification_level=NotificationLevel.MUTED,
        last_read_timestamp=datetime(2024, 5, 4, 9, 42, tzinfo=UTC),
        last_read_message_index=0,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "POST",
        f"{ps.prefix}/Users/carol/Conversations/{conversation.sid}",
    )
    assert request.form == (
        ("NotificationLevel", "muted"),
        ("LastReadTimestamp", "2024-05-04T09:42:00Z"),
        ("LastReadMessageIndex", "0"),
    )
    assert updated.notification_level == NotificationLevel.MUTED
    assert (updated.unread_messages_count, updated.last_read_message_index) == (0, 0)
    participant = await ps.participants.fetch(conversation.sid, "carol")
    assert participant.last_read_timestamp == "2024-05-04T09:42:00Z"
    assert (await ps.user_conversations.fetch("carol", conversation.sid)) == updated
    unmuted = await ps.user_conversations.update(
        "carol", conversation.sid, notification_level="default"
    )
    assert unmuted.notification_level == NotificationLevel.DEFAULT


async def test_delete_leaves_the_conversation(emulator: Emulator, ps: People) -> None:
    conversation = await ps.conversations.create()
    await ps.participants.create(conversation.sid, identity="dave")
    await ps.user_conversations.delete("dave", conversation.sid)
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "DELETE",
        f"{ps.prefix}/Users/dave/Conversations/{conversation.sid}",
    )
    assert [p async for p in ps.participants.list(conversation.sid)] == []
    assert [c async for c in ps.user_conversations.list("dave")] == []
    await ps.users.fetch("dave")  # leaving a conversation keeps the user
    for call in (
        ps.user_conversations.fetch("dave", conversation.sid),
        ps.user_conversations.delete("dave", conversation.sid),
    ):
        with pytest.raises(ca.NotFoundError) as gone:
            await call
        assert gone.value.code == 20404


async def test_what_is_missing_is_20404(ps: People) -> None:
    conversation = await ps.conversations.create()
    await ps.users.create(identity="erin")  # a user in no conversation
    for call in (
        ps.user_conversations.fetch("erin", conversation.sid),
        ps.user_conversations.fetch("nobody", conversation.sid),
        ps.user_conversations.fetch("erin", "CH" + "0" * 32),
        ps.user_conversations.update("erin", conversation.sid, notification_level="muted"),
    ):
        with pytest.raises(ca.NotFoundError) as missing:
            await call
        assert missing.value.code == 20404
    with pytest.raises(ca.NotFoundError):
        [_ async for _ in ps.user_conversations.list("nobody")]
    assert [_ async for _ in ps.user_conversations.list("erin")] == []


async def test_list_follows_every_page(emulator: Emulator, ps: People) -> None:
    made = [await ps.conversations.create(friendly_name=f"c{n}") for n in range(5)]
    for conversation in made:
        await ps.participants.create(conversation.sid, identity="frank")
    emulator.reset_counters()
    listed = [c async for c in ps.user_conversations.list("frank", page_size=2)]
    assert [c.conversation_sid for c in listed] == [c.sid for c in made]
    assert len(emulator.requests) == 3
    assert ("PageSize", "2") in emulator.requests[0].query
    with pytest.raises(ca.InvalidArgumentError):
        await ps.user_conversations.list("frank", page_size=51)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"notification_level": "loud"}, "notification_level"),
        ({"notification_level": 1}, "notification_level"),
        ({"last_read_message_index": -1}, "last_read_message_index"),
        ({"last_read_message_index": "1"}, "last_read_message_index"),
        ({"last_read_message_index": True}, "last_read_message_index"),
        ({"last_read_timestamp": datetime(2024, 5, 4)}, "last_read_timestamp"),  # naive
        ({"last_read_timestamp": "yesterday"}, "last_read_timestamp"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    emulator: Emulator, ps: People, arguments: dict[str, Any], field: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(ca.InvalidArgumentError) as refused:
        await ps.user_conversations.update("alice", "CH" + "1" * 32, **arguments)
    assert refused.value.field == field
    assert len(emulator.requests) == before


def test_user_conversation_writes_are_paced_per_service() -> None:
    arguments = {"user": "alice", "conversation": "CH" + "1" * 32}
    for operation in (user_conversation_ops.UPDATE, user_conversation_ops.DELETE):
        assert operation.pacing is Pacing.SERVICE
        assert operation.request(None, arguments).write_key == service_write_key(None)
    for read in (user_conversation_ops.FETCH, user_conversation_ops.LIST):
        assert read.request(None, arguments).write_key is None
