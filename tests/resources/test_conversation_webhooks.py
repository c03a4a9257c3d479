"""Conversation-scoped webhooks, in both scopes, against the emulator: every operation, every
wire name, the targets' rules refused before sending, and Twilio's limits (five per
conversation, gone with the conversation, 20404 for anything missing)."""

from __future__ import annotations

from typing import Any

import pytest

from conversations_async import Session
from conversations_async.errors import BadRequestError, InvalidArgumentError, NotFoundError
from conversations_async.models import (
    ConversationWebhook,
    ConversationWebhookMethod,
    WebhookTarget,
)
from conversations_async.resources import ConversationWebhooks
from conversations_async.testing import Emulator

SERVICE_SID = "IS" + "2" * 32
FLOW_SID = "FW" + "a" * 32
URL = "https://bot.example.com/hooks"


@pytest.fixture(params=["default", "service"])
def scoped(request: pytest.FixtureRequest, session: Session) -> Any:
    """The session, or its service scope: whichever holds the namespaces under test."""
    return session if request.param == "default" else session.service(SERVICE_SID)


def _last_form(emulator: Emulator) -> tuple[tuple[str, str], ...]:
    return emulator.requests[-1].form


def _prefix(scoped: Any) -> str:
    sid = scoped.chat_service_sid
    return "/v1" if sid is None else f"/v1/Services/{sid}"


async def test_create_fetch_update_list_delete(scoped: Any, emulator: Emulator) -> None:
    hooks: ConversationWebhooks = scoped.conversation_webhooks
    conversation = await scoped.conversations.create(friendly_name="bot")
    created = await hooks.create(
        conversation.sid,
        target="webhook",
        configuration_url=URL,
        configuration_method="post",
        configuration_filters=["onMessageAdded", "onParticipantAdded"],
    )
    assert isinstance(created, ConversationWebhook)
    assert created.sid.startswith("WH")
    assert created.conversation_sid == conversation.sid
    assert created.chat_service_sid == scoped.chat_service_sid
    assert created.target is WebhookTarget.WEBHOOK
    assert created.configuration is not None
    assert created.configuration.url == URL
    assert created.configuration.method is ConversationWebhookMethod.POST
    assert created.configuration.filters == ("onMessageAdded", "onParticipantAdded")
    prefix = _prefix(scoped)
    assert str(created.url) == (
        f"{emulator.base_url}{prefix}/Conversations/{conversation.sid}/Webhooks/{created.sid}"
    )

    assert await hooks.fetch(conversation.sid, created.sid) == created
    updated = await hooks.update(
        conversation.sid, created.sid, configuration_filters=["onMessageRemoved"]
    )
    assert updated.configuration is not None
    assert updated.configuration.filters == ("onMessageRemoved",)
    assert updated.configuration.url == URL  # what was not sent is kept
    assert [w.sid async for w in hooks.list(conversation.sid)] == [created.sid]

    await hooks.delete(conversation.sid, created.sid)
    assert [w async for w in hooks.list(conversation.sid)] == []
    with pytest.raises(NotFoundError) as missing:
        await hooks.fetch(conversation.sid, created.sid)
    assert missing.value.code == 20404
    with pytest.raises(NotFoundError):
        await hooks.delete(conversation.sid, created.sid)
    requests = [(r.method, r.path) for r in emulator.requests]
    one = f"{prefix}/Conversations/{conversation.sid}/Webhooks/{created.sid}"
    assert ("POST", f"{prefix}/Conversations/{conversation.sid}/Webhooks") in requests
    assert ("GET", one) in requests and ("DELETE", one) in requests


