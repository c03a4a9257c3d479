"""Bulk onboarding from an async source, stopped by a timeout and resumed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import conversations_async as ca


async def rows() -> AsyncIterator[ca.NewParticipant]:
    # Stands in for a large CSV read line by line: create_many pulls one spec per free
    # worker, so the source is never read far ahead of the work.
    for i in range(60):
        yield ca.NewParticipant(identity=f"member-{i:04d}", attributes={"batch": i // 20})


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Members")

    finished: list[ca.BulkResult] = []  # what on_result saw: complete, even after a cancel
    try:
        async with asyncio.timeout(0.3):
            await session.participants.create_many(
                conversation.sid, rows(), concurrency=10, on_result=finished.append
            )
    except TimeoutError:
        print(f"stopped after {len(finished)} participants")

    # Resume by running the same input again: finished ones (and any that were in flight
    # when the timeout struck) are found and reported "existed"; nobody is added twice.
    report = await session.participants.create_many(conversation.sid, rows(), concurrency=10)
    assert report.ok
    assert len(report) == 60
    print(report.counts)
