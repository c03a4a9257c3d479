"""The emulator's faults and counters: reproducible, counted, and quiet on the server side."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from conversations_async._options import basic_authorization
from conversations_async.testing import Emulator, Faults

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def auth(emulator: Emulator) -> dict[str, str]:
    return {"Authorization": basic_authorization(emulator.account_sid, emulator.auth_token)}


async def raw_create_participants(emulator: Emulator, conversation: str, n: int) -> list[str]:
    """Create ``n`` participants one after the other with a plain aiohttp client; one outcome
    per request: the status, or "cut" when the connection was cut."""
    outcomes: list[str] = []
    headers = {**auth(emulator), **FORM_HEADERS}
    url = f"{emulator.base_url}/v1/Conversations/{conversation}/Participants"
    async with aiohttp.ClientSession() as http:
        for i in range(n):
            try:
                async with http.post(url, data={"Identity": f"u{i}"}, headers=headers) as answer:
                    await answer.read()
                    outcomes.append(str(answer.status))
            except aiohttp.ServerDisconnectedError:
                outcomes.append("cut")
    return outcomes


async def conversation_of(emulator: Emulator) -> str:
    return emulator.store.create_conversation(None, {})["sid"]  # type: ignore[no-any-return]


def mixed_faults(seed: int) -> Faults:
    return Faults(
        server_error_rate=0.1,
        server_error_after_commit_rate=0.1,
        disconnect_after_commit_rate=0.1,
        seed=seed,
    )


async def test_the_same_seed_gives_the_same_faults() -> None:
    runs = []
    for seed in (5, 5, 6):
        async with Emulator(faults=mixed_faults(seed)) as emulator:
            runs.append(
                await raw_create_participants(emulator, await conversation_of(emulator), 60)
            )
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert {"201", "500", "cut"} <= set(runs[0])


async def test_replacing_the_faults_restarts_their_streams() -> None:
    async with Emulator(faults=mixed_faults(5)) as emulator:
        conversation = await conversation_of(emulator)
        first = await raw_create_participants(emulator, conversation, 30)
        emulator.faults = mixed_faults(5)
        emulator.store = type(emulator.store)(account_sid=emulator.account_sid)
        again = await raw_create_participants(emulator, await conversation_of(emulator), 30)
    assert first == again


async def test_counters_count_statuses_creates_cuts_and_errors() -> None:
    async with Emulator(faults=mixed_faults(3)) as emulator:
        outcomes = await raw_create_participants(emulator, await conversation_of(emulator), 80)
        counters = emulator.counters
        entry = next(iter(emulator.store.conversations.values()))
    assert counters.requests == 80
    assert counters.by_status[201] == outcomes.count("201")
    assert counters.by_status[500] == outcomes.count("500")
    assert counters.disconnects == outcomes.count("cut")
    assert counters.server_errors == outcomes.count("500")
    # Every create answered 201 or cut after commit is on the server, and so are the 500s sent
    # after commit; the 500s sent before it are not. (Seed 3 draws both kinds.)
    assert counters.creates == len(entry.participants) == emulator.participants_created
    answered_or_cut = outcomes.count("201") + outcomes.count("cut")
    assert answered_or_cut < counters.creates < answered_or_cut + outcomes.count("500")
    assert counters.in_flight == 0 and counters.max_in_flight == 1


async def test_a_cut_after_commit_sends_no_answer_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with Emulator(faults=Faults(disconnect_after_commit_rate=1.0)) as emulator:
        conversation = await conversation_of(emulator)
        outcomes = await raw_create_participants(emulator, conversation, 3)
        assert outcomes == ["cut"] * 3
        assert emulator.participants_created == 3  # applied, then cut
        await asyncio.sleep(0.01)  # let the server finish its side of the cut
    noisy = [r for r in caplog.records if r.levelno >= logging.INFO and "aiohttp" in r.name]
    assert noisy == []


async def test_the_concurrency_cap_counts_429s_and_the_peak() -> None:
    async with Emulator(faults=Faults(max_in_flight=3, latency=0.05, retry_after=1)) as emulator:
        url = f"{emulator.base_url}/v1/Conversations/CHnope"
        async with aiohttp.ClientSession(headers=auth(emulator)) as http:

            async def get() -> tuple[int, str | None]:
                async with http.get(url) as answer:
                    await answer.read()
                    return answer.status, answer.headers.get("Retry-After")

            answers = await asyncio.gather(*(get() for _ in range(10)))
    assert sorted(answers, key=str).count((404, None)) == 3
    assert answers.count((429, "1")) == 7
    assert emulator.counters.throttled == 7 and emulator.counters.by_status[429] == 7
    assert emulator.counters.max_in_flight >= 4  # the peak includes the rejected


async def test_writes_per_second_are_enforced_per_conversation() -> None:
    async with Emulator(faults=Faults(writes_per_second=5)) as emulator:
        first, second = await conversation_of(emulator), await conversation_of(emulator)
        one = await raw_create_participants(emulator, first, 8)
        other = await raw_create_participants(emulator, second, 3)
    assert one == ["201"] * 5 + ["429"] * 3
    assert other == ["201"] * 3
