"""A chatbot backend on aiohttp: every new conversation gets a "greeter" participant.

Run it behind your public HTTPS URL, and set that URL as the post-event (and pre-event) webhook
of your Conversations service with the filters ``onConversationAdded`` and ``onMessageAdd``.

The app needs only one call of the client, ``session.participants.create(sid, identity=…)``;
any object with that method works, so the app is easy to test with a fake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from conversations_async.webhooks import (
    ConversationAdded,
    HandlerResult,
    MessageAdd,
    Reject,
    WebhookRouter,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

WEBHOOK_PATH = "/twilio/conversations"
GREETER = "greeter"


class Participants(Protocol):
    async def create(self, conversation_sid: str, /, *, identity: str) -> object: ...


class SessionLike(Protocol):
    """What the bot uses of :class:`conversations_async.Session`."""

    @property
    def participants(self) -> Participants: ...


def create_app(
    session: SessionLike,
    *,
    auth_token: str | Sequence[str],
    trust_forwarded: bool = False,
) -> web.Application:
    """An aiohttp app that answers Twilio's webhooks on :data:`WEBHOOK_PATH`."""
    router = WebhookRouter(auth_token, trust_forwarded=trust_forwarded)

    @router.on(ConversationAdded)
    async def add_greeter(event: ConversationAdded) -> HandlerResult:
        # A participant added over REST triggers no webhook by default, so no loop starts here.
        await session.participants.create(event.conversation_sid, identity=GREETER)
        return None

    @router.on(MessageAdd)
    async def screen_message(event: MessageAdd) -> HandlerResult:
        # Pre-action: reject, modify, or allow the message before Twilio publishes it.
        if event.body and "password" in event.body.lower():
            return Reject(403, "please do not share passwords here")
        if event.body is not None and event.body != event.body.strip():
            return {"body": event.body.strip()}
        return None

    app = web.Application()
    router.add_to(app, WEBHOOK_PATH)
    return app
