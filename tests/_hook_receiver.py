"""A small aiohttp server that records the webhooks it receives (checking each signature) and
answers as told: a test's stand-in for a bot's endpoint."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

from conversations_async.webhooks import SIGNATURE_HEADER, validate_signature


@attrs.frozen
class Received:
    path: str
    method: str
    params: Mapping[str, str]
    signed: bool
    """The signature checks out with the auth token."""


class Receiver:
    """Serves every path; ``answers[path] = (status, body)`` decides the answer (200 ``{}``)."""

    def __init__(self, auth_token: str) -> None:
        self.auth_token = auth_token
        self.received: list[Received] = []
        self.answers: dict[str, tuple[int, Any]] = {}
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self.base = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        url = str(request.url)
        if request.method == "POST":
            params = {k: str(v) for k, v in (await request.post()).items()}
            signed = validate_signature(
                url, params, request.headers.get(SIGNATURE_HEADER), self.auth_token
            )
        else:
            params = dict(request.query)
            signed = validate_signature(
                url, {}, request.headers.get(SIGNATURE_HEADER), self.auth_token
            )
        self.received.append(Received(request.path, request.method, params, signed))
        status, body = self.answers.get(request.path, (200, {}))
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")


async def start_receiver(aiohttp_server: Any, auth_token: str) -> Receiver:
    receiver = Receiver(auth_token)
    server = await aiohttp_server(receiver.app)
    receiver.base = f"http://127.0.0.1:{server.port}"
    return receiver
