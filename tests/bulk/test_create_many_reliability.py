"""create_many never reports a false failure and never loses anyone (issue 10).

Three kinds of evidence: 1000 specs through the emulator's faults with each 404 variant it can
answer; a small server of our own giving answers the emulator never gives (a create answered
404 although it was applied, read-backs that answer any 404 or never answer); and inputs that
misbehave (values that raise, async generators that must be closed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from aiohttp import web
from conftest import FAST_RETRY

from conversations_async import (
    BulkResult,
    BulkStatus,
    ConflictError,
    InvalidArgumentError,
    NewParticipant,
    NotFoundError,
    RetryPolicy,
    ServerError,
    Session,
)
from conversations_async.testing import Emulator, Faults

JSONDict = dict[str, Any]
Body = JSONDict | str
MISSING_PARTICIPANT_CODES = [20404, 50432, None]


def faults(*, seed: int, max_in_flight: int | None = None, latency: float = 0.0) -> Faults:
    """5% 5xx (3% before the write is applied, 2% after) and 3% connections cut after it."""
    return Faults(
        server_error_rate=0.03,
        server_error_after_commit_rate=0.02,
        disconnect_after_commit_rate=0.03,
        max_in_flight=max_in_flight,
        latency=latency,
        seed=seed,
    )


def users(n: int, prefix: str = "user") -> list[NewParticipant]:
    return [NewParticipant(identity=f"{prefix}-{i:05d}") for i in range(n)]


def identities_on_server(emulator: Emulator, conversation: str) -> list[str]:
    entry = emulator.store.conversations[conversation]
    return [p["identity"] for p in entry.participants.values()]


def read_backs(emulator: Emulator) -> int:
    """Participant reads the emulator received (create_many reads only to settle a doubt)."""
    return sum(1 for r in emulator.requests if r.method == "GET" and "/Participants" in r.path)


# -- 1000 specs through faults ------------------------------------------------------------------


@pytest.mark.timeout(45)
@pytest.mark.parametrize("missing_code", MISSING_PARTICIPANT_CODES)
async def test_1000_specs_into_one_conversation_through_faults(
    missing_code: int | None,
) -> None:
    async with Emulator(faults=faults(seed=21), missing_participant_code=missing_code) as emulator:
        conversation = emulator.store.create_conversation(None, {})["sid"]
        async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
            report = await session.participants.create_many(conversation, users(1000))
            retries = session.stats.retries
        on_server = identities_on_server(emulator, conversation)
    counts = report.counts
    assert counts[BulkStatus.FAILED] == 0 and counts[BulkStatus.UNKNOWN] == 0 and report.ok
    assert len(report) == 1000 and [r.index for r in report] == list(range(1000))
    assert len(on_server) == 1000 and set(on_server) == {s.identity for s in users(1000)}
    # The faults happened, and "absent" answers (404 with the chosen code) were met and believed.
    assert emulator.counters.disconnects > 10 and emulator.counters.server_errors > 30
    assert emulator.counters.by_status[404] > 10
    assert sum(r.reconciled for r in report) > 20
    # The figures, for the record (shown with pytest -s).
    print(
        f"\n[one conversation, missing={missing_code}] {dict(counts)}"
        f" 429s={emulator.counters.throttled} 5xx={emulator.counters.server_errors}"
        f" cut={emulator.counters.disconnects} retries={retries}"
        f" read-backs={read_backs(emulator)} reconciled={sum(r.reconciled for r in report)}"
    )


@pytest.mark.timeout(45)
@pytest.mark.parametrize("missing_code", MISSING_PARTICIPANT_CODES)
async def test_1000_specs_over_10_conversations_at_once_through_faults_and_429s(
    missing_code: int | None,
) -> None:
    # A few milliseconds per answer, so that requests overlap at the server and meet its cap.
    capped = faults(seed=5, max_in_flight=20, latency=0.005)
    async with Emulator(faults=capped, missing_participant_code=missing_code) as emulator:
        conversations = [emulator.store.create_conversation(None, {})["sid"] for _ in range(10)]
        async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
            reports = await asyncio.gather(
                *(
                    session.participants.create_many(sid, users(100, prefix=f"c{n}"))
                    for n, sid in enumerate(conversations)
                )
            )
            retries = session.stats.retries
        on_server = {sid: identities_on_server(emulator, sid) for sid in conversations}
    for n, (sid, report) in enumerate(zip(conversations, reports, strict=True)):
        assert report.counts[BulkStatus.FAILED] == 0 and report.counts[BulkStatus.UNKNOWN] == 0
        assert report.ok and len(report) == 100
        assert len(on_server[sid]) == 100
        assert set(on_server[sid]) == {s.identity for s in users(100, prefix=f"c{n}")}
    counters = emulator.counters
    assert counters.throttled > 0  # the concurrency cap was hit, and waited out
    assert counters.disconnects > 10 and counters.server_errors > 30
    assert counters.by_status[404] > 10
    # The figures, for the record (shown with pytest -s).
    print(
        f"\n[10 conversations, missing={missing_code}]"
        f" created={sum(r.counts[BulkStatus.CREATED] for r in reports)}"
        f" existed={sum(r.counts[BulkStatus.EXISTED] for r in reports)}"
        f" 429s={counters.throttled} 5xx={counters.server_errors}"
        f" cut={counters.disconnects} retries={retries} read-backs={read_backs(emulator)}"
        f" reconciled={sum(sum(r.reconciled for r in rep) for rep in reports)}"
    )


async def test_a_missing_conversation_fails_each_spec_with_one_fetch_of_it() -> None:
    async with Emulator() as emulator:
        async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
            report = await session.participants.create_many(
                "CH" + "f" * 32, users(6), concurrency=3
            )
    assert [r.status for r in report] == [BulkStatus.FAILED] * 6
    assert {(r.error_code, r.attempts) for r in report} == {(20404, 1)}
    gets = [r.path for r in emulator.requests if r.method == "GET"]
    assert gets == ["/v1/Conversations/CH" + "f" * 32]  # one look at it, no read-backs


# -- a server of our own: answers the emulator never gives ---------------------------------------

CONVERSATION: Final = "CH" + "1" * 32
ACCOUNT: Final = "AC" + "1" * 32


def not_found_body(code: int | None, message: str) -> JSONDict:
    body: JSONDict = {"message": message, "status": 404}
    if code is not None:
        body |= {"code": code, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return body


GENERIC_404 = not_found_body(
    20404, f"The requested resource /Conversations/{CONVERSATION} was not found"
)
ABSENT_ANSWERS: Final[dict[str, tuple[int, Body]]] = {
    "20404": (404, GENERIC_404),
    "50432": (404, not_found_body(50432, "Participant not found")),
    "no code": (404, not_found_body(None, "Not Found")),
    "50350": (404, not_found_body(50350, "Conversation not found")),
    "not JSON": (404, "<html><body>404 Not Found</body></html>"),
}
SERVER_ERROR: Final = (500, {"code": 20500, "message": "Internal Server Error", "status": 500})


def answer(status: int, body: Body) -> web.Response:
    if isinstance(body, str):
        return web.Response(status=status, text=body, content_type="text/html")
    return web.json_response(body, status=status)


class FakeTwilio:
    """A stand-in for Twilio with scriptable answers, on 127.0.0.1.

    It keeps participants by identity (or address). ``create_answers`` scripts the next creates:
    (applied?, status, body); unscripted ones answer 201, or 409 when present. A participant it
    does not have is answered ``absent``. ``read_failures`` reads in a row (fetch or list) are
    answered 500 first. ``conversation`` answers a fetch of the conversation.
    """

    def __init__(self) -> None:
        self.participants: dict[str, JSONDict] = {}
        self.create_answers: list[tuple[bool, int, Body]] = []
        self.absent: tuple[int, Body] = ABSENT_ANSWERS["20404"]
        self.list_answer: tuple[int, Body] | None = None
        self.read_failures = 0
        self.conversation: tuple[int, Body] = (200, {"sid": CONVERSATION})
        self.log: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        conversation = "/v1/Conversations/{conversation}"
        app.router.add_get(conversation, self._fetch_conversation)
        app.router.add_post(f"{conversation}/Participants", self._create)
        app.router.add_get(f"{conversation}/Participants", self._list)
        app.router.add_get(f"{conversation}/Participants/{{participant}}", self._fetch)
        return app

    def add(self, identity: str | None = None, address: str | None = None) -> JSONDict:
        record: JSONDict = {
            "sid": f"MB{len(self.participants):032x}",
            "account_sid": ACCOUNT,
            "conversation_sid": CONVERSATION,
            "identity": identity,
            "attributes": "{}",
            "messaging_binding": (
                {"type": "sms", "address": address, "proxy_address": "+15017122661"}
                if address
                else None
            ),
        }
        key = identity or address
        assert key is not None
        self.participants[key] = record
        return record

    def _failing_read(self) -> web.Response | None:
        if self.read_failures > 0:
            self.read_failures -= 1
            return answer(*SERVER_ERROR)
        return None

    async def _fetch_conversation(self, request: web.Request) -> web.Response:
        self.log.append("fetch conversation")
        return answer(*self.conversation)

    async def _create(self, request: web.Request) -> web.Response:
        form = await request.post()
        identity = form.get("Identity")
        address = form.get("MessagingBinding.Address")
        key = str(identity or address)
        self.log.append(f"create {key}")
        if self.create_answers:
            applied, status, body = self.create_answers.pop(0)
            if applied:
                self.add(str(identity) if identity else None, str(address) if address else None)
            return answer(status, body)
        if key in self.participants:
            code = 50433 if identity else 50437
            return answer(409, {"code": code, "message": "Participant already exists"})
        return answer(
            201, self.add(str(identity) if identity else None, str(address) if address else None)
        )

    async def _fetch(self, request: web.Request) -> web.Response:
        key = request.match_info["participant"]
        self.log.append(f"fetch {key}")
        failing = self._failing_read()
        if failing is not None:
            return failing
        if key in self.participants:
            return answer(200, self.participants[key])
        return answer(*self.absent)

    async def _list(self, request: web.Request) -> web.Response:
        self.log.append("list")
        failing = self._failing_read()
        if failing is not None:
            return failing
        if self.list_answer is not None:
            return answer(*self.list_answer)
        page = {"participants": list(self.participants.values()), "meta": {"key": "participants"}}
        return answer(200, page)

    def count(self, prefix: str) -> int:
        return sum(1 for line in self.log if line.startswith(prefix))


@pytest.fixture
async def fake(aiohttp_server: Any) -> FakeTwilio:
    fake = FakeTwilio()
    fake.server = await aiohttp_server(fake.app())  # type: ignore[attr-defined]
    return fake


def fake_session(fake: FakeTwilio, retry: RetryPolicy = FAST_RETRY) -> Session:
    server = fake.server  # type: ignore[attr-defined]
    return Session(
        account_sid=ACCOUNT,
        auth_token="fake-token",
        base_url=f"http://127.0.0.1:{server.port}",
        retry=retry,
        writes_per_second=None,
    )


async def add_one(
    fake: FakeTwilio, spec: NewParticipant, retry: RetryPolicy = FAST_RETRY
) -> BulkResult:
    async with fake_session(fake, retry) as session:
        (result,) = await session.participants.create_many(CONVERSATION, [spec])
    return result


SMS = NewParticipant(
    messaging_binding_address="+15550001111", messaging_binding_proxy_address="+15017122661"
)


@pytest.mark.parametrize("code", [20404, 50350, None])
async def test_a_create_answered_404_although_applied_is_found_by_reading_back(
    fake: FakeTwilio, code: int | None
) -> None:
    fake.create_answers = [(True, 404, not_found_body(code, "not found"))]
    result = await add_one(fake, NewParticipant(identity="alice"))
    assert result.status is BulkStatus.CREATED and result.reconciled and result.attempts == 1
    assert (
        result.participant is not None
        and result.participant.sid == fake.participants["alice"]["sid"]
    )
    assert fake.log == ["create alice", "fetch conversation", "fetch alice"]


async def test_a_create_404_is_ambiguous_when_the_conversation_cannot_be_checked(
    fake: FakeTwilio,
) -> None:
    fake.conversation = SERVER_ERROR
    fake.create_answers = [(True, 404, GENERIC_404)]
    result = await add_one(fake, NewParticipant(identity="alice"))
    assert result.status is BulkStatus.CREATED and result.reconciled


async def test_a_create_404_for_a_missing_conversation_is_a_failure_checked_once(
    fake: FakeTwilio,
) -> None:
    fake.conversation = (404, GENERIC_404)
    fake.create_answers = [(False, 404, GENERIC_404)] * 5
    async with fake_session(fake) as session:
        report = await session.participants.create_many(CONVERSATION, users(5), concurrency=2)
    assert [r.status for r in report] == [BulkStatus.FAILED] * 5
    assert all(isinstance(r.error, NotFoundError) and r.attempts == 1 for r in report)
    assert fake.count("fetch conversation") == 1 and fake.count("fetch user") == 0


@pytest.mark.parametrize("absent", ABSENT_ANSWERS)
async def test_any_404_from_a_fetch_read_back_means_absent(fake: FakeTwilio, absent: str) -> None:
    fake.absent = ABSENT_ANSWERS[absent]
    fake.create_answers = [(False, *SERVER_ERROR)]
    result = await add_one(fake, NewParticipant(identity="bob"))
    assert result.status is BulkStatus.CREATED and result.reconciled and result.attempts == 2
    assert fake.log == ["create bob", "fetch bob", "create bob"]


@pytest.mark.parametrize("absent", ABSENT_ANSWERS)
async def test_any_404_from_a_list_read_back_means_absent(fake: FakeTwilio, absent: str) -> None:
    fake.list_answer = ABSENT_ANSWERS[absent]
    fake.create_answers = [(False, *SERVER_ERROR)]
    result = await add_one(fake, SMS)
    assert result.status is BulkStatus.CREATED and result.attempts == 2
    assert fake.log == ["create +15550001111", "list", "create +15550001111"]


@pytest.mark.parametrize(
    ("spec", "code"), [(NewParticipant(identity="carol"), 50433), (SMS, 50437)]
)
async def test_already_there_but_unreadable_is_existed_not_failed(
    fake: FakeTwilio, spec: NewParticipant, code: int
) -> None:
    fake.add(identity=spec.identity or None, address=spec.messaging_binding_address or None)
    fake.read_failures = 1000
    result = await add_one(fake, spec)
    assert result.status is BulkStatus.EXISTED and result.ok
    assert result.participant is None
    assert isinstance(result.error, ConflictError) and result.error_code == code


@pytest.mark.parametrize("applied", [True, False])
async def test_a_read_back_that_never_answers_is_unknown_never_failed(
    fake: FakeTwilio, applied: bool
) -> None:
    retry = RetryPolicy(attempts=3, initial=0.0, max_wait=0.0, jitter=False)
    fake.create_answers = [(applied, *SERVER_ERROR)]
    fake.read_failures = 1000
    async with fake_session(fake, retry) as session:
        report = await session.participants.create_many(
            CONVERSATION, [NewParticipant(identity="dan")]
        )
    (result,) = report
    assert result.status is BulkStatus.UNKNOWN and not result.ok
    assert isinstance(result.error, ServerError)  # the create's ambiguous answer
    # Never created blindly: one create, then 3 rounds of reading back (3 tries each).
    assert result.attempts == 1 and fake.count("create") == 1
    assert fake.count("fetch dan") == 9
    assert report.unknown == [result] and report.failed == [] and not report.ok
    assert report.counts[BulkStatus.UNKNOWN] == 1
    assert "unknown=1" in repr(report)


async def test_a_read_back_that_answers_late_still_settles_it(fake: FakeTwilio) -> None:
    # The Session retries a read 8 times (FAST_RETRY); 12 failures span two rounds.
    fake.create_answers = [(True, *SERVER_ERROR)]
    fake.read_failures = 12
    result = await add_one(fake, NewParticipant(identity="erin"))
    assert result.status is BulkStatus.CREATED and result.reconciled and result.attempts == 1
    assert fake.count("fetch erin") == 13


async def test_absent_after_every_round_is_failed(fake: FakeTwilio) -> None:
    retry = RetryPolicy(attempts=2, initial=0.0, max_wait=0.0, jitter=False)
    fake.create_answers = [(False, *SERVER_ERROR)] * 2
    result = await add_one(fake, NewParticipant(identity="fay"), retry)
    # Twilio said "not there" after the last try: that is what failed means.
    assert result.status is BulkStatus.FAILED and result.attempts == 2
    assert fake.log == ["create fay", "fetch fay", "create fay", "fetch fay"]


# -- specs whose values raise anything ----------------------------------------------------------


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")

    __repr__ = __str__


class LengthlessStr(str):
    __slots__ = ()

    def __len__(self) -> int:
        raise RuntimeError("no length")


class IncomparableStr(str):
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    def __ne__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    __hash__ = str.__hash__


class SneakyStr(str):
    """Passes every check, but its ``str()`` is an IncomparableStr."""

    __slots__ = ()

    def __str__(self) -> str:
        return IncomparableStr(str.__str__(self))


class UnreadableDict(dict[str, Any]):
    def items(self) -> Any:
        raise RuntimeError("no items")


class MoodyDatetime(datetime):
    def utcoffset(self) -> timedelta | None:
        raise RuntimeError("no offset")


async def test_specs_whose_values_raise_fail_alone_naming_the_field(emulator: Emulator) -> None:
    conversation = emulator.store.create_conversation(None, {})["sid"]
    now = datetime.now(UTC)
    specs: list[object] = [
        NewParticipant(identity="ok-1"),
        NewParticipant(identity="a", role_sid=Unprintable()),  # type: ignore[arg-type]
        NewParticipant(identity=LengthlessStr("b")),
        NewParticipant(identity="c", webhook_enabled=Unprintable()),  # type: ignore[arg-type]
        NewParticipant(identity="d", attributes=UnreadableDict(x=1)),
        NewParticipant(
            messaging_binding_address=IncomparableStr("+15550001"),
            messaging_binding_proxy_address="+15017122661",
        ),
        NewParticipant(
            identity="e", date_created=MoodyDatetime(now.year, now.month, now.day, tzinfo=UTC)
        ),
        NewParticipant(identity=LengthlessStr("f"), role_sid=Unprintable()),  # type: ignore[arg-type]
        {"identity": "a mapping", "with": "unknown keys"},
        NewParticipant(identity="g", attributes={("not", "a", "str", "key"): 1}),
        NewParticipant(identity="ok-2"),
    ]
    async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
        report = await session.participants.create_many(conversation, specs)  # type: ignore[arg-type]
    assert [r.status for r in report] == [BulkStatus.CREATED] + [BulkStatus.FAILED] * 9 + [
        BulkStatus.CREATED
    ]
    errors = [r.error for r in report.failed]
    assert all(isinstance(e, InvalidArgumentError) for e in errors)
    assert [e.field for e in errors if isinstance(e, InvalidArgumentError)] == [
        "role_sid",  # refused by its check, like any invalid value
        "specs[2].identity",
        "specs[3].webhook_enabled",
        "specs[4].attributes",
        "specs[5]",  # the two addresses raise only together
        "specs[6].date_created",
        "specs[7].identity",  # the first of two that raise
        "specs[8]",
        "attributes",
    ]
    assert all(r.attempts == 0 for r in report.failed)
    assert sorted(identities_on_server(emulator, conversation)) == ["ok-1", "ok-2"]


async def test_a_misbehaving_str_that_passes_the_checks_is_sent_and_read_back_plainly(
    emulator: Emulator,
) -> None:
    conversation = emulator.store.create_conversation(None, {})["sid"]
    specs = [
        NewParticipant(identity=SneakyStr("sneaky")),
        NewParticipant(identity=IncomparableStr("incomparable")),
        NewParticipant(
            messaging_binding_address=SneakyStr("+15550002"),
            messaging_binding_proxy_address=IncomparableStr("+15017122661"),
        ),
    ]
    # Every create is applied and its answer lost, so each is settled by reading back.
    emulator.faults.disconnect_after_commit_rate = 1.0
    async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
        report = await session.participants.create_many(conversation, specs)
    assert [r.status for r in report] == [BulkStatus.CREATED] * 3
    assert all(r.reconciled for r in report)
    entry = emulator.store.conversations[conversation]
    assert set(entry.by_identity) == {"sneaky", "incomparable"}
    assert set(entry.by_binding) == {("+15550002", "+15017122661")}


# -- an async generator input is closed when create_many stops ----------------------------------


class ClosableSpecs:
    """An async iterator with ``aclose``, counting how often it was closed."""

    def __init__(self, specs: list[NewParticipant]) -> None:
        self._specs = iter(specs)
        self.closed = 0

    def __aiter__(self) -> ClosableSpecs:
        return self

    async def __anext__(self) -> NewParticipant:
        try:
            return next(self._specs)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self.closed += 1


class GeneratorProbe:
    """An async generator of specs that records whether its ``finally`` has run."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.finished = False
        self.generator = self._specs()

    async def _specs(self) -> AsyncGenerator[NewParticipant, None]:
        try:
            for spec in users(self.n):
                yield spec
        finally:
            self.finished = True

    def closed(self) -> bool:
        """Its ``finally`` has run (a method, so a type checker does not pin the answer)."""
        return self.finished


