"""The "Build a bot" guide's example (docs/examples/bot.py), end to end on one machine:
``simulate_message`` → signed webhook → the bot's ``WebhookRouter`` → ``messages.create`` →
the reply is in the conversation; the bot never answers itself; "human please" hands off.
Every step is asserted, and the webhooks delivered and refused are counted."""

from __future__ import annotations

from typing import Any

from _examples import load_example

from conversations_async import Session
from conversations_async.testing import Emulator


async def _messages(session: Session, conversation: str) -> list[tuple[str | None, str | None]]:
    return [(m.author, m.body) async for m in session.messages.list(conversation)]


async def test_the_bot_answers_screens_and_hands_off(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    example = load_example("bot")
    bot = example.Bot(session, auth_token=emulator.auth_token)
    server = await aiohttp_server(bot.app())
    bot.url = f"http://127.0.0.1:{server.port}{example.WEBHOOK_PATH}"
    # The bot screens every message of the account's default service before it is published.
    await session.webhook_configuration.update(pre_webhook_url=bot.url, filters=["onMessageAdd"])
    conversation = await session.conversations.create(friendly_name="support")
    await session.participants.create(conversation.sid, identity="alice")
    await bot.attach(conversation.sid)

    # 1. A user's message arrives; the bot replies; its reply triggers nothing.
    assert await emulator.simulate_message(conversation.sid, author="alice", body="hello")
    await emulator.webhooks.drain()
    messages = await _messages(session, conversation.sid)
    assert messages[0] == ("alice", "hello")
    assert messages[1][0] == example.BOT
    assert (messages[1][1] or "").startswith("You said: hello")
    assert len(messages) == 2
    deliveries = emulator.webhooks.deliveries
    assert [(d.kind, d.target, d.status) for d in deliveries] == [
        ("pre", "pre", 200),
        ("post", "conversation", 200),
    ]

    # 2. A message that shares a password is refused before anyone sees it.
    refused = await emulator.simulate_message(
        conversation.sid, author="alice", body="my password is hunter2"
    )
    await emulator.webhooks.drain()
    assert refused is None
    assert len(await _messages(session, conversation.sid)) == 2
    assert sum(d.refused for d in emulator.webhooks.deliveries) == 1

    # 3. Handing off: the bot says so, detaches and adds the agent.
    assert await emulator.simulate_message(conversation.sid, author="alice", body="human please")
    await emulator.webhooks.drain()
    assert (await _messages(session, conversation.sid))[-1] == (
        example.BOT,
        "Connecting you to a person.",
    )
    assert [w async for w in session.conversation_webhooks.list(conversation.sid)] == []
    identities = {p.identity async for p in session.participants.list(conversation.sid)}
    assert identities == {"alice", "agent"}

    # 4. After the hand-off the bot hears nothing of this conversation.
    before = len([d for d in emulator.webhooks.deliveries if d.kind == "post"])
    assert await emulator.simulate_message(conversation.sid, author="agent", body="Hi, I'm Sam")
    await emulator.webhooks.drain()
    after = [d for d in emulator.webhooks.deliveries if d.kind == "post"]
    assert len(after) == before
    delivered = [d for d in emulator.webhooks.deliveries if not d.refused]
    # 4 pre-action checks (one refused) and 2 post-action deliveries to the bot.
    assert (len(delivered), len(emulator.webhooks.deliveries)) == (5, 6)


async def test_the_bot_ignores_its_own_messages(
    emulator: Emulator, session: Session, aiohttp_server: Any
) -> None:
    example = load_example("bot")
    bot = example.Bot(session, auth_token=emulator.auth_token)
    server = await aiohttp_server(bot.app())
    bot.url = f"http://127.0.0.1:{server.port}{example.WEBHOOK_PATH}"
    conversation = await session.conversations.create()
    await session.participants.create(conversation.sid, identity=example.BOT)
    await bot.attach(conversation.sid)
    # Even with webhooks on, a message authored by the bot gets no answer: no loop.
    assert await emulator.simulate_message(conversation.sid, author=example.BOT, body="hi")
    await emulator.webhooks.drain()
    assert await _messages(session, conversation.sid) == [(example.BOT, "hi")]
    assert [d.status for d in emulator.webhooks.deliveries] == [200]
