"""The emulator's Media Content Service over raw HTTP: Twilio's shapes, auth, direct links."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from conversations_async._options import basic_authorization
from conversations_async.testing import Emulator

SERVICE = "IS" + "8" * 32


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def auth(emulator: Emulator) -> dict[str, str]:
    return {"Authorization": basic_authorization(emulator.account_sid, emulator.auth_token)}


async def upload(emulator: Emulator, http: aiohttp.ClientSession, body: bytes) -> dict[str, object]:
    async with http.post(
        f"{emulator.media_base_url}/v1/Services/{SERVICE}/Media?Filename=a.txt",
        data=body,
        headers={**auth(emulator), "Content-Type": "text/plain"},
    ) as response:
        assert response.status == 201
        record: dict[str, object] = await response.json()
        return record


async def test_upload_answers_twilios_shape(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    record = await upload(emulator, http, b"hello")
    sid = str(record["sid"])
    assert sid.startswith("ME") and len(sid) == 34
    assert record["links"] == {"content": f"/v1/Services/{SERVICE}/Media/{sid}/Content"}
    assert record["url"] == f"/v1/Services/{SERVICE}/Media/{sid}"
    assert (record["size"], record["content_type"], record["filename"]) == (
        5,
        "text/plain",
        "a.txt",
    )
    assert (record["category"], record["message_sid"], record["channel_sid"]) == (
        "media",
        None,
        None,
    )
    assert record["service_sid"] == SERVICE and record["account_sid"] == emulator.account_sid


async def test_the_direct_link_works_without_credentials_until_it_expires(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    sid = (await upload(emulator, http, b"direct"))["sid"]
    media_url = f"{emulator.media_base_url}/v1/Services/{SERVICE}/Media/{sid}"
    async with http.get(media_url, headers=auth(emulator)) as response:
        link = URL((await response.json())["links"]["content_direct_temporary"])
    async with http.get(link) as response:  # no Authorization at all
        assert (response.status, await response.read()) == (200, b"direct")
        assert response.content_type == "text/plain"
    forged = link.update_query(Signature="0" * 64)
    expired = link.update_query(Expires="1")
    for bad in (forged, expired):
        async with http.get(bad) as response:
            assert response.status == 403
    async with http.get(
        f"{media_url}/Content", headers=auth(emulator), allow_redirects=False
    ) as response:
        assert response.status == 302
        assert URL(response.headers["Location"]).path == link.path


async def test_errors(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    base = f"{emulator.media_base_url}/v1/Services"
    async with http.post(f"{base}/{SERVICE}/Media", data=b"x") as response:
        assert response.status == 401
    async with http.post(
        f"{base}/{SERVICE}/Media", data=b"", headers={**auth(emulator), "Content-Type": "a/b"}
    ) as response:
        assert response.status == 400
    async with http.get(f"{base}/{SERVICE}/Media/ME{'0' * 32}", headers=auth(emulator)) as response:
        assert (response.status, (await response.json())["code"]) == (404, 20404)
    async with http.get(f"{base}/ISbad/Media/ME{'0' * 32}", headers=auth(emulator)) as response:
        assert response.status == 404
    sid = (await upload(emulator, http, b"elsewhere"))["sid"]
    other = "IS" + "9" * 32  # a file is found only in its own service
    async with http.get(f"{base}/{other}/Media/{sid}", headers=auth(emulator)) as response:
        assert response.status == 404
