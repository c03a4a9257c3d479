"""The emulator's users, roles and services behave as a test on Twilio would meet them: chat
participants are backed by users, role SIDs are checked by type, deletes remove what they hold,
and user webhooks go out as asked."""

from __future__ import annotations

from typing import Any

import pytest
from _hook_receiver import start_receiver
from _people import default_role

import conversations_async as ca
from conversations_async.testing import Emulator
from conversations_async.webhooks import UserAdded, UserUpdated, parse_event

ADDRESS = "+15558675310"
PROXY = "+15017122661"
OTHER = "IS" + "8" * 32


async def test_a_chat_participant_creates_its_user_in_its_service(
    emulator: Emulator, session: ca.Session
) -> None:
    conversation = await session.conversations.create()
    participant = await session.participants.create(conversation.sid, identity="alice")
    user = await session.users.fetch("alice")
    assert user.chat_service_sid == emulator.store.default_service
    # Twilio's defaults: the user gets the service's user role, the participant its
    # conversation's member role.
    assert user.role_sid == await default_role(session.roles, "service user")
    assert participant.role_sid == await default_role(session.roles, "channel user")
    # Another conversation: the same user.
    second = await session.conversations.create()
    await session.participants.create(second.sid, identity="alice")
    assert [u.sid async for u in session.users.list()] == [user.sid]
    # SMS participants have no user; another service's participant is that service's user.
    await session.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    elsewhere = session.service(OTHER)
    await elsewhere.participants.create(
        (await elsewhere.conversations.create()).sid, identity="bob"
    )
    assert [u.identity async for u in session.users.list()] == ["alice"]
    assert [u.identity async for u in elsewhere.users.list()] == ["bob"]
    with pytest.raises(ca.NotFoundError):
        await session.users.fetch("bob")


async def test_a_user_made_first_is_the_participants(session: ca.Session) -> None:
    role = await session.roles.create(
        friendly_name="lead", type="service", permission=["createConversation"]
    )
    made = await session.users.create(identity="carol", role_sid=role.sid)
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="carol")
    assert await session.users.fetch("carol") == made  # not replaced, role kept


async def test_a_new_identity_on_update_gets_its_user(session: ca.Session) -> None:
    conversation = await session.conversations.create()
    participant = await session.participants.create(conversation.sid, identity="dan")
    await session.participants.update(conversation.sid, participant.sid, identity="daniel")
    assert (await session.users.fetch("daniel")).identity == "daniel"
    assert [c.conversation_sid async for c in session.user_conversations.list("daniel")] == [
        conversation.sid
    ]
    assert [c async for c in session.user_conversations.list("dan")] == []


async def test_participant_conversations_name_the_user(session: ca.Session) -> None:
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity="erin")
    await session.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    user = await session.users.fetch("erin")
    [chat] = [c async for c in session.participant_conversations.list(identity="erin")]
    assert chat.participant_user_sid == user.sid
    [sms] = [c async for c in session.participant_conversations.list(address=ADDRESS)]
    assert sms.participant_user_sid is None


async def test_a_participants_role_must_be_a_conversation_role_of_its_service(
    session: ca.Session,
) -> None:
    conversation = await session.conversations.create()
    service_role = await session.roles.create(
        friendly_name="admin-ish", type="service", permission=["createConversation"]
    )
    member = await session.roles.create(
        friendly_name="member", type="conversation", permission=["sendMessage"]
    )
    elsewhere = session.service(OTHER)
    foreign = await elsewhere.roles.create(
        friendly_name="member", type="conversation", permission=["sendMessage"]
    )
    for role_sid in (service_role.sid, foreign.sid, "RL" + "9" * 32):
        with pytest.raises(ca.BadRequestError) as refused:
            await session.participants.create(conversation.sid, identity="x", role_sid=role_sid)
        assert refused.value.code == 50109
    # Nothing was made: no participant, no user.
    assert [p async for p in session.participants.list(conversation.sid)] == []
    with pytest.raises(ca.NotFoundError):
        await session.users.fetch("x")
    made = await session.participants.create(conversation.sid, identity="x", role_sid=member.sid)
    assert made.role_sid == member.sid
    with pytest.raises(ca.BadRequestError) as refused_update:
        await session.participants.update(conversation.sid, "x", role_sid=service_role.sid)
    assert refused_update.value.code == 50109
    assert (await session.participants.fetch(conversation.sid, "x")).role_sid == member.sid
    # In bulk, as Twilio answers it: the item fails with the same code.
    report = await session.participants.create_many(
        conversation.sid, [ca.NewParticipant(identity="y", role_sid=service_role.sid)]
    )
    assert report.results[0].error_code == 50109


