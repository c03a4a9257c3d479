"""Set up a Conversation Service: its roles, its users, a conversation, and unread counts."""

from __future__ import annotations

import conversations_async as ca
from conversations_async.models import NotificationLevel, RoleType


async def main(session: ca.Session) -> None:
    # A service of its own; session.service(sid) reaches everything it holds at once.
    created = await session.services.create(friendly_name="Acme support")
    support = session.service(created.sid)

    # Every service starts with Twilio's default roles.
    async for role in support.roles.list():
        print(role.friendly_name, role.type, len(role.permissions or ()))

    # A service role for users, a conversation role for participants. The array keeps
    # Twilio's singular name: permission=[...] sends one Permission per item.
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

    for identity in ("alice", "bob"):
        await support.users.create(
            identity=identity, friendly_name=identity.title(), role_sid=agent.sid
        )

    case = await support.conversations.create(friendly_name="Case 1042", unique_name="case-1042")
    for identity in ("alice", "bob"):
        # A chat participant is its user (one would be made for an identity not seen before).
        await support.participants.create(case.sid, identity=identity, role_sid=member.sid)

    reply = await support.messages.create(case.sid, author="alice", body="I'm on it.")

    # Each user sees the conversation, with what is unread since its last read message.
    async for mine in support.user_conversations.list("bob"):
        print(mine.friendly_name, mine.unread_messages_count)  # Case 1042 1
    read = await support.user_conversations.update(
        "bob", "case-1042", last_read_message_index=reply.index
    )
    assert read.unread_messages_count == 0
    # The read horizon is the participant's too.
    assert (await support.participants.fetch(case.sid, "bob")).last_read_message_index == 0

    muted = await support.user_conversations.update(
        "alice", case.sid, notification_level=NotificationLevel.MUTED
    )
    print(muted.notification_level)

    # Users and roles change; a role's permissions are replaced as a whole.
    await support.users.update("bob", attributes={"shift": "night"})
    await support.roles.update(member.sid, permission=["sendMessage", "leaveConversation"])

    # Leaving a conversation removes the participant; the user stays.
    await support.user_conversations.delete("bob", case.sid)
    assert [c async for c in support.user_conversations.list("bob")] == []

    # Deleting a service removes everything it holds.
    await session.services.delete(created.sid)
