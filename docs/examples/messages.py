"""Send, read, edit and remove messages; follow their delivery; find a user's conversations."""

from __future__ import annotations

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Support")
    await session.participants.create(conversation.sid, identity="agent")
    await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15558675310",  # the customer's phone
        messaging_binding_proxy_address="+15017122661",  # your Twilio number
    )

    # A message needs a body, a media_sid or a content_sid; the author defaults to "system".
    hello = await session.messages.create(
        conversation.sid,
        author="agent",
        body="Hello! How can we help?",
        attributes={"intent": "greeting"},
    )
    print(hello.index, hello.author, hello.participant_sid)

    # An SMS participant gets one delivery receipt per message; delivery sums them up.
    assert hello.delivery is not None
    print(hello.delivery.total, hello.delivery.sent)  # 1 all
    async for receipt in session.delivery_receipts.list(conversation.sid, hello.sid):
        print(receipt.participant_sid, receipt.status, receipt.channel_message_sid)

    edited = await session.messages.update(
        conversation.sid, hello.sid, body="Hello! How can we help you today?"
    )
    assert edited.index == hello.index

    for n in range(3):
        await session.messages.create(conversation.sid, author="agent", body=f"Tip {n}")

    # Newest first; limit=1 asks Twilio for one message only.
    [last] = [m async for m in session.messages.list(conversation.sid, order="desc", limit=1)]
    assert last.body == "Tip 2"

    # Oldest first (Twilio's default order), page by page.
    async for message in session.messages.list(conversation.sid, page_size=50):
        print(message.index, message.body)

    await session.messages.delete(conversation.sid, last.sid)

    # Every conversation a participant is in: by identity (chat) or by address (SMS).
    async for mine in session.participant_conversations.list(address="+15558675310"):
        print(mine.conversation_sid, mine.conversation_state, mine.participant_sid)
    conversations = [c async for c in session.participant_conversations.list(identity="agent")]
    assert [c.conversation_sid for c in conversations] == [conversation.sid]
