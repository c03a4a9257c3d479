"""The bulk and retry examples of the docs, run against an emulator that misbehaves the way
Twilio can: a concurrency cap, 5xx answers and connections cut after commit."""

from __future__ import annotations

import pytest
from _examples import load_example

from conversations_async import RetryPolicy
from conversations_async.testing import Emulator, Faults

BULK_EXAMPLES = ["bulk_onboarding", "bulk_streaming_and_cancelling", "retries_and_limits"]


@pytest.mark.parametrize("name", BULK_EXAMPLES)
async def test_bulk_example_runs_under_faults(name: str) -> None:
    module = load_example(name)
    faults = Faults(
        max_in_flight=8,
        latency=0.002,
        server_error_rate=0.03,
        disconnect_after_commit_rate=0.03,
        seed=2,
    )
    async with Emulator(faults=faults) as emulator:
        async with emulator.session(
            retry=RetryPolicy(initial=0.001, max_wait=0.01), writes_per_second=None
        ) as session:
            await module.main(session)
        identities = [
            p["identity"]
            for entry in emulator.store.conversations.values()
            for p in entry.participants.values()
        ]
    assert len(identities) == len(set(identities))  # nobody doubled, whatever the faults
