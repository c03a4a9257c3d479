"""Quickstart, step 1: a conversation and its first participant.

Run it in a shell where the emulator's variables are exported (``conversations-async
emulator`` prints them), or Twilio's: the code is the same.
"""

from __future__ import annotations

import asyncio

import conversations_async as ca


async def first_participant() -> None:
    # No arguments: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and
    # TWILIO_API_SECRET) and TWILIO_CONVERSATIONS_BASE_URL come from the environment.
    async with ca.Session() as session:
        conversation = await session.conversations.create(friendly_name="Support")
        alice = await session.participants.create(
            conversation.sid, identity="alice", attributes={"role": "agent"}
        )
        print(f"{alice.identity} joined {conversation.sid} as {alice.sid}")


if __name__ == "__main__":
    asyncio.run(first_participant())
