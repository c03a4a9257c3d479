"""Conversation create/fetch/update/delete/list and create_with_participants, both scopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from _ops_scopes import Scope

import conversations_async as ca
from conversations_async._sansio.rules import format_duration, parse_duration
from conversations_async.testing import Emulator

MG = "MG" + "b" * 32
ADDRESS = "+15558675310"
PROXY = "+15017122661"


async def test_create_sends_every_field(emulator: Emulator, scope: Scope) -> None:
    conversation = await scope.conversations.create(
        friendly_name="Support",
        unique_name="support-1",
        date_created=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        date_updated=datetime(2024, 1, 2, 3, 4, 6, tzinfo=UTC),
        messaging_service_sid=MG,
        attributes={"topic": "feedback"},
        state=ca.ConversationState.INACTIVE,
        timers_inactive=timedelta(minutes=5),
        timers_closed="P1DT2H",
        bindings_email_address="help@example.com",
        bindings_email_name="Help",
        webhook_enabled=False,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", f"{scope.prefix}/Conversations")
    assert request.form == (
        ("FriendlyName", "Support"),
        ("UniqueName", "support-1"),
        ("DateCreated", "2024-01-02T03:04:05Z"),
        ("DateUpdated", "2024-01-02T03:04:06Z"),
        ("MessagingServiceSid", MG),
        ("Attributes", '{"topic":"feedback"}'),
        ("State", "inactive"),
        ("Timers.Inactive", "PT5M"),
        ("Timers.Closed", "P1DT2H"),
        ("Bindings.Email.Address", "help@example.com"),
        ("Bindings.Email.Name", "Help"),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "false"
    assert conversation.sid.startswith("CH")
    assert conversation.friendly_name == "Support" and conversation.unique_name == "support-1"
    assert conversation.messaging_service_sid == MG
    assert conversation.attributes == {"topic": "feedback"}
    assert conversation.state is ca.ConversationState.INACTIVE
    assert conversation.date_created == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert conversation.timers is not None
    assert conversation.timers.date_inactive is not None and conversation.timers.date_closed
    assert conversation.timers.date_closed - conversation.timers.date_inactive == timedelta(
        days=1, hours=2, minutes=-5
    )
    assert conversation.bindings == {"email": {"address": "help@example.com", "name": "Help"}}
    assert set(conversation.links) == {"participants", "messages", "webhooks", "export"}
    assert str(conversation.url).endswith(f"{scope.prefix}/Conversations/{conversation.sid}")
    if scope.service is not None:
        assert conversation.chat_service_sid == scope.service


async def test_fetch_by_sid_and_unique_name(emulator: Emulator, scope: Scope) -> None:
    made = await scope.conversations.create(unique_name="by-name")
    assert await scope.conversations.fetch(made.sid) == made
    assert await scope.conversations.fetch("by-name") == made
    assert emulator.requests[-1].path == f"{scope.prefix}/Conversations/by-name"
    with pytest.raises(ca.NotFoundError):
        await scope.conversations.fetch("nobody")


async def test_update_sends_every_field(emulator: Emulator, scope: Scope) -> None:
    made = await scope.conversations.create(unique_name="old-name")
    updated = await scope.conversations.update(
        "old-name",
        friendly_name="Renamed",
        unique_name="new-name",
        date_created=datetime(2024, 2, 1, tzinfo=UTC),
        date_updated=datetime(2024, 2, 2, tzinfo=UTC),
        messaging_service_sid=MG,
        attributes='{"a": 1}',
        state="inactive",
        timers_inactive="PT1M",
        timers_closed=timedelta(minutes=10),
        bindings_email_address="x@example.com",
        bindings_email_name="X",
        webhook_enabled=True,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", f"{scope.prefix}/Conversations/old-name")
    assert request.form == (
        ("FriendlyName", "Renamed"),
        ("UniqueName", "new-name"),
        ("DateCreated", "2024-02-01T00:00:00Z"),
        ("DateUpdated", "2024-02-02T00:00:00Z"),
        ("MessagingServiceSid", MG),
        ("Attributes", '{"a": 1}'),
        ("State", "inactive"),
        ("Timers.Inactive", "PT1M"),
        ("Timers.Closed", "PT10M"),
        ("Bindings.Email.Address", "x@example.com"),
        ("Bindings.Email.Name", "X"),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "true"
    assert updated.sid == made.sid
    assert (updated.friendly_name, updated.unique_name) == ("Renamed", "new-name")
    assert updated.state is ca.ConversationState.INACTIVE
    assert updated.attributes == {"a": 1}
    assert updated.date_updated == datetime(2024, 2, 2, tzinfo=UTC)
    assert (await scope.conversations.fetch("new-name")).sid == made.sid
    with pytest.raises(ca.NotFoundError):
        await scope.conversations.fetch("old-name")


async def test_unique_name_conflicts(scope: Scope) -> None:
    await scope.conversations.create(unique_name="taken")
    other = await scope.conversations.create(unique_name="free")
    with pytest.raises(ca.ConflictError) as on_create:
        await scope.conversations.create(unique_name="taken")
    with pytest.raises(ca.ConflictError) as on_update:
        await scope.conversations.update(other.sid, unique_name="taken")
    assert on_create.value.code == on_update.value.code == 50353


async def test_closed_is_final_and_frees_bindings(scope: Scope) -> None:
    first = await scope.conversations.create()
    second = await scope.conversations.create()
    await scope.participants.create(
        first.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    with pytest.raises(ca.ConflictError):
        await scope.participants.create(
            second.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
        )
    closed = await scope.conversations.update(first.sid, state=ca.ConversationState.CLOSED)
    assert closed.state is ca.ConversationState.CLOSED
    await scope.participants.create(
        second.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    with pytest.raises(ca.BadRequestError):
        await scope.conversations.update(first.sid, state="active")


@pytest.mark.parametrize("webhook_enabled", [True, False])
async def test_delete(emulator: Emulator, scope: Scope, webhook_enabled: bool) -> None:
    made = await scope.conversations.create(unique_name="gone")
    await scope.participants.create(
        made.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    await scope.conversations.delete("gone", webhook_enabled=webhook_enabled)
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("DELETE", f"{scope.prefix}/Conversations/gone")
    assert request.headers["X-Twilio-Webhook-Enabled"] == str(webhook_enabled).lower()
    assert emulator.counters.by_status[204] == 1
    with pytest.raises(ca.NotFoundError):
        await scope.conversations.fetch(made.sid)
    again = await scope.conversations.create(unique_name="gone")  # the name is free
    await scope.participants.create(  # and so is the binding
        again.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )


async def test_list_with_filters(emulator: Emulator, scope: Scope) -> None:
    old = await scope.conversations.create(date_created=datetime(2024, 1, 1, 12, tzinfo=UTC))
    mid = await scope.conversations.create(date_created=datetime(2024, 1, 5, 23, 59, tzinfo=UTC))
    new = await scope.conversations.create(date_created=datetime(2024, 1, 9, tzinfo=UTC))
    await scope.conversations.update(old.sid, state="closed")
    emulator.reset_counters()

    everything = [c.sid async for c in scope.conversations.list()]
    assert everything == [old.sid, mid.sid, new.sid]
    assert emulator.requests[-1].path == f"{scope.prefix}/Conversations"

    in_range = [
        c.sid
        async for c in scope.conversations.list(
            start_date=date(2024, 1, 1), end_date=date(2024, 1, 5), page_size=1
        )
    ]
    assert in_range == [mid.sid, old.sid]  # newest first with a date filter
    assert dict(emulator.requests[-1].query)["StartDate"] == "2024-01-01T00:00:00Z"
    assert dict(emulator.requests[-1].query)["EndDate"] == "2024-01-05T23:59:59Z"

    closed = [c.sid async for c in scope.conversations.list(state="closed")]
    assert closed == [old.sid]
    assert dict(emulator.requests[-1].query) == {"State": "closed"}

    exact = [
        c.sid
        async for c in scope.conversations.list(
            start_date=datetime(2024, 1, 5, 23, 0, tzinfo=UTC), limit=5
        )
    ]
    assert exact == [new.sid, mid.sid]
    assert dict(emulator.requests[-1].query) == {
        "StartDate": "2024-01-05T23:00:00Z",
        "PageSize": "5",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("messaging_service_sid", "MG123"),
        ("attributes", {"x": "y" * (16 * 1024)}),
        ("state", "archived"),
        ("timers_inactive", timedelta(seconds=59)),
        ("timers_inactive", "PT30S"),
        ("timers_closed", "PT9M"),
        ("timers_closed", "P1M"),  # months have no fixed length
        ("timers_closed", 600),
        ("unique_name", "CH" + "a" * 32),
        ("friendly_name", "f" * 257),
        ("date_created", datetime(2024, 1, 1)),
        ("bindings_email_address", 42),
    ],
)
async def test_bad_fields_are_refused_before_sending(
    emulator: Emulator, scope: Scope, field: str, value: Any
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as on_create:
        await scope.conversations.create(**{field: value})
    with pytest.raises(ca.InvalidArgumentError) as on_update:
        await scope.conversations.update("CH" + "0" * 32, **{field: value})
    with pytest.raises(ca.InvalidArgumentError) as on_bulk:
        await scope.conversations.create_with_participants([], **{field: value})
    assert on_create.value.field == on_update.value.field == on_bulk.value.field == field
    assert emulator.counters.requests == 0


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"start_date": "2024-01-01"}, "start_date"),
        ({"end_date": datetime(2024, 1, 1)}, "end_date"),
        ({"start_date": date(2024, 2, 1), "end_date": date(2024, 1, 1)}, "end_date"),
        ({"state": "gone"}, "state"),
    ],
)
async def test_bad_list_filters_are_refused(
    emulator: Emulator, scope: Scope, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        scope.conversations.list(**filters)
    assert caught.value.field == field
    assert emulator.counters.requests == 0


async def test_create_with_participants(emulator: Emulator, scope: Scope) -> None:
    conversation = await scope.conversations.create_with_participants(
        [
            {"identity": "alice", "attributes": {"role": "agent"}},
            {"messaging_binding_address": ADDRESS, "messaging_binding_proxy_address": PROXY},
        ],
        friendly_name="together",
        timers_inactive="PT1M",
        webhook_enabled=True,
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == (
        "POST",
        f"{scope.prefix}/ConversationWithParticipants",
    )
    assert request.form == (
        ("FriendlyName", "together"),
        ("Timers.Inactive", "PT1M"),
        ("Participant", '{"identity":"alice","attributes":"{\\"role\\":\\"agent\\"}"}'),
        (
            "Participant",
            '{"messaging_binding":{"address":"+15558675310","proxy_address":"+15017122661"}}',
        ),
    )
    assert request.headers["X-Twilio-Webhook-Enabled"] == "true"
    assert emulator.counters.by_status[202] == 1
    assert conversation.friendly_name == "together"
    participants = [p async for p in scope.participants.list(conversation.sid)]
    assert [p.identity for p in participants] == ["alice", None]
    assert participants[0].attributes == {"role": "agent"}
    assert participants[1].messaging_binding is not None
    assert participants[1].messaging_binding.proxy_address == PROXY

    bare = await scope.conversations.create_with_participants([], friendly_name="bare")
    assert bare.friendly_name == "bare" and emulator.counters.by_status[201] >= 1


async def test_create_with_participants_is_all_or_nothing(scope: Scope) -> None:
    holder = await scope.conversations.create()
    await scope.participants.create(
        holder.sid, messaging_binding_address=ADDRESS, messaging_binding_proxy_address=PROXY
    )
    with pytest.raises(ca.ConflictError) as caught:
        await scope.conversations.create_with_participants(
            [
                {"identity": "alice"},
                {"messaging_binding_address": ADDRESS, "messaging_binding_proxy_address": PROXY},
            ],
            unique_name="bulk",
        )
    assert caught.value.code == 50425
    with pytest.raises(ca.NotFoundError):
        await scope.conversations.fetch("bulk")


@pytest.mark.parametrize(
    ("participants", "field"),
    [
        ([{"identity": f"u{i}"} for i in range(11)], "participants"),
        ([{"identity": "a"}, {"name": "b"}], "participants[1]"),
        ([{"identity": "a"}, {}], "participants[1].identity"),
        ([{"identity": "a", "role_sid": "RLx"}], "participants[0].role_sid"),
        (
            [{"messaging_binding_address": ADDRESS, "messaging_binding_proxy_address": ADDRESS}],
            "participants[0].messaging_binding_proxy_address",
        ),
        (["alice"], "participants[0]"),
        ({"identity": "a"}, "participants"),
    ],
)
async def test_create_with_participants_checks_before_sending(
    emulator: Emulator, scope: Scope, participants: Any, field: str
) -> None:
    with pytest.raises(ca.InvalidArgumentError) as caught:
        await scope.conversations.create_with_participants(participants)
    assert caught.value.field == field
    assert emulator.counters.requests == 0


async def test_create_with_participants_accepts_attrs_records(
    emulator: Emulator, scope: Scope
) -> None:
    import attrs

    @attrs.frozen
    class Spec:  # the shape of the bulk helper's NewParticipant
        identity: str
        attributes: object = None

    made = await scope.conversations.create_with_participants([Spec("zed", {"k": 1})])
    assert emulator.requests[-1].form_dict["Participant"] == (
        '{"identity":"zed","attributes":"{\\"k\\":1}"}'
    )
    assert (await scope.participants.fetch(made.sid, "zed")).attributes == {"k": 1}


async def test_conversation_writes_spend_their_budgets() -> None:
    from conversations_async.testing import Faults

    async with Emulator(faults=Faults(writes_per_second=2)) as emulator:
        async with emulator.session(retry=ca.RetryPolicy(attempts=1)) as session:
            first = await session.conversations.create()
            await session.conversations.update(first.sid, friendly_name="a")
            await session.conversations.update(first.sid, friendly_name="b")
            with pytest.raises(ca.RateLimitError):  # per conversation
                await session.conversations.update(first.sid, friendly_name="c")
            await session.conversations.delete(first.sid)  # the service had one write left
            with pytest.raises(ca.RateLimitError):  # per service
                await session.conversations.create()


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("PT1M", timedelta(minutes=1)),
        ("PT10M", timedelta(minutes=10)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P2W", timedelta(weeks=2)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
    ],
)
def test_durations(text: str, duration: timedelta) -> None:
    assert parse_duration("t", text) == duration
    assert parse_duration("t", format_duration(duration)) == duration


def test_duration_text() -> None:
    assert format_duration(timedelta(minutes=10)) == "PT10M"
    assert format_duration(timedelta(days=1, seconds=5)) == "P1DT5S"
    assert format_duration(timedelta(days=3)) == "P3D"
    assert format_duration(timedelta(0)) == "PT0S"
    for bad in ("P", "PT", "P1DT", "10M", "PT-1M", "P1Y"):
        with pytest.raises(ca.InvalidArgumentError):
            parse_duration("t", bad)
