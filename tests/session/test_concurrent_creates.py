"""Plain asyncio.gather of thousands of creates through one Session converges on the server cap."""

from __future__ import annotations

import asyncio

import pytest

from conversations_async import AdaptiveLimiter, Participant, RetryPolicy
from conversations_async.testing import Emulator, Faults, Limits


# ~25 s on an idle 2-core machine (2,000 creates, CPU-bound): room for a busy one.
@pytest.mark.timeout(180)
async def test_2000_concurrent_creates_all_succeed_without_hammering() -> None:
    faults = Faults(max_in_flight=20, latency=0.005)
    limits = Limits(participants_per_conversation=2000)
    async with Emulator(faults=faults, limits=limits) as emulator:
        # Write pacing off: this is about the account concurrency cap, not 30 writes/s.
        async with emulator.session(
            writes_per_second=None, retry=RetryPolicy(initial=0.05, max_wait=0.5, attempts=10)
        ) as session:
            conversation = await session.conversations.create()
            emulator.reset_counters()
            created = await asyncio.gather(
                *(
                    session.participants.create(conversation.sid, identity=f"u{i}")
                    for i in range(2000)
                ),
                return_exceptions=True,
            )
            state = session.limiter.state
    assert [c for c in created if not isinstance(c, Participant)] == []
    assert emulator.participants_created == 2000
    assert emulator.counters.by_status[201] == 2000
    # The limiter converged under the cap instead of sending 2000 at once and retrying 1600.
    assert emulator.counters.throttled < 200
    assert isinstance(session.limiter, AdaptiveLimiter)
    assert state.halvings > 0 and state.in_flight == 0
