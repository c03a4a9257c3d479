"""The emulator's opt-in check of every request against the official spec, and the pytest
plugin option that turns it on for a whole suite (this one's included)."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from conftest import SPEC_PATH

from conversations_async._options import basic_authorization
from conversations_async.errors import InvalidArgumentError
from conversations_async.testing import Emulator, RequestValidator
from conversations_async.testing._validation import default_validator

CONVERSATION = "CH" + "a" * 32


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return RequestValidator(SPEC_PATH)


@pytest.fixture
async def checked(validator: RequestValidator) -> AsyncIterator[Emulator]:
    validator.clear()
    async with Emulator(validate_requests=validator) as emulator:
        yield emulator
    validator.clear()


async def send(
    emulator: Emulator,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    *,
    auth: bool = True,
) -> int:
    sent = dict(headers or {})
    if auth:
        sent["Authorization"] = basic_authorization(emulator.account_sid, emulator.auth_token)
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, emulator.base_url + path, data=form, headers=sent) as response,
    ):
        return response.status


def test_the_suite_itself_runs_with_the_check_on() -> None:
    assert default_validator() is not None  # pyproject's conversations_async_spec


async def test_what_the_library_sends_is_accepted(checked: Emulator) -> None:
    async with checked.session() as session:
        conversation = await session.conversations.create(
            friendly_name="ok", attributes={"a": 1}, webhook_enabled=True
        )
        await session.participants.create(conversation.sid, identity="alice")
        [p async for p in session.participants.list(conversation.sid, page_size=5)]
        await session.participants.delete(conversation.sid, "alice")
    assert checked.requests and checked.refused_requests == []


async def test_a_refused_request_is_recorded_and_still_answered(
    checked: Emulator, validator: RequestValidator
) -> None:
    async with checked.session() as session:
        created = await session.conversations.create()
    path = f"/v1/Conversations/{created.sid}/Participants"
    header = {"X-Twilio-Webhook-Enabled": "maybe"}
    assert await send(checked, "POST", path, {"Identity": "bob"}, header) == 201
    # The emulator's own answer (its rules say 400); the check only records.
    form = {"Identity": "carl", "RoleSid": "xx", "DateCreated": "yesterday"}
    assert await send(checked, "POST", path, form) == 400
    bad_header, bad_form = checked.refused_requests
    assert validator.refused == [bad_header, bad_form]
    assert (bad_header.method, bad_header.path) == ("POST", path)
    assert "X-Twilio-Webhook-Enabled: 'maybe' is not one of" in bad_header.problems[0]
    assert bad_header.headers == {"X-Twilio-Webhook-Enabled": "maybe"}
    problems = " ".join(bad_form.problems)
    assert "'xx' does not match" in problems and "'yesterday' is not a 'date-time'" in problems
    assert "RoleSid=xx" in bad_form.body
    for refusal in (bad_header, bad_form):
        assert checked.auth_token not in str(refusal)
        assert "Authorization" not in repr(refusal)


async def test_an_unknown_method_and_missing_credentials_are_refused(checked: Emulator) -> None:
    assert await send(checked, "PUT", "/v1/Conversations", {"FriendlyName": "x"}) == 405
    assert await send(checked, "GET", "/v1/Conversations", auth=False) == 401
    first, second = checked.refused_requests
    assert "put" in first.problems[0].lower()
    assert "Security" in second.problems[0]


async def test_paths_beyond_the_spec_are_not_checked(validator: RequestValidator) -> None:
    from _widgets_emulator import ROWS

    validator.clear()
    async with Emulator(validate_requests=validator, extra_routes=ROWS) as emulator:
        assert await send(emulator, "POST", "/v1/Widgets", {"FriendlyName": "w"}) == 201
        assert await send(emulator, "GET", "/_emulator/stats", auth=False) == 200
        assert emulator.refused_requests == []


async def test_the_option_builds_a_validator_or_turns_it_off() -> None:
    assert Emulator(validate_requests=False).validator is None
    assert Emulator().validator is default_validator()  # None: the default (here, the suite's)
    assert isinstance(Emulator(validate_requests=SPEC_PATH).validator, RequestValidator)
    with pytest.raises(InvalidArgumentError) as caught:
        Emulator(validate_requests=True)
    assert caught.value.field == "validate_requests"


def test_the_plugin_fails_a_test_at_teardown_unless_it_is_marked(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        f"""
        [pytest]
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = function
        conversations_async_spec = {SPEC_PATH}
        """
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            import aiohttp
            import pytest

            async def put(emulator):
                async with aiohttp.ClientSession() as http:
                    async with http.put(emulator.base_url + "/v1/Conversations") as response:
                        return response.status

            async def test_sends_nonsense(emulator):
                assert await put(emulator) == 401

            @pytest.mark.spec_invalid_requests("on purpose")
            async def test_sends_nonsense_on_purpose(emulator):
                assert await put(emulator) == 401

            async def test_through_the_library(emulator_session):
                await emulator_session.conversations.create(friendly_name="fine")
            """
        )
    )
    outer = default_validator()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert default_validator() is outer  # the inner run put the outer default back
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_sends_nonsense*",
            "*the emulator received 1 request(s) the official spec refuses*",
            "*PUT /v1/Conversations: *",
        ]
    )


def test_verdicts_are_cached_by_the_whole_request(validator: RequestValidator) -> None:
    validator.clear()
    path = f"/v1/Conversations/{CONVERSATION}/Participants"
    for _ in range(3):
        validator.check(
            "POST",
            path,
            body=b"RoleSid=xx",
            content_type="application/x-www-form-urlencoded",
            headers={"Authorization": "x"},
        )
    assert len(validator.refused) == 3  # each one recorded, each one the same verdict
    info: Any = validator._verdict.cache_info()
    assert info.hits >= 2
    validator.clear()
