"""Quickstart, step 2: a bulk job. 50 participants, each added exactly once however often
the server answers 429; the same input again adds nobody."""

from __future__ import annotations

import asyncio
import logging

import conversations_async as ca


async def first_bulk_job() -> None:
    # INFO shows each retry with its reason and wait, and each time the limiter slows down.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    async with ca.Session() as session:
        conversation = await session.conversations.create(friendly_name="All hands")
        people = [ca.NewParticipant(identity=f"user-{i:03d}") for i in range(50)]
        report = await session.participants.create_many(conversation.sid, people)
        print(report)  # <BulkReport 50 results: created=50>
        for result in report.failed:
            print(f"{result.spec} failed: {result.error}")
        again = await session.participants.create_many(conversation.sid, people)
        print(f"second run: {len(again.existed)} already there")
        print(session.stats)  # requests sent, retries, 429s


if __name__ == "__main__":
    asyncio.run(first_bulk_job())
