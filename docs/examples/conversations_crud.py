"""Create, fetch, update, list and delete conversations."""

from __future__ import annotations

from datetime import date, timedelta

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(
        friendly_name="Support #1042",
        unique_name="support-1042",
        attributes={"priority": "high"},
        timers_inactive=timedelta(hours=1),  # or the ISO 8601 text "PT1H"
        timers_closed="P1D",
    )
    print(conversation.sid, conversation.state, conversation.timers)

    # A conversation is addressed by its SID or by its unique name.
    same = await session.conversations.fetch("support-1042")
    assert same.sid == conversation.sid

    renamed = await session.conversations.update(
        "support-1042", friendly_name="Support #1042 (escalated)", webhook_enabled=True
    )
    print(renamed.friendly_name)

    # Everything created today that is still active, newest first.
    async for item in session.conversations.list(start_date=date.today(), state="active"):
        print(item.sid, item.friendly_name)

    # Closing is final: the conversation keeps its history, its SMS bindings are freed.
    await session.conversations.update(conversation.sid, state=ca.ConversationState.CLOSED)
    await session.conversations.delete(conversation.sid)
