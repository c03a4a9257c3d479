"""A support bot: it answers every message of the conversations it is attached to, screens
messages before Twilio publishes them, and hands the conversation to a person on request.

- It attaches itself to one conversation with a conversation-scoped webhook (``onMessageAdded``
  only), so it hears nothing of the others.
- It replies over REST without ``X-Twilio-Webhook-Enabled``, so its own replies fire no
  webhook; it also ignores messages whose author is itself, in case someone turns that on.
- "human please" hands off: it says so, removes its webhook (it hears nothing more) and adds
  the agent as a participant.
- As the service's pre-action webhook (``onMessageAdd``) it refuses messages that share a
  password, before anyone sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from conversations_async.webhooks import (
    HandlerResult,
    MessageAdd,
    MessageAdded,
    Reject,
    WebhookRouter,
)

if TYPE_CHECKING:
    from conversations_async.models import ConversationWebhook
    from conversations_async.resources import ConversationWebhooks, Participants

WEBHOOK_PATH = "/bot"
BOT = "bot"
HANDOFF = "human please"


class Messages(Protocol):
    async def create(self, conversation: str, /, *, author: str, body: str) -> object: ...


class BotSession(Protocol):
    """What the bot uses of a :class:`~conversations_async.Session`."""

    @property
    def messages(self) -> Messages: ...
    @property
    def participants(self) -> Participants: ...
    @property
    def conversation_webhooks(self) -> ConversationWebhooks: ...


class Bot:
    """The bot: its webhook endpoint (:meth:`app`) and the REST calls it makes."""

    def __init__(self, session: BotSession, *, auth_token: str, agent: str = "agent") -> None:
        self.session = session
        self.agent = agent
        self.url = ""
        """Where Twilio reaches :data:`WEBHOOK_PATH` (your public HTTPS URL in production)."""
        self.router = WebhookRouter(auth_token)
        self.router.on(MessageAdded)(self.on_message)
        self.router.on(MessageAdd)(self.screen)

    def app(self) -> web.Application:
        app = web.Application()
        self.router.add_to(app, WEBHOOK_PATH)
        return app

    async def attach(self, conversation: str) -> ConversationWebhook:
        """Listen to ``conversation``'s new messages (and to nothing else)."""
        return await self.session.conversation_webhooks.create(
            conversation,
            target="webhook",
            configuration_url=self.url,
            configuration_method="post",
            configuration_filters=["onMessageAdded"],
        )

    async def screen(self, event: MessageAdd) -> HandlerResult:
        """Pre-action: refuse a message that shares a password; let the others through."""
        if event.body and "password" in event.body.lower():
            return Reject(403, "please do not share passwords here")
        return None

    async def on_message(self, event: MessageAdded) -> HandlerResult:
        if event.author == BOT:
            return None  # its own message: never answer itself
        conversation = event.conversation_sid
        body = (event.body or "").strip()
        if HANDOFF in body.lower():
            await self.hand_off(conversation)
            return None
        await self.session.messages.create(
            conversation, author=BOT, body=f"You said: {body}. Say '{HANDOFF}' for a person."
        )
        return None

    async def hand_off(self, conversation: str) -> None:
        """Tell the user, detach (no more webhooks for this conversation), add the agent."""
        await self.session.messages.create(
            conversation, author=BOT, body="Connecting you to a person."
        )
        async for hook in self.session.conversation_webhooks.list(conversation):
            if hook.configuration is not None and hook.configuration.url == self.url:
                await self.session.conversation_webhooks.delete(conversation, hook.sid)
        await self.session.participants.create(conversation, identity=self.agent)