async def test_a_users_role_must_be_a_service_role(session: ca.Session) -> None:
    channel_user = await default_role(session.roles, "channel user")
    await session.users.create(identity="fay")
    with pytest.raises(ca.BadRequestError) as refused:
        await session.users.update("fay", role_sid=channel_user)
    assert refused.value.code == 50100
    assert (await session.users.fetch("fay")).role_sid == await default_role(
        session.roles, "service user"
    )


async def test_deleting_a_user_removes_its_participants(session: ca.Session) -> None:
    first = await session.conversations.create()
    second = await session.conversations.create()
    for conversation in (first, second):
        await session.participants.create(conversation.sid, identity="gus")
        await session.participants.create(conversation.sid, identity="hal")
    elsewhere = session.service(OTHER)
    other = await elsewhere.conversations.create()
    await elsewhere.participants.create(other.sid, identity="gus")
    await session.users.delete("gus")
    for conversation in (first, second):
        names = [p.identity async for p in session.participants.list(conversation.sid)]
        assert names == ["hal"]
    # The same identity in another service is another user, untouched.
    assert [p.identity async for p in elsewhere.participants.list(other.sid)] == ["gus"]
    # Added again, the identity gets a new user.
    await session.participants.create(first.sid, identity="gus")
    assert [c.conversation_sid async for c in session.user_conversations.list("gus")] == [first.sid]


async def test_deleting_a_service_removes_what_it_holds(
    emulator: Emulator, session: ca.Session
) -> None:
    service = await session.services.create(friendly_name="doomed")
    scoped = session.service(service.sid)
    conversation = await scoped.conversations.create(unique_name="doomed-room")
    await scoped.participants.create(conversation.sid, identity="ivy")
    await scoped.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    await scoped.messages.create(conversation.sid, body="hello")
    await scoped.roles.create(friendly_name="r", type="service", permission=["joinConversation"])
    await scoped.webhook_configuration.update(post_webhook_url="https://example.com/hook")
    kept = await session.conversations.create(friendly_name="default service")

    await session.services.delete(service.sid)
    assert set(emulator.store.conversations) == {kept.sid}
    # The (address, proxy) pair it held is free again.
    other = await session.conversations.create()
    await session.participants.create(
        other.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    # A service made later starts empty, with only the default roles.
    fresh = session.service((await session.services.create(friendly_name="fresh")).sid)
    assert [c async for c in fresh.conversations.list()] == []
    assert [u async for u in fresh.users.list()] == []
    assert len([r async for r in fresh.roles.list()]) == 4
    assert (await fresh.webhook_configuration.fetch()).post_webhook_url is None


async def test_user_webhooks_go_out_when_asked(
    emulator: Emulator, session: ca.Session, aiohttp_server: Any
) -> None:
    receiver = await start_receiver(aiohttp_server, emulator.auth_token)
    emulator.webhooks.url = receiver.url("/hooks")
    await session.users.create(identity="quiet")
    made = await session.users.create(identity="jo", friendly_name="Jo", webhook_enabled=True)
    await session.users.update("jo", attributes={"v": 1}, webhook_enabled=True)
    await session.users.update("jo", friendly_name="no hook")
    await emulator.webhooks.drain()
    events = [parse_event(received.params) for received in receiver.received]
    assert all(received.signed for received in receiver.received)
    added, updated = events
    assert isinstance(added, UserAdded) and isinstance(updated, UserUpdated)
    assert (added.user_sid, added.identity, added.friendly_name) == (made.sid, "jo", "Jo")
    assert added.role_sid == made.role_sid
    assert added.chat_service_sid == emulator.store.default_service
    assert updated.attributes == {"v": 1}
    assert updated.date_updated is not None
