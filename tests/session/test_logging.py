"""What the Session logs: a DEBUG line per attempt, an INFO line per retry with its reason and
wait, the limiter's halvings and pauses at INFO; and never a secret, at any level."""

from __future__ import annotations

import asyncio
import base64
import logging
import re

import pytest

from conversations_async import NewParticipant, RetryPolicy
from conversations_async.errors import (
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    ServerError,
)
from conversations_async.testing import Emulator, Faults

# No waiting between tries, except a server's Retry-After (the tests send tiny ones).
FAST = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False, attempts=4)
TOKEN = "log-test-auth-token-7d3f91"
API_SECRET = "log-test-api-secret-c41a"
DEBUG_LINE = re.compile(
    r"(?P<method>[A-Z]+) (?P<path>/v1/\S+) -> (?P<outcome>\S+) in (?P<ms>\d+\.\d) ms "
    r"\(attempt (?P<attempt>\d+), Twilio-Request-Id (?P<request_id>\S+)\)"
)


def library_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("conversations_async") and r.levelno == level
    ]


async def test_debug_has_one_line_per_attempt(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="conversations_async")
    async with Emulator() as emulator, emulator.session(retry=FAST) as session:
        conversation = await session.conversations.create(friendly_name="t")
        emulator.fail_next("GET", f"*/Conversations/{conversation.sid}", status=429)
        await session.conversations.fetch(conversation.sid)
    lines = [DEBUG_LINE.fullmatch(m) for m in library_records(caplog, logging.DEBUG)]
    assert all(lines), library_records(caplog, logging.DEBUG)
    found = [(m["method"], m["outcome"], m["attempt"]) for m in lines if m]
    assert found == [("POST", "201", "1"), ("GET", "429", "1"), ("GET", "200", "2")]
    request_ids = [m["request_id"] for m in lines if m]
    assert all(rid.startswith("RQ") for rid in request_ids)
    assert len(set(request_ids)) == 3  # one per answer, as Twilio's
    assert lines[1] and lines[1]["path"] == f"/v1/Conversations/{conversation.sid}"


async def test_info_tells_each_retry_with_its_reason_and_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="conversations_async")
    retry = RetryPolicy(initial=0.0, max_wait=0.0, jitter=False, attempts=6)
    async with Emulator() as emulator, emulator.session(retry=retry) as session:
        conversation = await session.conversations.create(friendly_name="t")
        path = f"*/Conversations/{conversation.sid}"
        emulator.fail_next("GET", path, status=429, headers={"Retry-After": "0"})
        emulator.fail_next("GET", path, status=503)
        # Twice: aiohttp itself resends a GET once when a reused connection is cut.
        emulator.fail_next("GET", path, disconnect=True, times=2)
        await session.conversations.fetch(conversation.sid)
    retries = [m for m in library_records(caplog, logging.INFO) if m.startswith("retrying")]
    stem = f"retrying GET /v1/Conversations/{conversation.sid} in 0.00s after"
    assert retries[:3] == [
        f"{stem} 429 (code 20429) (attempt 1 of 6)",
        f"{stem} 503 (code 50300) (attempt 2 of 6)",
        f"{stem} disconnect (attempt 3 of 6)",
    ]
    assert retries[3:] in ([], [f"{stem} disconnect (attempt 4 of 6)"])
    assert not library_records(caplog, logging.DEBUG)  # INFO level: no per-attempt lines


async def test_info_tells_a_timeout_retry(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="conversations_async")
    async with (
        Emulator(faults=Faults(latency=0.5)) as emulator,
        emulator.session(retry=RetryPolicy(attempts=2, initial=0.0), timeout=0.1) as session,
    ):
        with pytest.raises(APITimeoutError):
            await session.conversations.fetch("CH" + "0" * 32)
    retries = [m for m in library_records(caplog, logging.INFO) if m.startswith("retrying")]
    assert len(retries) == 1 and " after timeout (attempt 1 of 2)" in retries[0]


