"""``session.media``: files in Twilio's Media Content Service, to send and read messages' media.

Beyond the Conversations spec (Twilio documents it on its own page): the service lives on its
own host (``https://mcs.us1.twilio.com/v1/Services/{IS}/Media``, the Session's
``media_base_url``), takes an upload as the raw bytes with their ``Content-Type`` (the file's
name in the ``Filename`` query parameter, as Twilio's JS client sends it), and hands out a
short-lived direct link to the bytes on another host, which is fetched without credentials.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import IO, Any, Final

import attrs
from yarl import URL

from .._sansio import Operation, Params, RawResponse, Request
from .._sansio.params import header, query
from .._sansio.rules import SID_PATTERNS, Text
from .._types import NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError, ResponseValidationError
from ..models import Media
from ._base import Resource

MediaData = (
    bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes] | AsyncIterable[bytes]
)
"""What :meth:`MediaFiles.upload` sends: bytes, a file's path, a binary file object open for
reading, or an async iterable of byte chunks (read once)."""

CHUNK_SIZE: Final = 256 * 1024
MAX_REDIRECTS: Final = 5
_MEDIA_TYPE: Final = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[ -~]*)?")
"""``type/subtype`` with optional parameters, printable ASCII only (it is a header value)."""
_SERVICE: Final = Text(pattern=SID_PATTERNS["IS"])
_MEDIA: Final = Text(pattern=SID_PATTERNS["ME"])


@attrs.frozen
class MediaType(Text):
    """A MIME type such as ``image/png`` (a header value: no line breaks)."""

    def encode(self, field: str, value: Any) -> str:
        text = super().encode(field, value)
        if not _MEDIA_TYPE.fullmatch(text):
            raise InvalidArgumentError(
                field, f"must be a MIME type such as 'image/png', not {text!r}"
            )
        return text


@attrs.frozen(kw_only=True)
class UploadMedia(Params):
    """What an upload sends besides its bytes."""

    content_type: str = header("Content-Type", MediaType(max_length=255))
    filename: str | NotGiven = query("Filename", Text(max_length=1024))


FETCH: Final = Operation("fetch", "GET", "Services/{chat_service_sid}/Media/{media}", Media)
UPLOAD: Final = Operation(
    "upload", "POST", "Services/{chat_service_sid}/Media", Media, params=UploadMedia
)


class MediaFiles(Resource):
    """Files for messages (``session.media``), in a Conversation Service's Media Content Service.

    Every method takes the Conversation Service (``IS…``) first: media always belong to one
    (a conversation's ``chat_service_sid``, a webhook's ``ChatServiceSid``).
    """

    operations = (FETCH,)
    """Upload and download are beyond the kit: a raw body, and links on other hosts."""

    async def upload(
        self,
        chat_service_sid: str,
        data: MediaData,
        *,
        content_type: str,
        filename: str | NotGiven = NOT_GIVEN,
        size: int | None = None,
    ) -> Media:
        """Upload ``data`` as a new file; its ``Media`` record (whose ``sid`` goes in a
        message's ``media_sid``).

        ``data`` is bytes, a file's path (``str`` or ``pathlib.Path``), a binary file object,
        or an async iterable of byte chunks. A file is streamed, never read whole into memory;
        so is an async iterable, which is sent chunked unless ``size`` (its length in bytes)
        is given. Retried like any create (on 429, or when nothing connected), except that an
        async iterable that began to be sent cannot be sent again: that upload raises.
        """
        service = _SERVICE.encode("chat_service_sid", chat_service_sid)
        encoded = UPLOAD.declaration.encode(  # type: ignore[union-attr]
            {"content_type": content_type, "filename": filename}
        )
        body, length = _body(data, size)
        headers = dict(encoded.headers)
        if length is not None:
            headers["Content-Length"] = str(length)
        request = UPLOAD.request(None, {"chat_service_sid": service}, encoded=encoded)
        request = attrs.evolve(request, headers=headers, body=body)
        return await self._media_call(request)

    async def fetch(self, chat_service_sid: str, media: str) -> Media:
        """The file's record (``ME…``), with a fresh ``links["content_direct_temporary"]``."""
        service = _SERVICE.encode("chat_service_sid", chat_service_sid)
        sid = _MEDIA.encode("media", media)
        request = FETCH.request(None, {"chat_service_sid": service, "media": sid})
        return await self._media_call(request)

    async def download(self, chat_service_sid: str, media: str | Media) -> bytes:
        """The file's bytes, through its temporary direct link.

        ``media`` is a SID (its record is fetched first, for a fresh link) or a record that
        already carries ``links["content_direct_temporary"]`` (the link is short-lived). The
        link, and any redirect, is followed without this Session's credentials when it is on
        another host; at most five redirects. Raises the usual typed errors (a 403 or 404 for
        an expired link).
        """
        service = _SERVICE.encode("chat_service_sid", chat_service_sid)
        record = media if isinstance(media, Media) else None
        if record is None or "content_direct_temporary" not in record.links:
            sid = _MEDIA.encode("media", media.sid if isinstance(media, Media) else media)
            record = await self.fetch(service, sid)
        link = record.links.get("content_direct_temporary") or record.links.get("content")
        if link is None:
            raise ResponseValidationError("a media record has no content link", body="", errors=[])
        url = _under(self._requester.media_base_url, URL(str(link), encoded=True))
        for _ in range(MAX_REDIRECTS + 1):
            answer = await self._get(url)
            if answer.status < 300:
                return answer.body
            url = _redirect(url, answer)
        raise ResponseValidationError(
            f"a media download was redirected more than {MAX_REDIRECTS} times", body="", errors=[]
        )

    async def _get(self, url: URL) -> RawResponse:
        return await self._requester.request_raw(
            Request(method="GET", url=url, headers={"Accept": "*/*"})
        )

    async def _media_call(self, request: Request) -> Media:
        absolute = attrs.evolve(request, url=request.resolve(self._requester.media_base_url))
        return self.structure(await self._requester.request(absolute), Media)


def _under(root: URL, link: URL) -> URL:
    """``link`` as given when absolute; else below ``root`` (Twilio's ``/v1/…`` links are
    relative to the service root, which may itself have a path, as the emulator's ``/mcs``)."""
    if link.absolute:
        return link
    path = root.raw_path.rstrip("/") + "/" + link.raw_path.lstrip("/")
    return root.with_path(path, encoded=True).with_query(link.raw_query_string or None)


def _redirect(url: URL, answer: RawResponse) -> URL:
    location = answer.headers.get("Location")
    if not location:
        raise ResponseValidationError(
            f"HTTP {answer.status} redirect without a Location", body="", errors=[]
        )
    try:
        target = url.join(URL(location, encoded=True))
    except ValueError as exc:
        raise ResponseValidationError(
            "a redirect's Location is not a URL", body=location[:200], errors=[str(exc)]
        ) from None
    if target.scheme not in ("http", "https") or (
        url.scheme == "https" and target.scheme == "http"
    ):
        raise ResponseValidationError(
            "a media redirect may only go to https (or from http)", body=location[:200], errors=[]
        )
    return target


class FileBody:
    """A file's bytes, read in chunks off the event loop; each iteration starts from where the
    file was at first, so a retry sends the same bytes (``replayable``)."""

    replayable = True

    def __init__(
        self, path: str | os.PathLike[str] | None = None, file: IO[bytes] | None = None
    ) -> None:
        self._path = path
        self._file = file
        self._start = file.tell() if file is not None else 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        if self._file is not None:
            await loop.run_in_executor(None, self._file.seek, self._start)
            while chunk := await loop.run_in_executor(None, self._file.read, CHUNK_SIZE):
                yield chunk
            return
        assert self._path is not None
        handle = await loop.run_in_executor(None, open, self._path, "rb")
        try:
            while chunk := await loop.run_in_executor(None, handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()


def _body(data: object, size: object) -> tuple[bytes | AsyncIterable[bytes], int | None]:
    """The upload's body and its length (None: unknown, sent chunked)."""
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise InvalidArgumentError("size", "must be a number of bytes (an int >= 0) or None")
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if size is not None and size != len(raw):
            raise InvalidArgumentError("size", f"is {size}, but the data is {len(raw)} bytes")
        return raw, len(raw)
    if isinstance(data, str | os.PathLike):
        try:
            stat = os.stat(data)
        except (OSError, ValueError, TypeError) as exc:
            raise InvalidArgumentError(
                "data", f"no readable file at {str(data)[:200]!r} ({type(exc).__name__})"
            ) from None
        if not os.path.isfile(data):
            raise InvalidArgumentError("data", f"{str(data)[:200]!r} is not a file")
        return FileBody(path=data), stat.st_size
    if isinstance(data, AsyncIterable):
        return data, size
    read = getattr(data, "read", None)
    if callable(read):
        return _file_body(data, size)
    raise InvalidArgumentError(
        "data",
        f"must be bytes, a file path, a binary file or an async iterable of bytes, not {type(data).__name__}",
    )


def _file_body(file: Any, size: int | None) -> tuple[bytes | AsyncIterable[bytes], int | None]:
    mode = getattr(file, "mode", "rb")
    if isinstance(file, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        raise InvalidArgumentError("data", "a file must be opened in binary mode ('rb')")
    try:
        seekable = bool(file.seekable())
    except (OSError, ValueError, AttributeError):
        seekable = False
    if not seekable:
        return _read_once(file), size
    try:
        start = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(start)
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(
            "data", f"the file cannot be read ({type(exc).__name__})"
        ) from None
    return FileBody(file=file), end - start if size is None else size


async def _read_once(file: Any) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    while chunk := await loop.run_in_executor(None, file.read, CHUNK_SIZE):
        yield chunk
