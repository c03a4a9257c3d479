"""``session.media``: uploads of every kind of source, fetch, download through the direct link,
retries that respect a stream, and credentials that never follow a link to another host."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import FAST_RETRY

from conversations_async import Media, Request, Session
from conversations_async.errors import (
    APIConnectionError,
    InvalidArgumentError,
    RateLimitError,
    ResponseValidationError,
)
from conversations_async.testing import Emulator

SERVICE = "IS" + "5" * 32
MEDIA = "ME" + "6" * 32


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def last_upload(emulator: Emulator) -> Any:
    return [r for r in emulator.requests if r.method == "POST"][-1]


async def test_upload_fetch_and_download_bytes(emulator: Emulator, session: Session) -> None:
    content = b"\x89PNG fake image bytes"
    media = await session.media.upload(
        SERVICE, content, content_type="image/png", filename="cat photo.png"
    )
    assert media.sid.startswith("ME") and len(media.sid) == 34
    assert (media.service_sid, media.size, media.content_type) == (
        SERVICE,
        len(content),
        "image/png",
    )
    assert media.filename == "cat photo.png"
    sent = last_upload(emulator)
    assert sent.path == f"/mcs/v1/Services/{SERVICE}/Media"
    assert sent.query == (("Filename", "cat photo.png"),)
    assert sent.headers["Content-Type"] == "image/png"
    assert sent.headers["Content-Length"] == str(len(content))
    assert "content_direct_temporary" not in media.links  # as Twilio: only on fetch

    fetched = await session.media.fetch(SERVICE, media.sid)
    assert fetched.sid == media.sid and "content_direct_temporary" in fetched.links
    assert await session.media.download(SERVICE, media.sid) == content
    assert await session.media.download(SERVICE, fetched) == content  # its link, no fetch
    assert await session.media.download(SERVICE, media) == content  # no link: fetched first


async def test_every_kind_of_source(emulator: Emulator, session: Session, tmp_path: Path) -> None:
    big = os.urandom(3 * 1024 * 1024 + 17)  # over aiohttp's 1 MiB default body limit
    path = tmp_path / "big.bin"
    path.write_bytes(big)
    kinds: list[tuple[Any, bytes, dict[str, Any]]] = [
        (str(path), big, {}),
        (path, big, {}),
        (bytearray(b"bytearray"), b"bytearray", {}),
        (memoryview(b"memoryview"), b"memoryview", {}),
        (io.BytesIO(b"in memory"), b"in memory", {}),
        (chunks(b"stream ", b"of ", b"chunks"), b"stream of chunks", {}),
        (chunks(b"sized ", b"stream"), b"sized stream", {"size": 12}),
    ]
    for data, expected, options in kinds:
        media = await session.media.upload(
            SERVICE, data, content_type="application/octet-stream", **options
        )
        assert media.size == len(expected)
        assert await session.media.download(SERVICE, media.sid) == expected
    with path.open("rb") as file:
        file.seek(5)  # from where the file is, as a reader would expect
        media = await session.media.upload(SERVICE, file, content_type="application/octet-stream")
    assert await session.media.download(SERVICE, media.sid) == big[5:]
    uploads = [r for r in emulator.requests if r.method == "POST"]
    assert uploads[0].headers["Content-Length"] == str(len(big))  # a file's size is known
    assert uploads[5].headers.get("Transfer-Encoding") == "chunked"  # a stream's is not
    assert uploads[6].headers["Content-Length"] == "12"


async def test_a_429_retries_bytes_and_files_but_not_a_started_stream(
    emulator: Emulator, session: Session, tmp_path: Path
) -> None:
    upload_path = f"/mcs/v1/Services/{SERVICE}/Media"
    emulator.fail_next("POST", upload_path, status=429, headers={"Retry-After": "0"})
    media = await session.media.upload(SERVICE, b"again", content_type="text/plain")
    assert await session.media.download(SERVICE, media.sid) == b"again"

    path = tmp_path / "file.txt"
    path.write_bytes(b"from a file, twice")
    emulator.fail_next("POST", upload_path, status=429, headers={"Retry-After": "0"})
    media = await session.media.upload(SERVICE, path, content_type="text/plain")
    assert await session.media.download(SERVICE, media.sid) == b"from a file, twice"

    emulator.reset_counters()
    emulator.fail_next("POST", upload_path, status=429, headers={"Retry-After": "0"})
    with pytest.raises(RateLimitError):
        await session.media.upload(SERVICE, chunks(b"once"), content_type="text/plain")
    assert len(emulator.requests) == 1  # its bytes were gone: never sent again


async def test_a_stream_nothing_read_is_retried_when_nothing_connected() -> None:
    read: list[bytes] = []

    async def watched() -> AsyncIterator[bytes]:
        read.append(b"x")
        yield b"x"

    from conversations_async import RetryPolicy

    closed = TestServer(web.Application())
    await closed.start_server()
    root = str(closed.make_url(""))
    await closed.close()  # nothing listens there any more
    session = Session(
        account_sid="AC" + "1" * 32,
        auth_token="t",
        base_url=root,
        media_base_url=root,
        retry=RetryPolicy(attempts=3, initial=0.0, max_wait=0.0, jitter=False),
    )
    async with session:
        with pytest.raises(APIConnectionError) as raised:
            await session.media.upload(SERVICE, watched(), content_type="text/plain")
    assert raised.value.sent is False
    assert session.stats.requests == 3 and read == []  # tried again, never read


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.upload("IS1", b"x", content_type="text/plain"), "chat_service_sid"),
        (lambda m: m.upload(SERVICE, b"x", content_type="text plain"), "content_type"),
        (lambda m: m.upload(SERVICE, b"x", content_type="text/plain\r\nX: y"), "content_type"),
        (lambda m: m.upload(SERVICE, b"x", content_type=None), "content_type"),
        (lambda m: m.upload(SERVICE, b"x", content_type="a/b", filename=5), "filename"),
        (lambda m: m.upload(SERVICE, 42, content_type="a/b"), "data"),
        (lambda m: m.upload(SERVICE, "no/such/file.png", content_type="a/b"), "data"),
        (lambda m: m.upload(SERVICE, io.StringIO("text"), content_type="a/b"), "data"),
        (lambda m: m.upload(SERVICE, b"xy", content_type="a/b", size=3), "size"),
        (lambda m: m.upload(SERVICE, chunks(), content_type="a/b", size=-1), "size"),
        (lambda m: m.fetch(SERVICE, "CH" + "1" * 32), "media"),
        (lambda m: m.fetch("", MEDIA), "chat_service_sid"),
        (lambda m: m.download(SERVICE, "ME1"), "media"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    emulator: Emulator, session: Session, call: Any, field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        await call(session.media)
    assert raised.value.field == field
    assert list(emulator.requests) == []


async def test_a_directory_is_not_a_file(session: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        await session.media.upload(SERVICE, tmp_path, content_type="a/b")
    assert raised.value.field == "data"


async def test_media_exists_only_at_account_scope(session: Session) -> None:
    assert not hasattr(
        session.service(SERVICE), "media"
    )  # the service is every call's first argument


# -- two local servers: the Media Content Service, and the host its links point at -------------


class Storage:
    """The host of the bytes (Twilio's is another host, e.g. a cloud store): records headers."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_get("/file", self.file)
        self.app.router.add_get("/hop", self.hop)

    async def file(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        return web.Response(body=b"stored bytes", content_type="image/jpeg")

    async def hop(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        raise web.HTTPTemporaryRedirect("/file")


class FakeMediaService:
    """Answers as the Media Content Service, pointing at ``storage`` for the bytes."""

    def __init__(self, storage_root: str) -> None:
        self.storage = storage_root
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.app = web.Application()
        self.app.router.add_get("/v1/Services/{service}/Media/{media}", self.record)
        self.app.router.add_get("/v1/Services/{service}/Media/{media}/Content", self.content)
        self.app.router.add_get("/loop", self.loop)
        self.app.router.add_get("/nowhere", self.nowhere)

    async def record(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, dict(request.headers)))
        media = request.match_info["media"]
        links: dict[str, str] = {"content": f"{request.path}/Content"}
        if media == MEDIA:
            links["content_direct_temporary"] = f"{self.storage}/file?Signature=abc"
        return web.json_response({"sid": media, "service_sid": SERVICE, "links": links})

    async def content(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, dict(request.headers)))
        raise web.HTTPFound(f"{self.storage}/hop")

    async def loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def nowhere(self, request: web.Request) -> web.Response:
        return web.Response(status=302)


@pytest.fixture
async def hosts() -> AsyncIterator[tuple[FakeMediaService, Storage, Session]]:
    storage = Storage()
    storage_server = TestServer(storage.app)
    await storage_server.start_server()
    service = FakeMediaService(str(storage_server.make_url("")).rstrip("/"))
    service_server = TestServer(service.app)
    await service_server.start_server()
    root = str(service_server.make_url("")).rstrip("/")
    session = Session(
        account_sid="AC" + "1" * 32, auth_token="token", media_base_url=root, base_url=root
    )
    try:
        async with session:
            yield service, storage, session
    finally:
        await service_server.close()
        await storage_server.close()


async def test_the_direct_link_on_another_host_gets_no_credentials(
    hosts: tuple[FakeMediaService, Storage, Session],
) -> None:
    service, storage, session = hosts
    assert await session.media.download(SERVICE, MEDIA) == b"stored bytes"
    [(path, headers)] = service.seen
    assert path.endswith(MEDIA) and headers["Authorization"].startswith("Basic ")
    [stored] = storage.seen
    assert "Authorization" not in stored


async def test_redirects_to_another_host_get_no_credentials(
    hosts: tuple[FakeMediaService, Storage, Session],
) -> None:
    service, storage, session = hosts
    other = "ME" + "7" * 32  # its record has no direct link: the Content link redirects
    assert await session.media.download(SERVICE, other) == b"stored bytes"
    assert [p for p, _ in service.seen] == [
        f"/v1/Services/{SERVICE}/Media/{other}",
        f"/v1/Services/{SERVICE}/Media/{other}/Content",
    ]
    assert all("Authorization" in headers for _, headers in service.seen)  # our own host
    assert len(storage.seen) == 2  # /hop redirected (relative Location) to /file
    assert all("Authorization" not in headers for headers in storage.seen)


async def test_the_rule_is_the_sessions_for_any_absolute_url(
    hosts: tuple[FakeMediaService, Storage, Session],
) -> None:
    service, storage, session = hosts
    from yarl import URL

    answer = await session.request_raw(Request(method="GET", url=URL(f"{service.storage}/file")))
    assert (answer.status, answer.body) == (200, b"stored bytes")
    assert "Authorization" not in storage.seen[-1]


async def test_a_request_may_say_otherwise(
    hosts: tuple[FakeMediaService, Storage, Session],
) -> None:
    service, storage, session = hosts
    from yarl import URL

    from conversations_async._pagination import next_page_request

    await session.request_raw(
        Request(method="GET", url=URL(f"{service.storage}/file"), credentials=True)
    )
    assert storage.seen[-1]["Authorization"].startswith("Basic ")
    home = URL(f"{session.media_base_url}/v1/Services/{SERVICE}/Media/{MEDIA}")
    await session.request(Request(method="GET", url=home, credentials=False))
    assert "Authorization" not in service.seen[-1][1]
    # The pager vouches for another of Twilio's HTTPS hosts, and for nothing else.
    edge = URL("https://conversations.sydney.us1.twilio.com")
    assert next_page_request(URL("https://conversations.twilio.com/v1/X"), edge).credentials
    assert next_page_request(URL("/v1/X?PageToken=PT1"), edge).credentials is None


async def test_endless_and_empty_redirects_are_refused(
    hosts: tuple[FakeMediaService, Storage, Session],
) -> None:
    _, _, session = hosts
    root = str(session.media_base_url)
    looping = Media(sid=MEDIA, links={"content_direct_temporary": f"{root}/loop"})  # type: ignore[dict-item]
    with pytest.raises(ResponseValidationError, match="more than 5"):
        await session.media.download(SERVICE, looping)
    empty = Media(sid=MEDIA, links={"content_direct_temporary": f"{root}/nowhere"})  # type: ignore[dict-item]
    with pytest.raises(ResponseValidationError, match="without a Location"):
        await session.media.download(SERVICE, empty)


# -- where media go -----------------------------------------------------------------------------


def test_the_media_root_follows_the_region_not_the_edge() -> None:
    credentials: dict[str, Any] = {"account_sid": "AC" + "1" * 32, "auth_token": "t"}
    assert str(Session(**credentials).media_base_url) == "https://mcs.us1.twilio.com"
    assert str(Session(**credentials, region="au1").media_base_url) == "https://mcs.au1.twilio.com"
    assert str(Session(**credentials, edge="sydney").media_base_url) == "https://mcs.us1.twilio.com"
    custom = Session(**credentials, media_base_url="http://127.0.0.1:9/mcs")
    assert str(custom.media_base_url) == "http://127.0.0.1:9/mcs"
    bad_roots: list[Any] = ["ftp://x", "http://example.com", "https://x/?q=1", 5]
    for bad in bad_roots:
        with pytest.raises(InvalidArgumentError) as raised:
            Session(**credentials, media_base_url=bad)
        assert raised.value.field == "media_base_url"


def test_from_env_reads_the_media_root() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_CONVERSATIONS_BASE_URL": "http://127.0.0.1:8080",
        "TWILIO_CONVERSATIONS_MEDIA_BASE_URL": "http://127.0.0.1:8080/mcs",
    }
    session = Session.from_env(env)
    assert str(session.media_base_url) == "http://127.0.0.1:8080/mcs"
    assert str(
        Session.from_env({**env, "TWILIO_CONVERSATIONS_MEDIA_BASE_URL": ""}).media_base_url
    ) == ("https://mcs.us1.twilio.com")


async def test_the_emulators_session_uploads_to_the_emulator(emulator: Emulator) -> None:
    async with emulator.session(retry=FAST_RETRY) as session:
        assert str(session.media_base_url) == emulator.media_base_url
        media = await session.media.upload(SERVICE, b"here", content_type="text/plain")
    assert media.service_sid == SERVICE
    assert emulator.requests[-1].path == f"/mcs/v1/Services/{SERVICE}/Media"
