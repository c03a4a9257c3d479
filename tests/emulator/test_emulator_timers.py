"""The emulator's conversation timers: the durations the client sends, and those too long."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations_async import Session
from conversations_async._options import basic_authorization
from conversations_async._sansio.rules import parse_duration as client_parse_duration
from conversations_async.errors import InvalidArgumentError
from conversations_async.testing import Emulator, TwilioError
from conversations_async.testing._state._common import parse_duration as emulator_parse_duration

REFUSED = (400, 20001)


def client_reading(text: str) -> timedelta | tuple[int, int]:
    """The client's reading, or REFUSED where the emulator should answer 400 / 20001."""
    try:
        return client_parse_duration("timer", text)
    except InvalidArgumentError:
        return REFUSED


def emulator_reading(text: str) -> timedelta | tuple[int, int | None]:
    try:
        return emulator_parse_duration("Timers.Closed", text)
    except TwilioError as error:
        return (error.status, error.code)


@pytest.mark.parametrize(
    "text",
    [
        "PT10M",
        "P1DT2H",
        "P1W",
        "P2W3DT4H5M6S",
        "P1.5W",
        "PT0.5S",
        "P999999999D",
        "P1000000000D",
        "P" + "9" * 400 + "D",
        "P1Y",
        "P1M",
        "P",
        "PT",
        "P1DT",
        "PT\u0661\u0660M",  # Arabic-Indic digits: float() reads them, Twilio would not
        "p1d",
        "-PT1M",
        "PT1H1H",
    ],
)
def test_the_emulator_reads_durations_as_the_client_does(text: str) -> None:
    assert emulator_reading(text) == client_reading(text)


@given(st.text(alphabet="PTWDHMS0123456789.", max_size=14))
def test_any_duration_text_is_read_alike(text: str) -> None:
    assert emulator_reading(text) == client_reading(text)


async def test_week_timers_from_the_client_are_accepted(emulator_session: Session) -> None:
    conversation = await emulator_session.conversations.create(
        timers_inactive="P1W", timers_closed="P1W1DT0.5H"
    )
    assert conversation.timers is not None and conversation.date_created is not None
    assert conversation.timers.date_inactive is not None
    assert conversation.timers.date_closed is not None
    assert conversation.timers.date_inactive - conversation.date_created == timedelta(weeks=1)
    assert conversation.timers.date_closed - conversation.date_created == timedelta(
        days=8, minutes=30
    )
    updated = await emulator_session.conversations.update(conversation.sid, timers_closed="P2W")
    assert updated.timers is not None and updated.timers.date_closed is not None


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": basic_authorization(emulator.account_sid, emulator.auth_token)}
    async with aiohttp.ClientSession(emulator.base_url, headers=headers) as opened:
        yield opened


@pytest.mark.parametrize("text", ["P999999999D", "P1000000000D", "P" + "9" * 400 + "D"])
@pytest.mark.parametrize("field", ["Timers.Inactive", "Timers.Closed"])
async def test_a_timer_past_the_last_date_is_a_400(
    emulator: Emulator, http: aiohttp.ClientSession, field: str, text: str
) -> None:
    async with http.post("/v1/Conversations", data={field: text}) as response:
        assert response.status == 400
        body = await response.json()
    assert body["code"] == 20001 and field in body["message"]
    assert emulator.store.conversations == {}
    async with http.post("/v1/Conversations", data={"FriendlyName": "kept"}) as response:
        sid = (await response.json())["sid"]
    async with http.post(f"/v1/Conversations/{sid}", data={field: text}) as response:
        assert response.status == 400
        assert (await response.json())["code"] == 20001
    record = emulator.store.conversations[sid].record
    assert record["timers"] == {} and record["friendly_name"] == "kept"
