"""``participants.create`` exactly as Twilio's "Add a participant" page describes, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from conversations_async import (
    AuthenticationError,
    ConflictError,
    Conversation,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    Session,
)
from conversations_async.testing import Emulator


async def test_every_seed_field_is_sent_exactly(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    cest = timezone(timedelta(hours=2))
    # A participant's role must be a conversation role of its service.
    role = await session.roles.create(
        friendly_name="agent", type="conversation", permission=["sendMessage"]
    )
    role_sid = role.sid
    participant = await session.participants.create(
        conversation.sid,
        identity="alice",
        messaging_binding_address="+15558675310",
        messaging_binding_proxy_address="+15017122661",
        messaging_binding_projected_address="+15017122662",
        attributes={"role": "agent", "tier": 2},
        role_sid=role_sid,
        date_created=datetime(2023, 5, 4, 11, 42, tzinfo=cest),
        date_updated=datetime(2023, 5, 4, 9, 43, tzinfo=UTC),
        webhook_enabled=True,
    )
    request = emulator.requests[-1]
    assert request.method == "POST"
    assert request.path == f"/v1/Conversations/{conversation.sid}/Participants"
    assert request.form == (
        ("Identity", "alice"),
        ("MessagingBinding.Address", "+15558675310"),
        ("MessagingBinding.ProxyAddress", "+15017122661"),
        ("MessagingBinding.ProjectedAddress", "+15017122662"),
        ("Attributes", '{"role":"agent","tier":2}'),
        ("RoleSid", role_sid),
        ("DateCreated", "2023-05-04T09:42:00Z"),
        ("DateUpdated", "2023-05-04T09:43:00Z"),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "true"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"

    assert participant.sid.startswith("MB") and len(participant.sid) == 34
    assert participant.conversation_sid == conversation.sid
    assert participant.identity == "alice"
    assert participant.attributes == {"role": "agent", "tier": 2}
    assert participant.role_sid == role_sid
    assert participant.date_created == datetime(2023, 5, 4, 9, 42, tzinfo=UTC)
    assert participant.messaging_binding is not None
    assert participant.messaging_binding.address == "+15558675310"
    assert participant.messaging_binding.proxy_address == "+15017122661"
    assert participant.messaging_binding.projected_address == "+15017122662"
    assert str(participant.url).endswith(f"/Participants/{participant.sid}")


async def test_omitted_fields_are_not_sent(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    participant = await session.participants.create(conversation.sid, identity="bob")
    request = emulator.requests[-1]
    assert request.form == (("Identity", "bob"),)
    assert "X-Twilio-Webhook-Enabled" not in request.headers
    assert participant.attributes == {}  # Twilio answers "{}" when unset
    assert participant.messaging_binding is None


async def test_webhook_disabled_sends_false(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await session.participants.create(conversation.sid, identity="carol", webhook_enabled=False)
    assert emulator.requests[-1].headers["X-Twilio-Webhook-Enabled"] == "false"


async def test_string_attributes_are_sent_as_given(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    await session.participants.create(
        conversation.sid, identity="dan", attributes='{ "role": "driver" }'
    )
    assert emulator.requests[-1].form_dict["Attributes"] == '{ "role": "driver" }'


async def test_sms_participant(session: Session, conversation: Conversation) -> None:
    participant = await session.participants.create(
        conversation.sid,
        messaging_binding_address="+15558675310",
        messaging_binding_proxy_address="+15017122661",
    )
    assert participant.identity is None
    assert participant.messaging_binding is not None
    assert participant.messaging_binding.type == "sms"


NAUGHTY: list[tuple[dict[str, Any], str]] = [
    ({"identity": "x", "role_sid": "RL123"}, "role_sid"),
    ({"identity": "x", "role_sid": "rl" + "a" * 32}, "role_sid"),
    ({"identity": "x", "role_sid": "RL" + "g" * 32}, "role_sid"),
    ({"identity": "x" * 257}, "identity"),
    ({"identity": 42}, "identity"),
    (
        {
            "messaging_binding_address": "+1" * 129,
            "messaging_binding_proxy_address": "+15017122661",
        },
        "messaging_binding_address",
    ),
    (
        {"messaging_binding_address": "+15558675310", "messaging_binding_proxy_address": "9" * 257},
        "messaging_binding_proxy_address",
    ),
    (
        {"identity": "x", "messaging_binding_projected_address": "9" * 257},
        "messaging_binding_projected_address",
    ),
    ({"identity": "x", "attributes": "{not json"}, "attributes"),
    ({"identity": "x", "attributes": {"k": "v" * 4096}}, "attributes"),
    ({"identity": "x", "attributes": {1, 2}}, "attributes"),
    ({"identity": "x", "attributes": float("nan")}, "attributes"),
    ({}, "identity"),
    ({"messaging_binding_proxy_address": "+15017122661"}, "messaging_binding_address"),
    (
        {
            "messaging_binding_address": "+15017122661",
            "messaging_binding_proxy_address": "+15017122661",
        },
        "messaging_binding_proxy_address",
    ),
    ({"messaging_binding_projected_address": "+15017122661"}, "identity"),
    ({"identity": "x", "date_created": datetime(2023, 5, 4, 9, 42)}, "date_created"),
    ({"identity": "x", "date_updated": "2023-05-04T09:42:00Z"}, "date_updated"),
    ({"identity": "x", "webhook_enabled": "true"}, "webhook_enabled"),
]


@pytest.mark.parametrize(("arguments", "field"), NAUGHTY)
async def test_invalid_input_raises_before_any_request(
    emulator: Emulator,
    session: Session,
    conversation: Conversation,
    arguments: dict[str, Any],
    field: str,
) -> None:
    before = emulator.counters.requests
    with pytest.raises(InvalidArgumentError) as raised:
        await session.participants.create(conversation.sid, **arguments)
    assert raised.value.field == field
    assert field in str(raised.value)
    assert emulator.counters.requests == before


@pytest.mark.parametrize("conversation_key", ["", None])
async def test_missing_conversation_raises_before_any_request(
    emulator: Emulator, session: Session, conversation_key: Any
) -> None:
    before = emulator.counters.requests
    with pytest.raises(InvalidArgumentError, match="conversation"):
        await session.participants.create(conversation_key, identity="x")
    with pytest.raises(InvalidArgumentError, match="chat_service_sid"):
        await session.service("IS123").participants.create("CH1", identity="x")
    assert emulator.counters.requests == before


async def test_unique_name_is_one_percent_encoded_segment(
    emulator: Emulator, session: Session
) -> None:
    name = "support/eu ünï #1?"
    conversation = await session.conversations.create(unique_name=name)
    participant = await session.participants.create(name, identity="eve")
    assert participant.conversation_sid == conversation.sid
    assert (
        emulator.requests[-1].path
        == "/v1/Conversations/support%2Feu%20%C3%BCn%C3%AF%20%231%3F/Participants"
    )


async def test_unknown_conversation_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError) as raised:
        await session.participants.create("CH" + "0" * 32, identity="x")
    # The emulator answers Twilio's generic 20404 for a sub-resource of a missing conversation.
    assert (raised.value.status, raised.value.code) == (404, 20404)


async def test_duplicate_identity_is_recognisable(
    session: Session, conversation: Conversation
) -> None:
    await session.participants.create(conversation.sid, identity="frank")
    with pytest.raises(ConflictError) as raised:
        await session.participants.create(conversation.sid, identity="frank")
    assert raised.value.code == 50433
    assert raised.value.already_in_conversation
    assert raised.value.more_info == "https://www.twilio.com/docs/errors/50433"


async def test_duplicate_binding_in_the_same_conversation(
    session: Session, conversation: Conversation
) -> None:
    sms: dict[str, Any] = {
        "messaging_binding_address": "+15558675310",
        "messaging_binding_proxy_address": "+15017122661",
    }
    await session.participants.create(conversation.sid, **sms)
    with pytest.raises(ConflictError) as raised:
        await session.participants.create(conversation.sid, **sms)
    assert raised.value.code == 50437 and raised.value.already_in_conversation


async def test_binding_in_use_by_another_conversation(
    session: Session, conversation: Conversation
) -> None:
    sms: dict[str, Any] = {
        "messaging_binding_address": "+15558675310",
        "messaging_binding_proxy_address": "+15017122661",
    }
    await session.participants.create(conversation.sid, **sms)
    other = await session.conversations.create(friendly_name="other")
    with pytest.raises(ConflictError) as raised:
        await session.participants.create(other.sid, **sms)
    assert raised.value.code == 50416
    assert not raised.value.already_in_conversation
    assert conversation.sid in raised.value.message


async def test_a_proxy_html_page_is_a_clear_error(
    emulator: Emulator, session: Session, conversation: Conversation
) -> None:
    emulator.fail_next(
        "POST", "*/Participants", status=502, body="<html><h1>502 Bad Gateway</h1></html>"
    )
    with pytest.raises(ServerError) as raised:
        await session.participants.create(conversation.sid, identity="x")
    assert raised.value.status == 502 and raised.value.code is None
    assert "502 Bad Gateway" in str(raised.value)
    assert emulator.participants_created == 0  # the 502 came before anything was created


async def test_wrong_credentials(emulator: Emulator, conversation: Conversation) -> None:
    async with emulator.session(auth_token="wrong") as bad:
        with pytest.raises(AuthenticationError) as raised:
            await bad.participants.create(conversation.sid, identity="x")
    assert raised.value.code == 20003


async def test_service_scoped_create(emulator: Emulator, session: Session) -> None:
    service = "IS" + "b" * 32
    scoped = session.service(service)
    conversation = await scoped.conversations.create(friendly_name="scoped")
    participant = await scoped.participants.create(conversation.sid, identity="gina")
    assert (
        emulator.requests[-1].path
        == f"/v1/Services/{service}/Conversations/{conversation.sid}/Participants"
    )
    assert participant.chat_service_sid == service
    assert conversation.chat_service_sid == service


async def test_the_shipped_fixture_gives_a_working_session(emulator_session: Session) -> None:
    conversation = await emulator_session.conversations.create(friendly_name="fixture")
    assert (
        await emulator_session.participants.create(conversation.sid, identity="h")
    ).identity == "h"
