"""What the Session tells the limiter about each answer: the 429's code, and the account's
requests in flight (``Twilio-Concurrent-Requests``), as the emulator sends them or not."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import attrs
import pytest

from conversations_async import LimiterState, RetryPolicy
from conversations_async._limits import Slot, WriteKey
from conversations_async._sansio import concurrent_requests
from conversations_async.errors import RateLimitError
from conversations_async.testing import Emulator, Faults


@attrs.define
class Report:
    outcome: str
    code: int | None = None
    concurrent: int | None = None


@attrs.define
class RecordingSlot:
    reports: list[Report]

    def succeeded(self, concurrent_requests: int | None = None) -> None:
        self.reports.append(Report("ok", concurrent=concurrent_requests))

    def throttled(
        self,
        retry_after: float | None,
        code: int | None = None,
        concurrent_requests: int | None = None,
    ) -> None:
        self.reports.append(Report("429", code=code, concurrent=concurrent_requests))


@attrs.define
class RecordingLimiter:
    """A limiter that limits nothing and keeps every report its slots get."""

    reports: list[Report] = attrs.Factory(list)

    @contextlib.asynccontextmanager
    async def slot(self, write_key: WriteKey | None) -> AsyncIterator[Slot]:
        yield RecordingSlot(self.reports)

    @property
    def state(self) -> LimiterState:
        return LimiterState(
            permits=1, max_permits=1, in_flight=0, throttled=0, wait_seconds=0.0, paused_for=0.0
        )


@pytest.mark.parametrize("header", [True, False])
async def test_every_answer_reports_the_accounts_requests_in_flight_when_sent(
    header: bool,
) -> None:
    async with Emulator(faults=Faults(concurrent_requests_header=header)) as emulator:
        limiter = RecordingLimiter()
        async with emulator.session(limiter=limiter) as session:
            conversation = await session.conversations.create()
            await session.participants.create(conversation.sid, identity="alice")
            emulator.fail_next("POST", "/v1/Conversations/*/Participants", status=429)
            await session.participants.create(conversation.sid, identity="bob")
    # One request in flight at a time: the emulator counts each alone, a refused one included.
    expected = 1 if header else None
    assert limiter.reports == [
        Report("ok", concurrent=expected),
        Report("ok", concurrent=expected),
        Report("429", code=20429, concurrent=expected),
        Report("ok", concurrent=expected),
    ]


async def test_an_actions_per_second_429_reports_its_code() -> None:
    async with Emulator(faults=Faults(writes_per_second=1)) as emulator:
        limiter = RecordingLimiter()
        retry = RetryPolicy(attempts=1)
        async with emulator.session(limiter=limiter, retry=retry) as session:
            conversation = await session.conversations.create()
            await session.participants.create(conversation.sid, identity="alice")
            with pytest.raises(RateLimitError) as raised:
                await session.participants.create(conversation.sid, identity="bob")
    assert raised.value.code == 50063
    assert limiter.reports[-1] == Report("429", code=50063, concurrent=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (" 12 ", 12),
        ("0", 0),
        ("1000000", 1_000_000),
        ("1000001", None),  # beyond any account's cap: not believed
        ("99999999999999999999", None),
        ("-3", None),
        ("+3", None),
        ("3.5", None),
        ("1_000", None),
        ("", None),
        ("seven", None),
        ("٣", None),  # a digit, but not an ASCII one
    ],
)
def test_the_header_is_read_only_as_a_plausible_count(value: str, expected: int | None) -> None:
    assert concurrent_requests({"Twilio-Concurrent-Requests": value}) == expected


def test_no_header_no_count() -> None:
    assert concurrent_requests({}) is None
