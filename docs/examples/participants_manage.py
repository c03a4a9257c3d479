"""Read, change and remove the participants of a conversation."""

from __future__ import annotations

from datetime import UTC, datetime

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Team")
    await session.participants.create(conversation.sid, identity="alice")
    await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15558675310",
        messaging_binding_proxy_address="+15017122661",
    )

    # By SID or by identity.
    alice = await session.participants.fetch(conversation.sid, "alice")

    alice = await session.participants.update(
        conversation.sid,
        alice.sid,
        attributes={"role": "lead"},
        last_read_message_index=12,
        last_read_timestamp=datetime.now(UTC),
    )
    print(alice.identity, alice.attributes, alice.last_read_message_index)

    # None sends Twilio's "null": here, mark nothing as read.
    alice = await session.participants.update(
        conversation.sid, "alice", last_read_message_index=None
    )
    assert alice.last_read_message_index is None

    async for participant in session.participants.list(conversation.sid):
        kind = "chat" if participant.identity else "sms"
        print(kind, participant.sid, participant.identity or participant.messaging_binding)

    # Unlike twilio-python, the webhook header is sent on delete too.
    await session.participants.delete(conversation.sid, "alice", webhook_enabled=True)