async def test_the_input_is_closed_at_the_normal_end(emulator: Emulator) -> None:
    conversation = emulator.store.create_conversation(None, {})["sid"]
    closable = ClosableSpecs(users(5))
    probe = GeneratorProbe(5)
    async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
        first = await session.participants.create_many(conversation, closable, concurrency=2)
        second = await session.participants.create_many(conversation, probe.generator)
    assert first.ok and closable.closed == 1
    assert second.ok and probe.closed()


async def test_the_input_is_closed_when_on_result_fails(emulator: Emulator) -> None:
    conversation = emulator.store.create_conversation(None, {})["sid"]
    probe = GeneratorProbe(100)

    def explode(result: BulkResult) -> None:
        if result.index == 3:
            raise RuntimeError("disk full")

    async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
        with pytest.raises(RuntimeError, match="disk full"):
            await session.participants.create_many(
                conversation, probe.generator, concurrency=4, on_result=explode
            )
    # Closed by create_many, not by the garbage collector: the test still holds the generator.
    assert probe.closed()


async def test_the_input_is_closed_on_cancellation() -> None:
    async with Emulator(faults=Faults(latency=0.01)) as emulator:
        conversation = emulator.store.create_conversation(None, {})["sid"]
        probe = GeneratorProbe(500)
        enough = asyncio.Event()

        def record(result: BulkResult) -> None:
            if result.index >= 5:
                enough.set()

        async with emulator.session(writes_per_second=None, retry=FAST_RETRY) as session:
            job = asyncio.create_task(
                session.participants.create_many(
                    conversation, probe.generator, concurrency=4, on_result=record
                )
            )
            await enough.wait()
            assert not probe.closed()
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            assert probe.closed()
