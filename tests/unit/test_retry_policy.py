"""RetryPolicy: the pure decisions, then the Session's retry loop over HTTP against the emulator."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations_async import (
    APIConnectionError,
    ConcurrencyLimiter,
    Conversation,
    RateLimitError,
    RetryEvent,
    RetryPolicy,
    ServerError,
    Session,
)
from conversations_async._retry import retry_after_of
from conversations_async._sansio import Request, parse_retry_after
from conversations_async.errors import APIStatusError, APITimeoutError, NotFoundError
from conversations_async.testing import Emulator

GET = Request(method="GET", path=("v1", "Conversations", "CH1"))
DELETE = Request(method="DELETE", path=("v1", "Conversations", "CH1"))
POST = Request(method="POST", path=("v1", "Conversations"))


def status(
    cls: type[APIStatusError], code: int, headers: dict[str, str] | None = None
) -> APIStatusError:
    return cls(status=code, code=None, message="x", headers=headers)


# -- pure ------------------------------------------------------------------------------------


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    initial=st.floats(min_value=0, max_value=100),
    cap=st.floats(min_value=0, max_value=100),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
    jitter=st.booleans(),
)
def test_backoff_stays_between_zero_and_the_cap(
    attempt: int, initial: float, cap: float, rand: float, jitter: bool
) -> None:
    policy = RetryPolicy(initial=initial, max_wait=cap, jitter=jitter)
    wait = policy.compute_wait(attempt, rand=lambda: rand)
    assert 0 <= wait <= cap
    assert wait <= initial * 2.0 ** min(attempt - 1, 64)


@given(
    retry_after=st.floats(allow_nan=True, allow_infinity=True) | st.none(),
    cap=st.floats(min_value=0, max_value=1000),
)
def test_retry_after_is_honoured_up_to_its_cap(retry_after: float | None, cap: float) -> None:
    policy = RetryPolicy(retry_after_cap=cap, max_wait=5.0)
    wait = policy.compute_wait(3, retry_after, rand=lambda: 0.5)
    assert 0 <= wait <= max(cap, 5.0)
    if retry_after is not None and retry_after == retry_after:
        assert wait == min(max(retry_after, 0.0), cap)


def test_full_jitter_draws_over_the_whole_range() -> None:
    policy = RetryPolicy(initial=1.0, max_wait=100.0)
    assert policy.compute_wait(4, rand=lambda: 0.0) == 0.0
    assert policy.compute_wait(4, rand=lambda: 0.25) == 2.0
    assert RetryPolicy(initial=1.0, jitter=False).compute_wait(4) == 8.0


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("-3", 0.0),
        (format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True), 30.0),
        (format_datetime(datetime.fromtimestamp(NOW - 30, UTC), usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: ambiguous, ignored
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header_table(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_is_read_from_429s_and_from_503s() -> None:
    assert retry_after_of(RateLimitError(retry_after=4.0, status=429, code=20429, message="x")) == 4
    assert retry_after_of(status(ServerError, 503, {"retry-after": "2"})) == 2.0
    assert retry_after_of(status(ServerError, 500)) is None
    assert retry_after_of(APIConnectionError("x", method="GET", url="u")) is None


@pytest.mark.parametrize(
    ("error", "get", "post"),
    [
        (RateLimitError(status=429, code=20429, message="x"), True, True),
        (APIConnectionError("refused", method="POST", url="u", sent=False), True, True),
        (APIConnectionError("reset", method="POST", url="u", sent=True), True, False),
        (APITimeoutError("slow", method="POST", url="u", sent=True), True, False),
        (status(ServerError, 500), True, False),
        (status(ServerError, 503), True, False),
        (status(NotFoundError, 404), False, False),
        (status(APIStatusError, 400), False, False),
    ],
)
def test_what_is_retried_per_method(error: APIStatusError, get: bool, post: bool) -> None:
    policy = RetryPolicy()
    assert policy.should_retry(error, GET) is get
    assert policy.should_retry(error, DELETE) is get
    assert policy.should_retry(error, POST) is post


def test_ambiguous_writes_are_retried_only_when_asked() -> None:
    error = status(ServerError, 502)
    assert RetryPolicy(retry_ambiguous_writes=True).should_retry(error, POST)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="initial"):
        RetryPolicy(initial=-1)


# -- over HTTP ---------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for asyncio.sleep: records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fast_session(emulator: Emulator, sleep: SleepRecorder, **policy: object) -> Session:
    options: dict[str, object] = {"initial": 0.01, "max_wait": 0.01}
    options.update(policy)
    # A plain semaphore: the AdaptiveLimiter would also pause (for real) on a Retry-After.
    return emulator.session(
        retry=RetryPolicy(**options),  # type: ignore[arg-type]
        sleep=sleep,
        limiter=ConcurrencyLimiter(10),
    )


@pytest.fixture
async def conversation(emulator: Emulator) -> Conversation:
    async with emulator.session() as session:
        return await session.conversations.create(friendly_name="retry")


async def test_429_then_success(emulator: Emulator, conversation: Conversation) -> None:
    sleep = SleepRecorder()
    emulator.reset_counters()
    emulator.fail_next("POST", "*/Participants", status=429)
    async with fast_session(emulator, sleep) as session:
        participant = await session.participants.create(conversation.sid, identity="alice")
    assert participant.identity == "alice"
    assert emulator.counters.by_status == {429: 1, 201: 1}
    assert len(sleep.waits) == 1 and 0 <= sleep.waits[0] <= 0.01


@pytest.mark.parametrize("header", ["3", "HTTP-DATE"])
async def test_retry_after_is_slept(
    emulator: Emulator, conversation: Conversation, header: str
) -> None:
    if header == "HTTP-DATE":
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    sleep = SleepRecorder()
    events: list[RetryEvent] = []
    emulator.fail_next("POST", "*/Participants", status=429, headers={"Retry-After": header})
    async with fast_session(emulator, sleep, on_retry=events.append) as session:
        await session.participants.create(conversation.sid, identity="bob")
    if header == "3":
        assert sleep.waits == [3.0]
    else:
        assert 28 <= sleep.waits[0] <= 30
    assert [e.attempt for e in events] == [1]
    assert isinstance(events[0].error, RateLimitError) and events[0].wait == sleep.waits[0]


async def test_retry_after_beyond_the_cap_is_raised_at_once(
    emulator: Emulator, conversation: Conversation
) -> None:
    sleep = SleepRecorder()
    emulator.fail_next("POST", "*/Participants", status=429, headers={"Retry-After": "3600"})
    async with fast_session(emulator, sleep, retry_after_cap=2.0) as session:
        # Trying again after 2 s, when the server asked for an hour, would only be refused.
        with pytest.raises(RateLimitError) as raised:
            await session.participants.create(conversation.sid, identity="carol")
        assert raised.value.retry_after == 3600.0
        await session.participants.create(conversation.sid, identity="carol")
    assert sleep.waits == []


async def test_the_hook_can_change_the_wait(emulator: Emulator, conversation: Conversation) -> None:
    sleep = SleepRecorder()
    emulator.fail_next("GET", "/v1/Conversations/*", status=503, times=2)
    async with fast_session(emulator, sleep, on_retry=lambda event: 0.125) as session:
        await session.conversations.fetch(conversation.sid)
    assert sleep.waits == [0.125, 0.125]


async def test_a_create_is_not_resent_after_a_503(
    emulator: Emulator, conversation: Conversation
) -> None:
    sleep = SleepRecorder()
    emulator.fail_next("POST", "*/Participants", status=503)
    async with fast_session(emulator, sleep) as session:
        with pytest.raises(ServerError) as raised:
            await session.participants.create(conversation.sid, identity="dave")
    assert raised.value.status == 503
    assert sleep.waits == []
    posts = [r for r in emulator.requests if r.method == "POST" and "Participants" in r.path]
    assert len(posts) == 1


async def test_a_get_is_retried_after_a_503(emulator: Emulator, conversation: Conversation) -> None:
    sleep = SleepRecorder()
    emulator.fail_next("GET", "/v1/Conversations/*", status=503, times=2)
    async with fast_session(emulator, sleep) as session:
        fetched = await session.conversations.fetch(conversation.sid)
    assert fetched.sid == conversation.sid
    assert len(sleep.waits) == 2 and session.stats.retries == 2


async def test_a_get_cut_without_an_answer_is_retried(
    emulator: Emulator, conversation: Conversation
) -> None:
    sleep = SleepRecorder()
    # aiohttp itself resends an idempotent request once after a cut; the second cut is ours.
    emulator.fail_next("GET", "/v1/Conversations/*", disconnect=True, times=2)
    async with fast_session(emulator, sleep) as session:
        fetched = await session.conversations.fetch(conversation.sid)
    assert fetched.sid == conversation.sid
    assert emulator.counters.disconnects == 2 and len(sleep.waits) == 1


async def test_a_create_cut_without_an_answer_is_not_resent(
    emulator: Emulator, conversation: Conversation
) -> None:
    sleep = SleepRecorder()
    emulator.fail_next("POST", "*/Participants", disconnect=True)
    async with fast_session(emulator, sleep) as session:
        with pytest.raises(APIConnectionError) as raised:
            await session.participants.create(conversation.sid, identity="erin")
    assert raised.value.sent is True and sleep.waits == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_never_connected_is_retried_for_a_create_until_attempts_run_out() -> None:
    sleep = SleepRecorder()
    policy = RetryPolicy(attempts=4, initial=0.01, max_wait=0.01)
    async with Session(
        account_sid="AC1",
        auth_token="t",
        base_url=f"http://127.0.0.1:{_closed_port()}",
        retry=policy,
        sleep=sleep,
    ) as session:
        with pytest.raises(APIConnectionError) as raised:
            await session.participants.create("CH" + "0" * 32, identity="frank")
    assert raised.value.sent is False
    assert len(sleep.waits) == 3 and session.stats.retries == 3


async def test_the_deadline_stops_retrying(emulator: Emulator, conversation: Conversation) -> None:
    sleep = SleepRecorder()
    emulator.fail_next(
        "GET", "/v1/Conversations/*", status=429, headers={"Retry-After": "10"}, times=5
    )
    async with fast_session(emulator, sleep, deadline=25.0) as session:
        with pytest.raises(RateLimitError):
            await session.conversations.fetch(conversation.sid)
    # 10 + 10 fit in 25 s; a third 10 s wait would end after the deadline.
    assert sleep.waits == [10.0, 10.0]
