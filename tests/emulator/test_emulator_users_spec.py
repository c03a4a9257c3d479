"""The emulator's answers for users, user conversations, roles and services, in both scopes,
validate against the official spec (raw aiohttp, so what is checked is what the server sent)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from yarl import URL

from conversations_async._options import basic_authorization
from conversations_async.testing import Emulator

Form = list[tuple[str, str]]


class SpecClient:
    def __init__(self, http: aiohttp.ClientSession, emulator: Emulator, openapi: Any) -> None:
        self.http = http
        self.emulator = emulator
        self.openapi = openapi
        self.auth = {
            "Authorization": basic_authorization(emulator.account_sid, emulator.auth_token)
        }
        self.checked = 0

    async def call(self, method: str, path: str, form: Form | None = None) -> Any:
        from openapi_core.testing import MockRequest, MockResponse

        url = URL(self.emulator.base_url + path, encoded=True)
        async with self.http.request(method, url, data=form, headers=self.auth) as response:
            body = await response.read()
            status = response.status
        assert 200 <= status < 300, body
        if body:
            request = MockRequest(
                "https://conversations.twilio.com",
                method.lower(),
                url.path,
                args=dict(url.query),
                data=urlencode(form or []).encode(),
                content_type="application/x-www-form-urlencoded",
            )
            self.openapi.validate_response(
                request, MockResponse(body, status_code=status, content_type="application/json")
            )
            self.checked += 1
        return json.loads(body) if body else None


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(spec)


@pytest.fixture
async def client(emulator: Emulator, openapi: Any) -> AsyncIterator[SpecClient]:
    async with aiohttp.ClientSession() as http:
        yield SpecClient(http, emulator, openapi)


@pytest.mark.parametrize("prefix", ["/v1", "/v1/Services/IS" + "4" * 32])
async def test_every_answer_validates(client: SpecClient, prefix: str) -> None:
    role = await client.call(
        "POST",
        f"{prefix}/Roles",
        [("FriendlyName", "agent"), ("Type", "service"), ("Permission", "joinConversation")],
    )
    await client.call("GET", f"{prefix}/Roles/{role['sid']}")
    await client.call(
        "POST", f"{prefix}/Roles/{role['sid']}", [("Permission", "createConversation")]
    )
    await client.call("GET", f"{prefix}/Roles?PageSize=2")
    user = await client.call(
        "POST",
        f"{prefix}/Users",
        [("Identity", "alice"), ("FriendlyName", "Alice"), ("RoleSid", role["sid"])],
    )
    await client.call("GET", f"{prefix}/Users/{user['sid']}")
    await client.call("POST", f"{prefix}/Users/alice", [("Attributes", '{"a":1}')])
    await client.call("GET", f"{prefix}/Users")
    conversation = await client.call("POST", f"{prefix}/Conversations", [("FriendlyName", "c")])
    sid = conversation["sid"]
    await client.call("POST", f"{prefix}/Conversations/{sid}/Participants", [("Identity", "alice")])
    await client.call("POST", f"{prefix}/Conversations/{sid}/Messages", [("Body", "hi")])
    await client.call("GET", f"{prefix}/Users/alice/Conversations")
    await client.call("GET", f"{prefix}/Users/alice/Conversations/{sid}")
    await client.call(
        "POST",
        f"{prefix}/Users/alice/Conversations/{sid}",
        [("NotificationLevel", "muted"), ("LastReadMessageIndex", "0")],
    )
    await client.call("DELETE", f"{prefix}/Users/alice/Conversations/{sid}")
    await client.call("DELETE", f"{prefix}/Users/alice")
    await client.call("DELETE", f"{prefix}/Roles/{role['sid']}")
    assert client.checked == 14  # every answer with a body


async def test_service_answers_validate(client: SpecClient) -> None:
    made = await client.call("POST", "/v1/Services", [("FriendlyName", "Acme")])
    await client.call("GET", f"/v1/Services/{made['sid']}")
    await client.call("GET", "/v1/Services?PageSize=1")
    await client.call("DELETE", f"/v1/Services/{made['sid']}")
    assert client.checked == 3