async def test_info_tells_the_limiter_reduction_and_the_shared_pause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="conversations_async")
    async with Emulator() as emulator, emulator.session(retry=FAST) as session:
        conversation = await session.conversations.create(friendly_name="t")
        emulator.fail_next(
            "GET",
            f"*/Conversations/{conversation.sid}",
            status=429,
            headers={"Retry-After": "0.05"},
        )
        await session.conversations.fetch(conversation.sid)
        permits = session.limiter.state.permits
    messages = library_records(caplog, logging.INFO)
    assert f"429: limiter down to {permits} permits" in messages
    assert any(re.fullmatch(r"429: every request pauses 0\.0\ds", m) for m in messages)


async def test_nothing_is_logged_below_the_level_set(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="conversations_async")
    async with Emulator() as emulator, emulator.session(retry=FAST) as session:
        conversation = await session.conversations.create(friendly_name="t")
        emulator.fail_next("GET", f"*/Conversations/{conversation.sid}", status=503)
        await session.conversations.fetch(conversation.sid)
    assert [r for r in caplog.records if r.name.startswith("conversations_async")] == []


async def test_no_log_record_of_a_stormy_run_holds_a_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every record of every logger (aiohttp's and asyncio's too), at DEBUG, of a run with 429s,
    5xx, cut connections, timeouts, 404s and a wrong token, for both kinds of credentials."""
    caplog.set_level(logging.DEBUG)
    key = "SK" + "e" * 32
    emulator = Emulator(
        auth_token=TOKEN,
        api_keys={key: API_SECRET},
        faults=Faults(max_in_flight=3, server_error_rate=0.1, seed=7),
    )
    async with emulator:
        async with (
            emulator.session(retry=FAST) as by_token,
            emulator.session(api_key=key, api_secret=API_SECRET, retry=FAST) as by_key,
        ):
            conversation = await by_token.conversations.create(friendly_name="storm")
            specs = [NewParticipant(identity=f"user-{i}") for i in range(30)]
            report = await by_key.participants.create_many(conversation.sid, specs)
            assert len(report.results) == 30
            emulator.fail_next("GET", "*/Participants/*", disconnect=True, times=2)
            emulator.fail_next("GET", "*/Participants/*", status=500, times=2)
            with pytest.raises((NotFoundError, ServerError)):
                await by_token.participants.fetch(conversation.sid, "nobody")
            # Timed-out requests stay in flight at the emulator: no 429s for them.
            emulator.faults.latency, emulator.faults.max_in_flight = 0.3, None
            with pytest.raises(APITimeoutError):
                await by_key.with_options(timeout=0.05).conversations.fetch(conversation.sid)
            emulator.faults.latency, emulator.faults.max_in_flight = 0.0, 3
            await asyncio.gather(
                *(by_token.conversations.fetch(conversation.sid) for _ in range(10)),
                return_exceptions=True,
            )
        async with emulator.session(auth_token="wrong-" + TOKEN, retry=FAST) as wrong:
            with pytest.raises(AuthenticationError):
                await wrong.conversations.create(friendly_name="refused")

    library = [r for r in caplog.records if r.name.startswith("conversations_async")]
    assert any(r.levelno == logging.DEBUG for r in library)
    assert any(r.getMessage().startswith("retrying") for r in library)
    assert any(" -> 429 " in r.getMessage() for r in library)
    secrets = [TOKEN, API_SECRET, "Authorization", "Basic "]
    secrets += [
        base64.b64encode(pair.encode()).decode()
        for pair in (f"{emulator.account_sid}:{TOKEN}", f"{key}:{API_SECRET}")
    ]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        text = " ".join((formatter.format(record), repr(record.args), repr(record.__dict__)))
        for secret in secrets:
            assert secret not in text, (secret, record.name, record.getMessage())
