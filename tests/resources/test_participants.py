"""Participant fetch/update/delete/list in both scopes, over HTTP against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from _ops_scopes import Scope

import conversations_async as ca
from conversations_async.testing import Emulator, Limits

ADDRESS = "+15558675310"
PROXY = "+15017122661"


async def test_fetch_by_sid_and_by_identity(emulator: Emulator, scope: Scope) -> None:
    conversation = await scope.conversations.create(friendly_name="fetch")
    alice = await scope.participants.create(conversation.sid, identity="alice")
    by_sid = await scope.participants.fetch(conversation.sid, alice.sid)
    by_identity = await scope.participants.fetch(conversation.sid, "alice")
    assert by_sid == by_identity == alice
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "GET",
        f"{scope.prefix}/Conversations/{conversation.sid}/Participants/alice",
    )
    if scope.service is not None:
        assert alice.chat_service_sid == scope.service


async def test_update_sends_every_field(emulator: Emulator, scope: Scope) -> None:
    conversation = await scope.conversations.create(friendly_name="update")
    # A participant's role must be a conversation role of its service.
    role = emulator.store.create_role(scope.service, "agent", "conversation", ["sendMessage"])
    role_sid = role["sid"]
    sms = await scope.participants.create(
        conversation.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    cest = timezone(timedelta(hours=2))
    updated = await scope.participants.update(
        conversation.sid,
        sms.sid,
        date_created=datetime(2023, 5, 4, 11, 42, tzinfo=cest),
        date_updated=datetime(2023, 5, 4, 9, 43, tzinfo=UTC),
        attributes={"vip": True},
        role_sid=role_sid,
        messaging_binding_proxy_address="+15017122669",
        messaging_binding_projected_address="+15017122670",
        identity="sms-bob",
        last_read_message_index=5,
        last_read_timestamp=datetime(2023, 5, 4, 9, 44, tzinfo=UTC),
        webhook_enabled=True,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "POST",
        f"{scope.prefix}/Conversations/{conversation.sid}/Participants/{sms.sid}",
    )
    assert request.form == (
        ("DateCreated", "2023-05-04T09:42:00Z"),
        ("DateUpdated", "2023-05-04T09:43:00Z"),
        ("Attributes", '{"vip":true}'),
        ("RoleSid", role_sid),
        ("MessagingBinding.ProxyAddress", "+15017122669"),
        ("MessagingBinding.ProjectedAddress", "+15017122670"),
        ("Identity", "sms-bob"),
        ("LastReadMessageIndex", "5"),
        ("LastReadTimestamp", "2023-05-04T09:44:00Z"),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "true"
    assert updated.sid == sms.sid
    assert updated.attributes == {"vip": True}
    assert updated.role_sid == role_sid
    assert updated.identity == "sms-bob"
    assert updated.last_read_message_index == 5
    assert updated.last_read_timestamp == "2023-05-04T09:44:00Z"
    assert updated.date_created == datetime(2023, 5, 4, 9, 42, tzinfo=UTC)
    assert updated.date_updated == datetime(2023, 5, 4, 9, 43, tzinfo=UTC)
    assert updated.messaging_binding is not None
    assert updated.messaging_binding.address == ADDRESS
    assert updated.messaging_binding.proxy_address == "+15017122669"
    assert updated.messaging_binding.projected_address == "+15017122670"
    # The old (address, proxy) pair is free again; the new one is taken.
    other = await scope.conversations.create(friendly_name="other")
    await scope.participants.create(
        other.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    with pytest.raises(ca.ConflictError) as caught:
        await scope.participants.create(
            other.sid,
            messaging_binding_address=ADDRESS,
            messaging_binding_proxy_address="+15017122669",
        )
    assert caught.value.code == 50416


async def test_update_with_none_sends_null_and_clears(emulator: Emulator, scope: Scope) -> None:
    conversation = await scope.conversations.create(friendly_name="clear")
    alice = await scope.participants.create(
        conversation.sid, identity="alice", messaging_binding_projected_address="+15017122661"
    )
    await scope.participants.update(conversation.sid, "alice", last_read_message_index=3)
    cleared = await scope.participants.update(
        conversation.sid,
        "alice",
        messaging_binding_projected_address=None,
        last_read_message_index=None,
    )
    assert emulator.requests[-1].form == (
        ("MessagingBinding.ProjectedAddress", "null"),
        ("LastReadMessageIndex", "null"),
    )
    assert "X-Twilio-Webhook-Enabled" not in emulator.requests[-1].headers
    assert cleared.sid == alice.sid
    assert cleared.last_read_message_index is None
    assert cleared.messaging_binding is not None
    assert cleared.messaging_binding.projected_address is None


async def test_update_identity_conflict_is_typed(scope: Scope) -> None:
    conversation = await scope.conversations.create(friendly_name="dup")
    await scope.participants.create(conversation.sid, identity="alice")
    await scope.participants.create(conversation.sid, identity="bob")
    with pytest.raises(ca.ConflictError) as caught:
        await scope.participants.update(conversation.sid, "bob", identity="alice")
    assert caught.value.code == 50433


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("last_read_message_index", -1),
        ("last_read_message_index", True),
        ("last_read_message_index", "3"),
        ("role_sid", "RL123"),
        ("attributes", {"x": "y" * 5000}),
        ("identity", "i" * 257),
        ("messaging_binding_proxy_address", 15017122661),
        ("date_updated", datetime(2023, 1, 1)),
        ("last_read_timestamp", 12),
        ("webhook_enabled", "yes"),
    ],
)
async def test_update_refuses_bad_arguments_before_sending(
    emulator: Emulator, scope: Scope, field: str, value: Any
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        await scope.participants.update("CH" + "0" * 32, "alice", **{field: value})
    assert caught.value.field == field
    assert emulator.counters.requests == 0


@pytest.mark.parametrize("webhook_enabled", [True, False])
async def test_delete_keeps_the_webhook_header(
    emulator: Emulator, scope: Scope, webhook_enabled: bool
) -> None:
    conversation = await scope.conversations.create(friendly_name="delete")
    alice = await scope.participants.create(conversation.sid, identity="alice")
    await scope.participants.delete(conversation.sid, alice.sid, webhook_enabled=webhook_enabled)
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "DELETE",
        f"{scope.prefix}/Conversations/{conversation.sid}/Participants/{alice.sid}",
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == str(webhook_enabled).lower()
    assert emulator.counters.by_status[204] == 1
    with pytest.raises(ca.NotFoundError) as caught:
        await scope.participants.fetch(conversation.sid, alice.sid)
    assert (caught.value.status, caught.value.code) == (404, 20404)


async def test_delete_by_identity_frees_the_identity_and_binding(
    emulator: Emulator, scope: Scope
) -> None:
    first = await scope.conversations.create(friendly_name="first")
    second = await scope.conversations.create(friendly_name="second")
    await scope.participants.create(first.sid, identity="alice")
    sms = await scope.participants.create(
        first.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    with pytest.raises(ca.ConflictError):
        await scope.participants.create(
            second.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
        )
    await scope.participants.delete(first.sid, "alice")
    assert "X-Twilio-Webhook-Enabled" not in emulator.requests[-1].headers
    await scope.participants.delete(first.sid, sms.sid)
    moved = await scope.participants.create(
        second.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    again = await scope.participants.create(first.sid, identity="alice")
    assert moved.conversation_sid == second.sid and again.identity == "alice"
    assert [p.sid async for p in scope.participants.list(first.sid)] == [again.sid]


async def test_list_in_scope(emulator: Emulator, scope: Scope) -> None:
    conversation = await scope.conversations.create(friendly_name="list")
    made = [await scope.participants.create(conversation.sid, identity=f"u{i}") for i in range(5)]
    emulator.reset_counters()
    listed = [p async for p in scope.participants.list(conversation.sid, page_size=2)]
    assert listed == made
    assert all(
        r.method == "GET"
        and r.path == f"{scope.prefix}/Conversations/{conversation.sid}/Participants"
        for r in emulator.requests
    )
    assert len(emulator.requests) == 3
    if scope.service is not None:
        assert {p.chat_service_sid for p in listed} == {scope.service}


async def test_participant_limits_are_typed() -> None:
    limits = Limits(participants_per_conversation=3, non_chat_per_conversation=1)
    async with Emulator(limits=limits) as emulator, emulator.session() as session:
        conversation = await session.conversations.create()
        await session.participants.create(
            conversation.sid,
            messaging_binding_address=ADDRESS,
            messaging_binding_proxy_address=PROXY,
        )
        with pytest.raises(ca.BadRequestError) as non_chat:
            await session.participants.create(
                conversation.sid,
                messaging_binding_address="+15558675311",
                messaging_binding_proxy_address=PROXY,
            )
        assert non_chat.value.code == 50422
        await session.participants.create(conversation.sid, identity="a")
        await session.participants.create(conversation.sid, identity="b")
        with pytest.raises(ca.BadRequestError) as full:
            await session.participants.create(conversation.sid, identity="c")
        assert full.value.code == 50417
        await session.participants.delete(conversation.sid, "a")
        await session.participants.create(conversation.sid, identity="c")


async def test_participant_writes_spend_the_conversation_budget() -> None:
    from conversations_async.testing import Faults

    async with Emulator(faults=Faults(writes_per_second=2)) as emulator:
        async with emulator.session(retry=ca.RetryPolicy(attempts=1)) as session:
            conversation = await session.conversations.create()
            await session.participants.create(conversation.sid, identity="a")
            await session.participants.update(conversation.sid, "a", attributes={})
            with pytest.raises(ca.RateLimitError):
                await session.participants.delete(conversation.sid, "a")
