"""What a real service setup runs, against the emulator: a service, its roles, its users, a
conversation with them as participants, a message, and the unread counts it leaves."""

from __future__ import annotations

import asyncio

import conversations_async as ca
from conversations_async.models import RoleType
from conversations_async.testing import Emulator

AGENTS = ("alice", "bob", "carol")


async def test_onboarding_a_support_service(emulator: Emulator, session: ca.Session) -> None:
    service = await session.services.create(friendly_name="Acme support")
    support = session.service(service.sid)

    agent = await support.roles.create(
        friendly_name="agent",
        type=RoleType.SERVICE,
        permission=["createConversation", "joinConversation", "editOwnUserInfo"],
    )
    member = await support.roles.create(
        friendly_name="case member",
        type=RoleType.CONVERSATION,
        permission=["sendMessage", "sendMediaMessage", "leaveConversation", "editOwnMessage"],
    )
    users = await asyncio.gather(
        *(
            support.users.create(identity=name, friendly_name=name.title(), role_sid=agent.sid)
            for name in AGENTS
        )
    )
    assert {user.role_sid for user in users} == {agent.sid}

    case = await support.conversations.create(friendly_name="Case 1042", unique_name="case-1042")
    participants = await asyncio.gather(
        *(support.participants.create(case.sid, identity=n, role_sid=member.sid) for n in AGENTS)
    )
    assert {p.role_sid for p in participants} == {member.sid}
    # Adding them by identity made no new users: each participant is its user.
    assert sorted([u.identity or "" async for u in support.users.list()]) == sorted(AGENTS)

    for user, participant in zip(users, participants, strict=True):
        [joined] = [c async for c in support.user_conversations.list(user.identity or "")]
        assert (joined.conversation_sid, joined.participant_sid) == (case.sid, participant.sid)
        assert (joined.user_sid, joined.unique_name) == (user.sid, "case-1042")
        assert joined.unread_messages_count == 0

    message = await support.messages.create(case.sid, author="alice", body="I'm on it.")
    assert message.participant_sid == participants[0].sid
    for name in ("bob", "carol"):
        unread = await support.user_conversations.fetch(name, case.sid)
        assert unread.unread_messages_count == 1

    # Bob reads it (his app moves his read horizon); Carol has not.
    read = await support.user_conversations.update(
        "bob", case.sid, last_read_message_index=message.index
    )
    assert read.unread_messages_count == 0
    assert (await support.user_conversations.fetch("bob", case.sid)).unread_messages_count == 0
    assert (await support.user_conversations.fetch("carol", case.sid)).unread_messages_count == 1
    bob = await support.participants.fetch(case.sid, "bob")
    assert bob.last_read_message_index == message.index

    # Everything lived in the new service, nothing in the account's default one.
    assert [c async for c in session.conversations.list()] == []
    assert [u async for u in session.users.list()] == []
    assert service.sid in [s.sid async for s in session.services.list()]
