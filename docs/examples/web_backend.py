"""A web backend: one Session and one token issuer for the whole aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import conversations_async as ca
from conversations_async.tokens import AccessTokenIssuer

TWILIO: web.AppKey[ca.Session] = web.AppKey("twilio", ca.Session)
TOKENS: web.AppKey[AccessTokenIssuer] = web.AppKey("tokens", AccessTokenIssuer)


async def twilio(app: web.Application) -> AsyncIterator[None]:
    # Built once at start-up: the Session's pool and the issuer are shared by every request.
    app[TOKENS] = AccessTokenIssuer.from_env()  # TWILIO_API_KEY / TWILIO_API_SECRET, …
    async with ca.Session.from_env() as session:
        app[TWILIO] = session
        yield


def current_user(request: web.Request) -> str:
    """Your own login decides who the user is (here, a header set by your auth layer)."""
    user = request.headers.get("X-User")
    if not user:
        raise web.HTTPUnauthorized()
    return user


async def token(request: web.Request) -> web.Response:
    """An access token for the browser's Conversations SDK, for the signed-in user only."""
    minted = request.app[TOKENS].chat_token(current_user(request))
    return web.json_response({"token": minted})


def create_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(twilio)
    app.router.add_get("/token", token)
    return app


if __name__ == "__main__":
    web.run_app(create_app())
