"""Membership: remove many participants (absent counts as done), then make a conversation's
membership equal a list, with a look at the plan first."""

from __future__ import annotations

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Team")
    team = [ca.NewParticipant(identity=name) for name in ("ada", "bea", "cy", "dee")]
    assert (await session.participants.create_many(conversation.sid, team)).ok

    # Remove by identity (or MB… SID, NewParticipant, Participant record). Someone who is
    # not there is "absent": the goal is reached, so the report is ok, and a re-run is safe.
    removed = await session.participants.delete_many(conversation.sid, ["dee", "nobody"])
    print(removed)  # <BulkReport 2 results: removed=1, absent=1>
    assert removed.ok
    assert [r.status for r in removed] == [
        ca.BulkStatus.REMOVED,
        ca.BulkStatus.ABSENT,
    ]

    # The membership wanted: bea leaves, eve joins. A dry run only plans.
    wanted = [ca.NewParticipant(identity=name) for name in ("ada", "cy", "eve")]
    dry = await session.participants.sync(conversation.sid, wanted, dry_run=True)
    print(dry.plan)  # <SyncPlan add=1 remove=1 keep=2>
    assert [p.identity for p in dry.plan.remove] == ["bea"]
    assert [s.identity for s in dry.plan.add] == ["eve"]

    def confirm(plan: ca.SyncPlan) -> bool:
        # Called with the plan before anything is sent; False sends nothing.
        return len(plan.remove) <= 1

    report = await session.participants.sync(conversation.sid, wanted, confirm=confirm)
    assert report.applied
    assert report.ok
    assert report.added is not None
    assert report.added[0].index == 2  # eve's place in `wanted`

    # Once it has succeeded, the same call plans nothing and sends nothing.
    again = await session.participants.sync(conversation.sid, wanted)
    assert not again.plan.changes
    assert len(again.plan.keep) == 3
