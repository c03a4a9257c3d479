"""The emulator itself: Twilio's shapes (checked against the official spec), paging, auth, the
standalone server. Raw aiohttp requests, so what is checked is exactly what the server sent."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from conversations_async._options import basic_authorization
from conversations_async.testing import DEFAULT_ACCOUNT_SID, Emulator, Faults, TwilioError


class Client:
    """Raw HTTP to the emulator, with every answer validated against the official spec."""

    def __init__(
        self, http: aiohttp.ClientSession, emulator: Emulator, openapi: Any | None
    ) -> None:
        self.http = http
        self.emulator = emulator
        self.openapi = openapi
        self.auth = {
            "Authorization": basic_authorization(emulator.account_sid, emulator.auth_token)
        }

    async def call(
        self,
        method: str,
        path_or_url: str,
        form: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> tuple[int, Any]:
        url = (
            URL(path_or_url)
            if path_or_url.startswith("http")
            else URL(self.emulator.base_url + path_or_url, encoded=True)
        )
        async with self.http.request(
            method, url, data=form, headers=self.auth if auth else {}
        ) as response:
            body = await response.read()
            status = response.status
        if 200 <= status < 300 and self.openapi is not None:
            self.validate(self.openapi, method, url, form, status, body)
        return status, json.loads(body) if body else None

    @staticmethod
    def validate(
        openapi: Any, method: str, url: URL, form: dict[str, str] | None, status: int, body: bytes
    ) -> None:
        from urllib.parse import urlencode

        from openapi_core.testing import MockRequest, MockResponse

        request = MockRequest(
            "https://conversations.twilio.com",
            method.lower(),
            url.path,
            args=dict(url.query),
            data=urlencode(form or {}).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        openapi.validate_response(
            request, MockResponse(body, status_code=status, content_type="application/json")
        )


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(spec)


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    """Raw HTTP without validation, for tests about behaviour rather than shapes."""
    async with aiohttp.ClientSession() as http:
        yield Client(http, emulator, None)


@pytest.fixture
async def spec_client(emulator: Emulator, openapi: Any) -> AsyncIterator[Client]:
    """Raw HTTP with every 2xx answer validated against the official spec."""
    async with aiohttp.ClientSession() as http:
        yield Client(http, emulator, openapi)


async def test_answers_validate_against_the_official_spec(spec_client: Client) -> None:
    client = spec_client
    status, conversation = await client.call(
        "POST",
        "/v1/Conversations",
        {"FriendlyName": "spec", "UniqueName": "spec-check", "Attributes": '{"a":1}'},
    )
    assert status == 201
    sid = conversation["sid"]
    assert (await client.call("GET", f"/v1/Conversations/{sid}"))[0] == 200
    assert (await client.call("GET", "/v1/Conversations/spec-check"))[0] == 200
    participants = f"/v1/Conversations/{sid}/Participants"
    for form in (
        {"Identity": "alice", "Attributes": '{"role":"agent"}', "RoleSid": "RL" + "a" * 32},
        {
            "MessagingBinding.Address": "+15558675310",
            "MessagingBinding.ProxyAddress": "+15017122661",
        },
        {"Identity": "gmms", "MessagingBinding.ProjectedAddress": "+15017122661"},
        {"MessagingBinding.Address": "+15017122669", "DateCreated": "2020-07-01T22:18:37Z"},
    ):
        status, created = await client.call("POST", participants, form)
        assert status == 201, created
    assert (await client.call("GET", f"{participants}/alice"))[0] == 200
    status, listed = await client.call("GET", f"{participants}?PageSize=2")
    assert status == 200
    assert [p["identity"] for p in listed["participants"]] == ["alice", None]


@pytest.mark.spec_invalid_requests("a malformed service SID, to see the emulator's 404")
async def test_service_scoped_answers_validate(spec_client: Client) -> None:
    client = spec_client
    service = "IS" + "c" * 32
    status, conversation = await client.call(
        "POST", f"/v1/Services/{service}/Conversations", {"FriendlyName": "s"}
    )
    assert status == 201
    assert conversation["chat_service_sid"] == service
    status, participant = await client.call(
        "POST",
        f"/v1/Services/{service}/Conversations/{conversation['sid']}/Participants",
        {"Identity": "x"},
    )
    assert status == 201
    assert participant["chat_service_sid"] == service
    status, _ = await client.call("POST", "/v1/Services/ISnot-a-sid/Conversations", {})
    assert status == 404


@pytest.mark.spec_invalid_requests("a request without credentials, to see the 401's shape")
async def test_errors_are_twilio_shaped(client: Client) -> None:
    status, body = await client.call("GET", "/v1/Conversations/CHmissing")
    assert status == 404
    assert body == {
        "code": 20404,
        "message": body["message"],
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    # A sub-resource of a missing conversation: Twilio's generic 20404 too (API-FACTS 3.3).
    status, body = await client.call(
        "POST", "/v1/Conversations/CHmissing/Participants", {"Identity": "x"}
    )
    assert (status, body["code"]) == (404, 20404)
    assert body["message"] == (
        "The requested resource /Conversations/CHmissing/Participants was not found"
    )
    status, body = await client.call("POST", "/v1/Conversations", {"FriendlyName": "x"}, auth=False)
    assert (status, body["code"], body["message"]) == (401, 20003, "Authenticate")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (20404, {"code": 20404, "more_info": "https://www.twilio.com/docs/errors/20404"}),
        (50432, {"code": 50432, "more_info": "https://www.twilio.com/docs/errors/50432"}),
        (None, {}),
    ],
)
async def test_a_missing_participant_answers_the_chosen_404(
    client: Client, code: int | None, expected: dict[str, object]
) -> None:
    _, conversation = await client.call("POST", "/v1/Conversations", {})
    path = f"/v1/Conversations/{conversation['sid']}/Participants"
    await client.call("POST", path, {"Identity": "present"})
    client.emulator.missing_participant_code = code
    generic = f"The requested resource {path.removeprefix('/v1')}/ghost was not found"
    message = "Participant not found" if code == 50432 else generic
    for method, form in (("GET", None), ("POST", {"Attributes": "{}"}), ("DELETE", None)):
        status, body = await client.call(method, f"{path}/ghost", form)
        assert status == 404
        assert body == {**expected, "message": message, "status": 404}
    status, body = await client.call("GET", f"{path}/present")
    assert (status, body["identity"]) == (200, "present")


async def test_the_missing_participant_code_can_be_chosen_at_construction() -> None:
    async with Emulator(missing_participant_code=50432) as emulator:
        assert emulator.missing_participant_code == 50432
        conversation = emulator.store.create_conversation(None, {})
        with pytest.raises(TwilioError) as raised:
            emulator.store.find_participant(None, conversation["sid"], "ghost")
        assert (raised.value.status, raised.value.code) == (404, 50432)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"Identity": "x", "RoleSid": "RL1"}, 20001),
        ({"Identity": "x", "Attributes": "{"}, 50304),
        ({"Identity": "x" * 257}, 20001),
        ({"Identity": "x", "DateCreated": "yesterday"}, 20001),
        ({}, 50411),
        ({"MessagingBinding.ProxyAddress": "+15017122661"}, 50411),
        ({"MessagingBinding.Address": "+1501", "MessagingBinding.ProxyAddress": "+1501"}, 50409),
        ({"MessagingBinding.ProjectedAddress": "+15017122661"}, 50434),
    ],
)
@pytest.mark.spec_invalid_requests("values the spec refuses, on purpose, to see the 400s")
async def test_spec_rules_give_twilio_400s(client: Client, form: dict[str, str], code: int) -> None:
    _, conversation = await client.call("POST", "/v1/Conversations", {})
    status, body = await client.call(
        "POST", f"/v1/Conversations/{conversation['sid']}/Participants", form
    )
    assert (status, body["code"]) == (400, code)
    assert client.emulator.participants_created == 0


async def test_unique_names_conflict(client: Client) -> None:
    assert (await client.call("POST", "/v1/Conversations", {"UniqueName": "u"}))[0] == 201
    status, body = await client.call("POST", "/v1/Conversations", {"UniqueName": "u"})
    assert (status, body["code"]) == (409, 50353)
    status, body = await client.call("POST", "/v1/Conversations", {"UniqueName": "CH" + "a" * 32})
    assert (status, body["code"]) == (400, 50390)


@pytest.mark.spec_invalid_requests("PageSize 0 and 101, outside the spec's 1-100, on purpose")
async def test_cursor_paging_with_absolute_next_page_urls(client: Client) -> None:
    _, conversation = await client.call("POST", "/v1/Conversations", {})
    path = f"/v1/Conversations/{conversation['sid']}/Participants"
    for i in range(12):
        await client.call("POST", path, {"Identity": f"user-{i:02d}"})
    seen: list[str] = []
    url: str | None = f"{path}?PageSize=5"
    pages = 0
    while url:
        status, page = await client.call("GET", url)
        assert status == 200
        assert page["meta"]["key"] == "participants"
        seen += [p["identity"] for p in page["participants"]]
        url = page["meta"]["next_page_url"]
        if url:
            assert url.startswith(client.emulator.base_url)
            assert "PageToken=PT" in url
        pages += 1
    assert pages == 3
    assert seen == [f"user-{i:02d}" for i in range(12)]
    for bad in ("PageSize=0", "PageSize=101", "PageToken=PTnot-a-cursor", "PageToken=garbage"):
        status, body = await client.call("GET", f"{path}?{bad}")
        assert status == 400, bad
        assert body["code"] in {20007, 21481}


async def test_concurrency_cap_answers_429_with_retry_after(client: Client) -> None:
    client.emulator.faults = Faults(max_in_flight=2, retry_after=3, latency=0.05)
    answers = await asyncio.gather(
        *(client.call("POST", "/v1/Conversations", {}) for _ in range(6))
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(201) >= 2
    assert 429 in statuses
    assert all(body["code"] == 20429 for status, body in answers if status == 429)
    assert client.emulator.counters.max_in_flight <= 6
    assert client.emulator.counters.throttled == statuses.count(429)


async def test_scripted_failures_run_out(client: Client) -> None:
    client.emulator.fail_next("POST", "/v1/Conversations", status=503, times=2)
    statuses = [(await client.call("POST", "/v1/Conversations", {}))[0] for _ in range(3)]
    assert statuses == [503, 503, 201]


async def test_standalone_server_from_the_command_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conversations_async.cli",
        "emulator",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        assert f"http://127.0.0.1:{port}" in line.decode()
        headers = {"Authorization": basic_authorization(DEFAULT_ACCOUNT_SID, "emulator-auth-token")}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{port}/v1/Conversations", headers=headers
            ) as response:
                assert response.status == 201
    finally:
        process.terminate()
        await process.wait()


async def test_stats_route_is_not_counted_and_needs_no_auth(client: Client) -> None:
    await client.call("POST", "/v1/Conversations", {})
    await client.call("GET", "/v1/Conversations/CH" + "0" * 32)
    # Not a Twilio route, so not checked against the spec: a raw GET without credentials.
    async with client.http.get(client.emulator.base_url + "/_emulator/stats") as response:
        assert response.status == 200
        stats = await response.json()
    assert stats == client.emulator.stats()
    assert stats["requests"] == 2
    assert stats["by_status"] == {"201": 1, "404": 1}
    assert stats["participants_created"] == 0


async def test_command_line_faults(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conversations_async.cli",
        "emulator",
        "--port",
        str(port),
        "--writes-per-second",
        "1",
        "--max-in-flight",
        "5",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), timeout=20)
        root = f"http://127.0.0.1:{port}"
        headers = {"Authorization": basic_authorization(DEFAULT_ACCOUNT_SID, "emulator-auth-token")}
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(2):
                async with http.post(f"{root}/v1/Conversations", headers=headers) as response:
                    statuses.append(response.status)
            async with http.get(f"{root}/_emulator/stats") as response:
                stats = await response.json()
        # One conversation create per second for the service: the second is refused.
        assert statuses == [201, 429]
        assert stats["throttled"] == 1
    finally:
        process.terminate()
        await process.wait()
