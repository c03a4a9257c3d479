"""One Session for a whole aiohttp application, opened at start-up and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import conversations_async as ca

TWILIO: web.AppKey[ca.Session] = web.AppKey("twilio", ca.Session)


async def twilio_session(app: web.Application) -> AsyncIterator[None]:
    # One pool for every request handler; closed when the application stops.
    async with ca.Session.from_env() as session:
        app[TWILIO] = session
        yield


async def add_participant(request: web.Request) -> web.Response:
    body = await request.json()
    try:
        participant = await request.app[TWILIO].participants.create(
            request.match_info["conversation"], identity=body["identity"]
        )
    except ca.ConflictError as error:
        if not error.already_in_conversation:
            raise web.HTTPConflict(text=error.message) from None
        return web.json_response({"status": "already there"})
    except ca.InvalidArgumentError as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    return web.json_response({"status": "added", "sid": participant.sid}, status=201)


def create_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(twilio_session)
    app.router.add_post("/conversations/{conversation}/participants", add_participant)
    return app


if __name__ == "__main__":
    web.run_app(create_app())
