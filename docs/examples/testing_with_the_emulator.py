"""Testing with the emulator: a real local server, with faults you control."""

from __future__ import annotations

import asyncio

import conversations_async as ca
from conversations_async.testing import Emulator, Faults


async def main(session: ca.Session | None = None) -> None:
    # `session` is unused: this example starts its own emulator, as a test would.
    async with Emulator(faults=Faults(latency=0.01)) as emulator:
        async with emulator.session() as client:
            conversation = await client.conversations.create(friendly_name="test")
            emulator.fail_next("POST", "*/Participants", status=429)  # one throttled answer
            participant = await client.participants.create(conversation.sid, identity="alice")
            assert participant.identity == "alice"
        assert emulator.counters.by_status[429] == 1  # ... that the Session retried
        assert emulator.requests[-1].form_dict == {"Identity": "alice"}


if __name__ == "__main__":
    asyncio.run(main())
