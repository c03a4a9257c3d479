"""delete_many: absent means done, one result per item in input order, nothing raised for one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from conversations_async import (
    AuthenticationError,
    BulkResult,
    BulkStatus,
    Conversation,
    InvalidArgumentError,
    NewParticipant,
    NotFoundError,
    Participant,
    RetryPolicy,
    ServerError,
    Session,
)
from conversations_async.testing import Emulator, Faults

FAST = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False, attempts=3)
SMS = NewParticipant(
    messaging_binding_address="+15550001", messaging_binding_proxy_address="+15559999"
)


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[Session]:
    async with emulator.session(writes_per_second=None, retry=FAST) as opened:
        yield opened


@pytest.fixture
async def conversation(session: Session) -> Conversation:
    return await session.conversations.create(friendly_name="removals")


async def add(session: Session, conversation: Conversation, *names: str) -> list[Participant]:
    report = await session.participants.create_many(
        conversation.sid, [NewParticipant(identity=name) for name in names]
    )
    assert report.ok
    return report.participants


def on_server(emulator: Emulator, conversation: Conversation) -> set[str]:
    entry = emulator.store.conversations[conversation.sid]
    return {p["identity"] or p["messaging_binding"]["address"] for p in entry.participants.values()}


def deletes_sent(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.method == "DELETE")


async def test_every_kind_of_item_is_removed_in_input_order(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    ada, bea, cy, _ = await add(session, conversation, "ada", "bea", "cy", "dee")
    await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15550001",
        messaging_binding_proxy_address="+15559999",
    )
    items: list[Any] = ["ada", bea.sid, NewParticipant(identity="cy"), SMS, ada]
    seen: list[BulkResult] = []
    report = await session.participants.delete_many(conversation.sid, items, on_result=seen.append)
    assert [r.index for r in report] == [0, 1, 2, 3, 4]
    assert [r.spec for r in report] == items
    # ada twice: the second delete finds her gone, which is the goal too.
    assert [r.status for r in report] == [BulkStatus.REMOVED] * 4 + [BulkStatus.ABSENT]
    assert report.ok and all(r.ok for r in report)
    assert sorted(r.index for r in seen) == [0, 1, 2, 3, 4]
    assert on_server(emulator, conversation) == {"dee"}
    # The SMS member was found in the listing; its result carries the record removed.
    assert report[3].participant.messaging_binding.address == "+15550001"
    assert report[4].participant == ada and isinstance(report[4].error, NotFoundError)
    assert cy.identity == "cy"


@pytest.mark.parametrize("code", [20404, 50432, None])
async def test_any_404_means_absent_and_a_rerun_is_all_absent(
    emulator: Emulator, session: Session, conversation: Conversation, code: int | None
) -> None:
    emulator.missing_participant_code = code
    await add(session, conversation, "ada", "bea")
    names = ["ada", "bea", "nobody"]
    first = await session.participants.delete_many(conversation.sid, names)
    assert [r.status.value for r in first] == ["removed", "removed", "absent"]
    again = await session.participants.delete_many(conversation.sid, names)
    assert [r.status for r in again] == [BulkStatus.ABSENT] * 3
    assert again.ok and first.ok
    assert all(r.error_code == code for r in again)
    assert repr(again) == "<BulkReport 3 results: absent=3>"


async def test_invalid_items_fail_alone_without_a_request(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await add(session, conversation, "ada")
    emulator.reset_counters()
    items: list[Any] = [
        42,
        "",
        NewParticipant(),
        NewParticipant(identity="x" * 300),
        NewParticipant(identity="ada", role_sid="not-looked-at", attributes="{not json"),
    ]
    report = await session.participants.delete_many(conversation.sid, items)
    assert [r.status for r in report] == [BulkStatus.FAILED] * 4 + [BulkStatus.REMOVED]
    errors = [r.error for r in report.failed]
    assert all(isinstance(e, InvalidArgumentError) for e in errors)
    assert [e.field for e in errors if isinstance(e, InvalidArgumentError)] == [
        "specs_or_identities[0]",
        "specs_or_identities[1]",
        "specs_or_identities[2].identity",
        "specs_or_identities[3].identity",
    ]
    assert all(r.attempts == 0 for r in report.failed)
    assert emulator.counters.requests == 1  # ada's delete only


async def test_bindings_are_looked_up_in_one_listing(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    specs = [
        NewParticipant(
            messaging_binding_address=f"+1555000{i}", messaging_binding_proxy_address="+15559999"
        )
        for i in range(6)
    ]
    assert (await session.participants.create_many(conversation.sid, specs[:4])).ok
    emulator.reset_counters()
    report = await session.participants.delete_many(conversation.sid, specs, concurrency=3)
    assert [r.status.value for r in report] == ["removed"] * 4 + ["absent"] * 2
    lists = [r for r in emulator.requests if r.method == "GET"]
    assert len(lists) == 1 and lists[0].path.endswith("/Participants")
    assert deletes_sent(emulator) == 4  # the two absent ones were known absent from the listing
    assert on_server(emulator, conversation) == set()


async def test_wrong_credentials_fail_every_item_with_their_code(
    emulator: Emulator, conversation: Conversation, session: Session
) -> None:
    await add(session, conversation, "ada")
    async with emulator.session(auth_token="wrong", retry=FAST) as wrong:
        report = await wrong.participants.delete_many(conversation.sid, ["ada", "bea"])
    assert [r.status for r in report] == [BulkStatus.FAILED] * 2
    assert all(isinstance(r.error, AuthenticationError) and r.error_code == 20003 for r in report)
    assert on_server(emulator, conversation) == {"ada"}  # failed: still there


async def test_a_delete_cut_after_commit_is_retried_and_ends_gone(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await add(session, conversation, "ada", "bea")
    emulator.faults = Faults(disconnect_after_commit_rate=1.0)
    report = await session.participants.delete_many(conversation.sid, ["ada", "bea"])
    # Each delete was applied, its answer lost, and the Session's retry was answered 404.
    assert [r.status for r in report] == [BulkStatus.ABSENT] * 2
    assert emulator.counters.disconnects == 2 and deletes_sent(emulator) == 4
    assert on_server(emulator, conversation) == set()


async def test_5xx_after_every_retry_is_unknown_and_429_is_failed(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await add(session, conversation, "ada", "bea")
    emulator.fail_next("DELETE", "*/Participants/ada", status=503, times=FAST.attempts)
    emulator.fail_next("DELETE", "*/Participants/bea", status=429, times=FAST.attempts)
    report = await session.participants.delete_many(conversation.sid, ["ada", "bea"])
    assert [r.status for r in report] == [BulkStatus.UNKNOWN, BulkStatus.FAILED]
    assert isinstance(report[0].error, ServerError) and report[1].error_code == 20429
    assert not report.ok
    again = await session.participants.delete_many(conversation.sid, ["ada", "bea"])
    assert [r.status for r in again] == [BulkStatus.REMOVED] * 2  # a re-run settles both


async def test_a_missing_conversation_leaves_everyone_absent(
    emulator: Emulator, session: Session
) -> None:
    report = await session.participants.delete_many("CH" + "0" * 32, ["ada", SMS])
    assert [r.status for r in report] == [BulkStatus.ABSENT] * 2


async def test_under_a_service_scope(emulator: Emulator, session: Session) -> None:
    scoped = session.service("IS" + "1" * 32)
    conversation = await scoped.conversations.create()
    await scoped.participants.create(conversation.sid, identity="ada")
    emulator.reset_counters()
    report = await scoped.participants.delete_many(conversation.sid, ["ada"])
    assert report[0].status is BulkStatus.REMOVED
    assert emulator.requests[0].path.startswith("/v1/Services/IS")


async def test_bad_arguments_raise_before_anything_is_sent(
    emulator: Emulator, session: Session
) -> None:
    emulator.reset_counters()
    with pytest.raises(InvalidArgumentError) as raised:
        await session.participants.delete_many("", ["ada"])
    assert raised.value.field == "conversation"
    with pytest.raises(InvalidArgumentError) as raised:
        await session.participants.delete_many("CH1", ["ada"], concurrency=0)
    assert raised.value.field == "concurrency"
    with pytest.raises(InvalidArgumentError):
        await session.participants.delete_many("CH1", "ada")
    assert emulator.counters.requests == 0
