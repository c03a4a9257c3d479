"""Adding participants: a chat user, an SMS user, a Group MMS chat user."""

from __future__ import annotations

from datetime import UTC, datetime

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Support #1042")

    agent = await session.participants.create(
        conversation.sid,
        identity="agent-ada",
        attributes={"role": "agent", "languages": ["en", "fr"]},
        date_created=datetime(2024, 1, 2, 9, 30, tzinfo=UTC),
        webhook_enabled=True,
    )
    assert agent.attributes["role"] == "agent"

    customer = await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15558675310",  # the customer's phone
        messaging_binding_proxy_address="+15017122661",  # your Twilio number
    )
    assert customer.messaging_binding is not None
    assert customer.messaging_binding.type == "sms"

    try:
        await session.participants.create(conversation.sid, identity="agent-ada")
    except ca.ConflictError as error:
        print(error.code, error.already_in_conversation)  # 50433 True: she is already there
    else:
        raise RuntimeError("expected Twilio to refuse a second agent-ada")
