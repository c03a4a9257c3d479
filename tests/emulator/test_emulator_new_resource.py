"""Adding a resource to the emulator is a state module and a few route rows.

A toy ``Widgets`` resource (create, fetch, list, delete, in both scopes) is added here from the
outside, through ``Emulator(extra_routes=...)`` / ``emulator.add_routes(...)``, and exercised
over HTTP: what the route table gives every row (auth, the request log, paging, write budgets,
scripted and after-commit faults, webhooks) comes with it for free.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from _widgets_emulator import ROWS, create
from aiohttp import web

from conversations_async._options import basic_authorization
from conversations_async.errors import InvalidArgumentError
from conversations_async.testing import Emulator, Faults, Route
from conversations_async.webhooks import SIGNATURE_HEADER, compute_signature

# -- the tests ---------------------------------------------------------------------------------

SERVICE = "IS" + "7" * 32


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(extra_routes=ROWS) as running:
        yield running


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": basic_authorization(emulator.account_sid, emulator.auth_token)}
    async with aiohttp.ClientSession(emulator.base_url, headers=headers) as opened:
        yield opened


async def call(
    http: aiohttp.ClientSession, method: str, path: str, **options: Any
) -> tuple[int, Any]:
    async with http.request(method, path, **options) as response:
        is_json = response.content_type == "application/json"
        return response.status, (await response.json()) if is_json else None


@pytest.mark.parametrize("prefix", ["/v1", f"/v1/Services/{SERVICE}"])
async def test_create_fetch_list_and_delete_over_http(
    emulator: Emulator, http: aiohttp.ClientSession, prefix: str
) -> None:
    status, widget = await call(http, "POST", f"{prefix}/Widgets", data={"FriendlyName": "w1"})
    assert status == 201
    assert widget["url"] == f"{emulator.base_url}{prefix}/Widgets/{widget['sid']}"
    assert await call(http, "GET", f"{prefix}/Widgets/{widget['sid']}") == (200, widget)
    for name in ("w2", "w3"):
        await call(http, "POST", f"{prefix}/Widgets", data={"FriendlyName": name})

    status, first = await call(http, "GET", f"{prefix}/Widgets", params={"PageSize": "2"})
    assert status == 200 and first["meta"]["key"] == "widgets"
    status, second = await call(http, "GET", first["meta"]["next_page_url"])
    names = [w["friendly_name"] for w in first["widgets"] + second["widgets"]]
    assert names == ["w1", "w2", "w3"] and second["meta"]["next_page_url"] is None

    assert await call(http, "DELETE", f"{prefix}/Widgets/{widget['sid']}") == (204, None)
    status, body = await call(http, "GET", f"{prefix}/Widgets/{widget['sid']}")
    assert (status, body["code"]) == (404, 20404)
    assert body["message"].endswith(f"/Widgets/{widget['sid']} was not found")


async def test_the_scopes_keep_their_own_widgets(http: aiohttp.ClientSession) -> None:
    _, widget = await call(
        http, "POST", f"/v1/Services/{SERVICE}/Widgets", data={"FriendlyName": "s"}
    )
    assert (await call(http, "GET", f"/v1/Widgets/{widget['sid']}"))[0] == 404
    _, listed = await call(http, "GET", "/v1/Widgets")
    assert listed["widgets"] == []
    assert (await call(http, "GET", "/v1/Services/ISnot-a-sid/Widgets"))[0] == 404


async def test_its_errors_auth_and_request_log_are_the_emulators(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, "POST", "/v1/Widgets", data={})
    assert (status, body["code"], body["status"]) == (400, 20001, 400)
    assert (await call(http, "GET", "/v1/Widgets", params={"PageSize": "0"}))[0] == 400
    status, body = await call(http, "GET", "/v1/Widgets", headers={"Authorization": "Basic eA=="})
    assert (status, body["code"]) == (401, 20003)
    assert [(r.method, r.path) for r in emulator.requests] == [("POST", "/v1/Widgets")] + [
        ("GET", "/v1/Widgets")
    ] * 2


async def test_faults_and_write_budgets_apply_to_the_new_rows(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.fail_next("POST", "*/Widgets", status=503)
    assert (await call(http, "POST", "/v1/Widgets", data={"FriendlyName": "a"}))[0] == 503
    emulator.faults = Faults(server_error_after_commit_rate=1.0)
    assert (await call(http, "POST", "/v1/Widgets", data={"FriendlyName": "b"}))[0] == 500
    # The 500 came after the commit: the widget is there.
    assert [w["friendly_name"] for w in (await call(http, "GET", "/v1/Widgets"))[1]["widgets"]] == [
        "b"
    ]
    emulator.faults = Faults(writes_per_second=1)
    statuses = [
        (await call(http, "POST", "/v1/Widgets", data={"FriendlyName": n}))[0] for n in "cd"
    ]
    assert statuses == [201, 429]
    # The budget is per service: another service still has its write.
    status, _ = await call(
        http, "POST", f"/v1/Services/{SERVICE}/Widgets", data={"FriendlyName": "e"}
    )
    assert status == 201
    assert emulator.counters.by_status[429] == emulator.counters.throttled == 1


async def test_the_rows_webhooks_are_sent_signed(
    emulator: Emulator, http: aiohttp.ClientSession, aiohttp_server: Any
) -> None:
    received: list[tuple[dict[str, str], bool]] = []

    async def hook(request: web.Request) -> web.Response:
        params = {k: str(v) for k, v in (await request.post()).items()}
        signature = compute_signature(emulator.webhooks.url or "", params, emulator.auth_token)
        received.append((params, request.headers.get(SIGNATURE_HEADER) == signature))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hooks", hook)
    server = await aiohttp_server(app)
    emulator.webhooks.url = f"http://127.0.0.1:{server.port}/hooks"
    enabled = {"X-Twilio-Webhook-Enabled": "true"}
    await call(http, "POST", "/v1/Widgets", data={"FriendlyName": "quiet"})
    _, widget = await call(http, "POST", "/v1/Widgets", data={"FriendlyName": "w"}, headers=enabled)
    await call(http, "DELETE", f"/v1/Widgets/{widget['sid']}", headers=enabled)
    await emulator.webhooks.drain()
    assert received == [
        ({"EventType": "onWidgetAdded", "WidgetSid": widget["sid"], "Name": "w"}, True),
        ({"EventType": "onWidgetRemoved", "WidgetSid": widget["sid"], "Name": "w"}, True),
    ]


async def test_rows_can_be_added_until_the_emulator_starts(http: aiohttp.ClientSession) -> None:
    later = Emulator()
    later.add_routes(ROWS[:1])
    async with later:
        headers = {"Authorization": basic_authorization(later.account_sid, later.auth_token)}
        async with aiohttp.ClientSession(later.base_url, headers=headers) as other:
            assert (await call(other, "POST", "/v1/Widgets", data={"FriendlyName": "x"}))[0] == 201
            assert (await call(other, "GET", "/v1/Widgets"))[0] == 405  # that row was not added
            assert (await call(other, "POST", "/v1/Conversations"))[0] == 201
        with pytest.raises(RuntimeError, match="before the emulator starts"):
            later.add_routes(ROWS)


def test_an_event_needs_its_parameters() -> None:
    with pytest.raises(InvalidArgumentError, match="onWidgetAdded") as raised:
        Route("POST", "Widgets", create, event="onWidgetAdded")
    assert raised.value.field == "event_params"