async def test_every_wire_name(scoped: Any, emulator: Emulator) -> None:
    conversation = await scoped.conversations.create()
    created = await scoped.conversation_webhooks.create(
        conversation.sid,
        target=WebhookTarget.WEBHOOK,
        configuration_url=URL,
        configuration_method=ConversationWebhookMethod.GET,
        configuration_filters=["onMessageAdded", "onMessageUpdated"],
        configuration_replay_after=0,
    )
    assert _last_form(emulator) == (
        ("Target", "webhook"),
        ("Configuration.Url", URL),
        ("Configuration.Method", "get"),
        ("Configuration.Filters", "onMessageAdded"),
        ("Configuration.Filters", "onMessageUpdated"),
        ("Configuration.ReplayAfter", "0"),
    )
    trigger = await scoped.conversation_webhooks.create(
        conversation.sid,
        target="trigger",
        configuration_url=URL,
        configuration_triggers=["help", "agent"],
    )
    assert _last_form(emulator) == (
        ("Target", "trigger"),
        ("Configuration.Url", URL),
        ("Configuration.Triggers", "help"),
        ("Configuration.Triggers", "agent"),
    )
    # Twilio's examples show a trigger webhook's keywords under ``filters``: kept as sent.
    assert trigger.configuration is not None
    assert trigger.configuration.filters == ("help", "agent")
    studio = await scoped.conversation_webhooks.create(
        conversation.sid, target="studio", configuration_flow_sid=FLOW_SID
    )
    assert _last_form(emulator) == (
        ("Target", "studio"),
        ("Configuration.FlowSid", FLOW_SID),
    )
    assert studio.configuration is not None
    assert studio.configuration.flow_sid == FLOW_SID
    await scoped.conversation_webhooks.update(
        conversation.sid,
        created.sid,
        configuration_url=URL + "/2",
        configuration_method="post",
        configuration_filters=["onParticipantRemoved"],
        configuration_triggers=["x"],
        configuration_flow_sid=FLOW_SID,
    )
    assert _last_form(emulator) == (
        ("Configuration.Url", URL + "/2"),
        ("Configuration.Method", "post"),
        ("Configuration.Filters", "onParticipantRemoved"),
        ("Configuration.Triggers", "x"),
        ("Configuration.FlowSid", FLOW_SID),
    )


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"target": "studio"}, "configuration_flow_sid"),
        ({"target": "studio", "configuration_flow_sid": "FW123"}, "configuration_flow_sid"),
        ({"target": "webhook", "configuration_filters": ["onMessageAdded"]}, "configuration_url"),
        ({"target": "webhook", "configuration_url": URL}, "configuration_filters"),
        ({"target": "webhook", "configuration_url": URL, "configuration_filters": []}, "configuration_filters"),
        ({"target": "trigger", "configuration_url": URL}, "configuration_triggers"),
        ({"target": "trigger", "configuration_triggers": ["hi"]}, "configuration_url"),
        ({"target": "trigger", "configuration_url": URL, "configuration_triggers": [""]}, "configuration_triggers[0]"),
        ({"target": "trigger", "configuration_url": URL, "configuration_triggers": ["x" * 249]}, "configuration_triggers[0]"),
        ({"target": "webhook", "configuration_url": URL, "configuration_filters": ["onMessageAdd"]}, "configuration_filters[0]"),
        ({"target": "webhook", "configuration_url": URL, "configuration_filters": [""]}, "configuration_filters[0]"),
        ({"target": "webhook", "configuration_url": URL, "configuration_filters": "onMessageAdded"}, "configuration_filters"),
        ({"target": "webhook", "configuration_url": "", "configuration_filters": ["onMessageAdded"]}, "configuration_url"),
        ({"target": "bot"}, "target"),
        ({"target": 1}, "target"),
        ({"target": "webhook", "configuration_url": URL, "configuration_filters": ["onMessageAdded"], "configuration_method": "PUT"}, "configuration_method"),
        ({"target": "webhook", "configuration_url": URL, "configuration_filters": ["onMessageAdded"], "configuration_replay_after": -1}, "configuration_replay_after"),
    ],
)  # fmt: skip
async def test_rules_are_refused_before_sending(
    session: Session, emulator: Emulator, arguments: dict[str, Any], field: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(InvalidArgumentError) as error:
        await session.conversation_webhooks.create("CH" + "0" * 32, **arguments)
    assert error.value.field == field
    assert len(emulator.requests) == before


async def test_update_rules_are_refused_before_sending(
    session: Session, emulator: Emulator
) -> None:
    before = len(emulator.requests)
    with pytest.raises(InvalidArgumentError) as error:
        await session.conversation_webhooks.update(
            "CH" + "0" * 32, "WH" + "0" * 32, configuration_filters=["onParticipantUpdate"]
        )
    assert error.value.field == "configuration_filters[0]"
    with pytest.raises(InvalidArgumentError):
        await session.conversation_webhooks.update(
            "CH" + "0" * 32, "WH" + "0" * 32, configuration_flow_sid="not-a-flow"
        )
    assert len(emulator.requests) == before


async def test_target_is_required(session: Session) -> None:
    with pytest.raises(TypeError):
        await session.conversation_webhooks.create("CH" + "0" * 32)  # type: ignore[call-arg]


async def test_at_most_five_per_conversation(scoped: Any) -> None:
    conversation = await scoped.conversations.create()
    for n in range(5):
        await scoped.conversation_webhooks.create(
            conversation.sid,
            target="trigger",
            configuration_url=URL,
            configuration_triggers=[f"word{n}"],
        )
    with pytest.raises(BadRequestError) as error:
        await scoped.conversation_webhooks.create(
            conversation.sid, target="studio", configuration_flow_sid=FLOW_SID
        )
    assert error.value.code == 50361
    page = await scoped.conversation_webhooks.list(conversation.sid, page_size=5)
    assert len(page.items) == 5


async def test_page_size_is_at_most_five(session: Session) -> None:
    with pytest.raises(InvalidArgumentError):
        session.conversation_webhooks.list("CH" + "0" * 32, page_size=6)


async def test_deleting_the_conversation_deletes_its_webhooks(scoped: Any) -> None:
    conversation = await scoped.conversations.create(unique_name="doomed")
    hook = await scoped.conversation_webhooks.create(
        conversation.sid, target="studio", configuration_flow_sid=FLOW_SID
    )
    await scoped.conversations.delete(conversation.sid)
    with pytest.raises(NotFoundError) as error:
        await scoped.conversation_webhooks.fetch(conversation.sid, hook.sid)
    assert error.value.code == 20404
    again = await scoped.conversations.create(unique_name="doomed")
    assert [w async for w in scoped.conversation_webhooks.list(again.sid)] == []


async def test_missing_conversation_or_other_scope_is_20404(session: Session) -> None:
    with pytest.raises(NotFoundError) as error:
        await session.conversation_webhooks.create(
            "CH" + "0" * 32, target="studio", configuration_flow_sid=FLOW_SID
        )
    assert error.value.code == 20404
    conversation = await session.conversations.create()
    hook = await session.conversation_webhooks.create(
        conversation.sid, target="studio", configuration_flow_sid=FLOW_SID
    )
    # The same conversation is not in another service.
    with pytest.raises(NotFoundError):
        await session.service(SERVICE_SID).conversation_webhooks.fetch(conversation.sid, hook.sid)
    with pytest.raises(NotFoundError):
        await session.conversation_webhooks.update(
            conversation.sid, "WH" + "0" * 32, configuration_flow_sid=FLOW_SID
        )


async def test_a_conversation_by_unique_name(session: Session) -> None:
    conversation = await session.conversations.create(unique_name="support-42")
    hook = await session.conversation_webhooks.create(
        "support-42", target="studio", configuration_flow_sid=FLOW_SID
    )
    assert hook.conversation_sid == conversation.sid
    assert (await session.conversation_webhooks.fetch(conversation.sid, hook.sid)).sid == hook.sid


async def test_emulator_refuses_what_twilio_refuses(session: Session, emulator: Emulator) -> None:
    """Filters that are not events (Twilio 50365): the library lets unknown names through,
    since Twilio may add events; the emulator answers as Twilio does today."""
    conversation = await session.conversations.create()
    with pytest.raises(BadRequestError) as error:
        await session.conversation_webhooks.create(
            conversation.sid,
            target="webhook",
            configuration_url=URL,
            configuration_filters=["onMessageSent"],
        )
    assert error.value.code == 50365
