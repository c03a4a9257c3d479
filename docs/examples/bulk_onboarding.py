"""Bulk onboarding: add many participants, stream each result, and run again safely."""

from __future__ import annotations

import conversations_async as ca


async def main(session: ca.Session) -> None:
    conversation = await session.conversations.create(friendly_name="Webinar 2024-06")

    specs = [ca.NewParticipant(identity=f"attendee-{i:03d}") for i in range(20)]
    specs.append(ca.NewParticipant(identity="bad", role_sid="not-a-role"))  # refused, not sent

    def show(result: ca.BulkResult) -> None:
        # Called as each participant is settled (completion order): write a log, move a bar.
        if result.status is ca.BulkStatus.FAILED:
            print(f"#{result.index} failed: {result.error}")

    report = await session.participants.create_many(conversation.sid, specs, on_result=show)
    print(report)  # <BulkReport 21 results: created=20, failed=1>
    assert report.counts[ca.BulkStatus.CREATED] == 20
    assert [r.index for r in report.failed] == [20]
    assert isinstance(report.failed[0].error, ca.InvalidArgumentError)

    # Running the same input again adds nobody twice: present participants come back
    # "existed", with the participant as Twilio has it. (One whose create failed ambiguously,
    # say with a 500, is read back instead and reported "created" with reconciled=True.)
    again = await session.participants.create_many(conversation.sid, specs[:20])
    assert again.ok
    assert len(again.existed) + sum(r.reconciled for r in again.created) == 20
    first = again[0].participant
    assert first is not None
    assert first.identity == "attendee-000"
