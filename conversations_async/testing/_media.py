"""The emulator's Media Content Service: uploads, records and temporary direct links.

Served on the emulator's own server under ``/mcs`` (the Session's ``media_base_url``):

- ``POST /mcs/v1/Services/{IS}/Media``: the raw bytes with their ``Content-Type``, the name in
  the ``Filename`` query parameter; 201 with the record (``links.content`` only, as Twilio);
- ``GET /mcs/v1/Services/{IS}/Media/{ME}``: the record with ``links.content_direct_temporary``;
- ``GET /mcs/v1/Services/{IS}/Media/{ME}/Content``: a 302 to that link;
- ``GET /_emulator/media/{ME}?Expires=…&Signature=…``: the bytes, without credentials, while
  the link has not expired (a 403 after, or with a wrong signature).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Final

import attrs
from aiohttp import web

from ._state import Store, TwilioError
from ._state._common import SERVICE_SID

MCS_PREFIX: Final = "/mcs"
CONTENT_PATH: Final = "/_emulator/media"
LINK_SECONDS: Final = 300
"""How long a direct link works (Twilio's are short-lived too)."""


@attrs.define
class StoredMedia:
    record: dict[str, object]
    content: bytes


@attrs.define
class MediaStore:
    """Every uploaded file of the account, by SID, and the key that signs direct links."""

    files: dict[str, StoredMedia] = attrs.field(factory=dict)
    key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32))


class MediaService:
    """The routes above, over the emulator's store (``root`` gives the server's URL)."""

    def __init__(self, store: Callable[[], Store], root: Callable[[], str]) -> None:
        self._store = store
        self._root = root

    def routes(self) -> list[web.RouteDef]:
        base = f"{MCS_PREFIX}/v1/Services/{{service}}/Media"
        return [
            web.post(base, self.upload),
            web.get(f"{base}/{{media}}", self.fetch),
            web.get(f"{base}/{{media}}/Content", self.content),
            web.get(f"{CONTENT_PATH}/{{media}}", self.direct),
        ]

    @property
    def media(self) -> MediaStore:
        return self._store().parts.get(MediaStore)

    async def upload(self, request: web.Request) -> web.Response:
        service = _service(request)
        content_type = request.headers.get("Content-Type", "")
        if not content_type or content_type.startswith("multipart/"):
            raise TwilioError(400, 20001, "The Content-Type of the media is required")
        content = await request.read()
        if not content:
            raise TwilioError(400, 20001, "The media is empty")
        store = self._store()
        sid = store.new_sid("ME")
        now = store.now().isoformat()
        path = f"/v1/Services/{service}/Media/{sid}"
        record: dict[str, object] = {
            "sid": sid,
            "account_sid": store.account_sid,
            "service_sid": service,
            "date_created": now,
            "date_upload_updated": now,
            "date_updated": now,
            "links": {"content": f"{path}/Content"},
            "size": len(content),
            "content_type": content_type,
            "filename": request.query.get("Filename"),
            "author": "system",
            "category": request.query.get("Category", "media"),
            "message_sid": None,
            "channel_sid": None,
            "url": path,
            "is_multipart_upstream": False,
        }
        self.media.files[sid] = StoredMedia(record, content)
        return web.json_response(record, status=201)

    async def fetch(self, request: web.Request) -> web.Response:
        stored = self._find(request)
        links = {**stored.record["links"], "content_direct_temporary": self._link(stored)}  # type: ignore[dict-item]
        return web.json_response({**stored.record, "links": links})

    async def content(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(self._link(self._find(request)))

    async def direct(self, request: web.Request) -> web.Response:
        stored = self.media.files.get(request.match_info["media"])
        expires = request.query.get("Expires", "")
        signature = request.query.get("Signature", "")
        if (
            stored is None
            or not expires.isdigit()
            or int(expires) < time.time()
            or not hmac.compare_digest(signature, self._sign(stored, expires))
        ):
            return web.Response(status=403, text="AccessDenied", content_type="text/plain")
        return web.Response(body=stored.content, content_type=str(stored.record["content_type"]))

    def _find(self, request: web.Request) -> StoredMedia:
        service = _service(request)
        sid = request.match_info["media"]
        stored = self.media.files.get(sid)
        if stored is None or stored.record["service_sid"] != service:
            raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
        return stored

    def _link(self, stored: StoredMedia) -> str:
        expires = str(int(time.time()) + LINK_SECONDS)
        sid = stored.record["sid"]
        return f"{self._root()}{CONTENT_PATH}/{sid}?Expires={expires}&Signature={self._sign(stored, expires)}"

    def _sign(self, stored: StoredMedia, expires: str) -> str:
        message = f"{stored.record['sid']}:{expires}".encode()
        return hmac.new(self.media.key, message, hashlib.sha256).hexdigest()


def _service(request: web.Request) -> str:
    service = request.match_info["service"]
    if not SERVICE_SID.fullmatch(service):
        raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
    return service
