"""``participant_conversations.list(identity=… | address=…)`` in both scopes: every
conversation a participant is in, as the participants of each conversation say."""

from __future__ import annotations

from typing import Any

import pytest
from _messaging import ADDRESS, PROXY, Messaging, messaging_for
from _ops_scopes import Scope

import conversations_async as ca
from conversations_async.testing import Emulator


@pytest.fixture
def ms(session: ca.Session, scope: Scope) -> Messaging:
    return messaging_for(session, scope)


async def test_by_identity(emulator: Emulator, ms: Messaging) -> None:
    first = await ms.conversations.create(
        friendly_name="First", unique_name="first", attributes={"topic": "a"}
    )
    second = await ms.conversations.create(friendly_name="Second")
    elsewhere = await ms.conversations.create(friendly_name="Without alice")
    alice = await ms.participants.create(first.sid, identity="alice")
    await ms.participants.create(second.sid, identity="alice")
    await ms.participants.create(elsewhere.sid, identity="bob")

    found = [c async for c in ms.participant_conversations.list(identity="alice")]
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("GET", f"{ms.prefix}/ParticipantConversations")
    assert request.query == (("Identity", "alice"),)
    assert [c.conversation_sid for c in found] == [first.sid, second.sid]
    one = found[0]
    assert isinstance(one, ca.ParticipantConversation)
    assert one.participant_sid == alice.sid
    assert one.participant_identity == "alice"
    assert one.participant_messaging_binding is None
    assert one.conversation_friendly_name == "First"
    assert one.conversation_unique_name == "first"
    assert one.conversation_attributes == {"topic": "a"}
    assert one.conversation_state is ca.ConversationState.ACTIVE
    assert one.conversation_date_created == first.date_created
    assert one.conversation_date_updated == first.date_updated
    assert one.chat_service_sid == first.chat_service_sid
    assert {k: str(v) for k, v in one.links.items()} == {
        "participant": str(alice.url),
        "conversation": str(first.url),
    }


async def test_by_address(emulator: Emulator, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    other = await ms.conversations.create()
    sms = await ms.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    await ms.participants.create(
        other.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address="+15017122669"
    )
    await ms.participants.create(other.sid, identity=ADDRESS)  # an identity is not an address

    found = [c async for c in ms.participant_conversations.list(address=ADDRESS)]
    assert emulator.requests[-1].query == (("Address", ADDRESS),)
    assert [c.conversation_sid for c in found] == [conversation.sid, other.sid]
    binding = found[0].participant_messaging_binding
    assert found[0].participant_sid == sms.sid and found[0].participant_identity is None
    assert binding is not None
    assert (binding.type, binding.address, binding.proxy_address) == ("sms", ADDRESS, PROXY)


async def test_it_follows_the_participants(ms: Messaging) -> None:
    kept = await ms.conversations.create()
    left = await ms.conversations.create()
    deleted = await ms.conversations.create()
    for conversation in (kept, left, deleted):
        await ms.participants.create(conversation.sid, identity="carol")
    await ms.participants.delete(left.sid, "carol")
    await ms.conversations.delete(deleted.sid)
    await ms.conversations.update(kept.sid, state="closed")
    [only] = [c async for c in ms.participant_conversations.list(identity="carol")]
    assert only.conversation_sid == kept.sid
    assert only.conversation_state is ca.ConversationState.CLOSED
    assert [c async for c in ms.participant_conversations.list(identity="nobody")] == []


async def test_each_scope_sees_its_own_service(session: ca.Session, ms: Messaging) -> None:
    conversation = await ms.conversations.create()
    await ms.participants.create(conversation.sid, identity="dave")
    other_scope = (
        session.service("IS" + "9" * 32) if ms.service is None else session
    ).participant_conversations
    assert [c async for c in other_scope.list(identity="dave")] == []
    assert len([c async for c in ms.participant_conversations.list(identity="dave")]) == 1


async def test_pages_of_at_most_50(emulator: Emulator, ms: Messaging) -> None:
    made = []
    for _ in range(3):
        conversation = await ms.conversations.create()
        await ms.participants.create(conversation.sid, identity="erin")
        made.append(conversation.sid)
    emulator.reset_counters()
    paged = ms.participant_conversations.list(identity="erin", page_size=2)
    assert [c.conversation_sid async for c in paged] == made
    assert len(emulator.requests) == 2
    assert emulator.requests[0].query == (("Identity", "erin"), ("PageSize", "2"))
    assert dict(emulator.requests[1].query)["Identity"] == "erin"
    limited = ms.participant_conversations.list(identity="erin", limit=100)
    assert len([c async for c in limited]) == 3
    assert emulator.requests[-1].query == (("Identity", "erin"), ("PageSize", "50"))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "identity"),
        ({"identity": "", "address": ""}, "identity"),
        ({"identity": "alice", "address": ADDRESS}, "address"),
        ({"identity": "i" * 257}, "identity"),
        ({"address": 15558675310}, "address"),
        ({"identity": "alice", "page_size": 51}, "page_size"),
        ({"identity": "alice", "limit": 0}, "limit"),
    ],
)
async def test_exactly_one_of_identity_and_address(
    emulator: Emulator, ms: Messaging, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        ms.participant_conversations.list(**options)
    assert caught.value.field == field
    assert emulator.counters.requests == 0
