"""The account's configuration (on the Session), a service's configuration and its push
notification settings (on its scope): fetch and update, every wire name, Twilio's semantics in
the emulator, and each namespace only where it exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from conversations_async import Request, Session
from conversations_async.errors import BadRequestError, InvalidArgumentError
from conversations_async.models import (
    Configuration,
    MediaNotification,
    NewMessageNotification,
    Notification,
    NotificationConfiguration,
    ServiceConfiguration,
)
from conversations_async.resources import AccountConfig, NotificationConfig, ServiceConfig
from conversations_async.testing import Emulator

SERVICE_SID = "IS" + "4" * 32
OTHER_SERVICE = "IS" + "5" * 32
ROLE = "RL" + "6" * 32
MESSAGING_SERVICE = "MG" + "7" * 32


async def test_the_account_configuration(session: Session, emulator: Emulator) -> None:
    assert isinstance(session.configuration, AccountConfig)
    first = await session.configuration.fetch()
    assert isinstance(first, Configuration)
    assert first.account_sid == emulator.account_sid
    assert first.default_chat_service_sid == emulator.store.default_service
    assert first.default_messaging_service_sid is not None
    assert first.default_messaging_service_sid.startswith("MG")
    assert (first.default_inactive_timer, first.default_closed_timer) == (None, None)
    assert str(first.url) == f"{emulator.base_url}/v1/Configuration"
    assert first.links is not None
    assert str(first.links["webhooks"]) == f"{emulator.base_url}/v1/Configuration/Webhooks"

    updated = await session.configuration.update(
        default_messaging_service_sid=MESSAGING_SERVICE,
        default_inactive_timer=timedelta(minutes=5),
        default_closed_timer="P1D",
    )
    request = emulator.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/Configuration")
    assert request.form == (
        ("DefaultMessagingServiceSid", MESSAGING_SERVICE),
        ("DefaultInactiveTimer", "PT5M"),
        ("DefaultClosedTimer", "P1D"),
    )
    assert updated.default_messaging_service_sid == MESSAGING_SERVICE
    assert (updated.default_inactive_timer, updated.default_closed_timer) == ("PT5M", "P1D")
    assert await session.configuration.fetch() == updated
    assert await session.configuration.update() == updated  # no fields: nothing changes


async def test_a_new_default_service_becomes_the_account_scope(
    session: Session, emulator: Emulator
) -> None:
    """Twilio: the default Conversation Service is the one conversations are created in."""
    old_service = (await session.configuration.fetch()).default_chat_service_sid
    assert old_service is not None
    before = await session.conversations.create(friendly_name="before")
    assert before.chat_service_sid == old_service

    changed = await session.configuration.update(default_chat_service_sid=OTHER_SERVICE)
    assert changed.default_chat_service_sid == OTHER_SERVICE
    assert changed.links is not None
    assert str(changed.links["service"]).endswith(f"/v1/Services/{OTHER_SERVICE}/Configuration")
    after = await session.conversations.create(friendly_name="after")
    assert after.chat_service_sid == OTHER_SERVICE
    listed = [c.sid async for c in session.conversations.list()]
    assert listed == [after.sid]
    # The old service keeps its conversations, reached through its own scope.
    assert [c.sid async for c in session.service(old_service).conversations.list()] == [before.sid]


async def test_new_conversations_take_the_account_defaults(session: Session) -> None:
    """The default Messaging Service, and the default timers once set, go to every new
    conversation that names none of its own."""
    plain = await session.conversations.create(friendly_name="plain")
    configuration = await session.configuration.update(
        default_inactive_timer=timedelta(minutes=5), default_closed_timer="P1D"
    )
    assert plain.messaging_service_sid == configuration.default_messaging_service_sid
    assert plain.timers is not None and plain.timers.date_inactive is None
    timed = await session.conversations.create(friendly_name="timed")
    assert timed.timers is not None and timed.date_created is not None
    assert timed.timers.date_inactive == timed.date_created + timedelta(minutes=5)
    assert timed.timers.date_closed == timed.date_created + timedelta(days=1)
    own = await session.conversations.create(
        friendly_name="own",
        timers_inactive=timedelta(minutes=2),
        messaging_service_sid=MESSAGING_SERVICE,
    )
    assert own.timers is not None and own.date_created is not None
    assert own.timers.date_inactive == own.date_created + timedelta(minutes=2)
    assert own.messaging_service_sid == MESSAGING_SERVICE


async def test_a_service_configuration(session: Session, emulator: Emulator) -> None:
    scoped = session.service(SERVICE_SID)
    assert isinstance(scoped.configuration, ServiceConfig)
    first = await scoped.configuration.fetch()
    assert isinstance(first, ServiceConfiguration)
    assert first.chat_service_sid == SERVICE_SID
    roles = (
        first.default_conversation_creator_role_sid,
        first.default_conversation_role_sid,
        first.default_chat_service_role_sid,
    )
    assert all(role is not None and role.startswith("RL") for role in roles)
    assert first.reachability_enabled is False
    assert first.links is not None
    assert set(first.links) == {"notifications", "webhooks"}

    # The emulator keeps Twilio's rule: a default role exists in the service, of its type.
    talker = await scoped.roles.create(
        friendly_name="talker", type="conversation", permission=["sendMessage"]
    )
    member = await scoped.roles.create(
        friendly_name="member", type="service", permission=["createConversation"]
    )
    updated = await scoped.configuration.update(
        default_conversation_creator_role_sid=talker.sid,
        default_conversation_role_sid=talker.sid,
        default_chat_service_role_sid=member.sid,
        reachability_enabled=True,
    )
    request = emulator.requests[-1]
    assert request.path == f"/v1/Services/{SERVICE_SID}/Configuration"
    assert request.form == (
        ("DefaultConversationCreatorRoleSid", talker.sid),
        ("DefaultConversationRoleSid", talker.sid),
        ("DefaultChatServiceRoleSid", member.sid),
        ("ReachabilityEnabled", "true"),
    )
    assert updated.default_chat_service_role_sid == member.sid
    assert updated.reachability_enabled is True
    # The new default is the one a new user gets.
    user = await scoped.users.create(identity="newcomer")
    assert user.role_sid == member.sid
    # A role that is not there is refused.
    with pytest.raises(BadRequestError) as refused:
        await scoped.configuration.update(default_conversation_role_sid=ROLE)
    assert refused.value.code == 50109
    # Each service has its own configuration.
    other = await session.service(OTHER_SERVICE).configuration.fetch()
    assert other.reachability_enabled is False
    assert other.default_chat_service_role_sid != member.sid


async def test_a_service_notification_configuration(session: Session, emulator: Emulator) -> None:
    scoped = session.service(SERVICE_SID)
    assert isinstance(scoped.notification_configuration, NotificationConfig)
    first = await scoped.notification_configuration.fetch()
    assert isinstance(first, NotificationConfiguration)
    assert first.chat_service_sid == SERVICE_SID
    assert first.log_enabled is False
    assert first.new_message == NewMessageNotification(
        enabled=False, badge_count_enabled=False, with_media=MediaNotification(enabled=False)
    )
    assert first.added_to_conversation == Notification(enabled=False)

    updated = await scoped.notification_configuration.update(
        log_enabled=True,
        new_message_enabled=True,
        new_message_template="${PARTICIPANT}: ${MESSAGE}",
        new_message_sound="ring",
        new_message_badge_count_enabled=True,
        added_to_conversation_enabled=True,
        added_to_conversation_template="Added to ${CONVERSATION}",
        added_to_conversation_sound="chime",
        removed_from_conversation_enabled=True,
        removed_from_conversation_template="Removed from ${CONVERSATION}",
        removed_from_conversation_sound="none",
        new_message_with_media_enabled=True,
        new_message_with_media_template="${MEDIA_COUNT} files",
    )
    request = emulator.requests[-1]
    assert request.path == f"/v1/Services/{SERVICE_SID}/Configuration/Notifications"
    assert request.form == (
        ("LogEnabled", "true"),
        ("NewMessage.Enabled", "true"),
        ("NewMessage.Template", "${PARTICIPANT}: ${MESSAGE}"),
        ("NewMessage.Sound", "ring"),
        ("NewMessage.BadgeCountEnabled", "true"),
        ("AddedToConversation.Enabled", "true"),
        ("AddedToConversation.Template", "Added to ${CONVERSATION}"),
        ("AddedToConversation.Sound", "chime"),
        ("RemovedFromConversation.Enabled", "true"),
        ("RemovedFromConversation.Template", "Removed from ${CONVERSATION}"),
        ("RemovedFromConversation.Sound", "none"),
        ("NewMessage.WithMedia.Enabled", "true"),
        ("NewMessage.WithMedia.Template", "${MEDIA_COUNT} files"),
    )
    assert updated.log_enabled is True
    assert updated.new_message == NewMessageNotification(
        enabled=True,
        template="${PARTICIPANT}: ${MESSAGE}",
        sound="ring",
        badge_count_enabled=True,
        with_media=MediaNotification(enabled=True, template="${MEDIA_COUNT} files"),
    )
    assert updated.removed_from_conversation == Notification(
        enabled=True, template="Removed from ${CONVERSATION}", sound="none"
    )
    assert await scoped.notification_configuration.fetch() == updated
    # An update of one field keeps the others.
    again = await scoped.notification_configuration.update(new_message_enabled=False)
    assert again.new_message is not None and again.new_message.enabled is False
    assert again.new_message.template == "${PARTICIPANT}: ${MESSAGE}"
    other = await session.service(OTHER_SERVICE).notification_configuration.fetch()
    assert other.log_enabled is False  # each service has its own


def test_each_namespace_exists_only_at_its_scope(session: Session) -> None:
    scoped = session.service(SERVICE_SID)
    assert isinstance(session.configuration, AccountConfig)
    assert isinstance(scoped.configuration, ServiceConfig)
    for name in ("notification_configuration", "bindings"):
        with pytest.raises(AttributeError):
            getattr(session, name)
    for name in ("credentials", "address_configurations"):
        with pytest.raises(AttributeError):
            getattr(scoped, name)


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"default_chat_service_sid": "MG" + "0" * 32}, "default_chat_service_sid"),
        ({"default_messaging_service_sid": "IS" + "0" * 32}, "default_messaging_service_sid"),
        ({"default_inactive_timer": timedelta(seconds=59)}, "default_inactive_timer"),
        ({"default_closed_timer": "PT9M"}, "default_closed_timer"),
        ({"default_closed_timer": "P1M"}, "default_closed_timer"),  # a month has no length
    ],
)
async def test_bad_account_settings_are_refused_before_sending(
    session: Session, emulator: Emulator, update: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await session.configuration.update(**update)
    assert caught.value.field == field
    assert not emulator.requests


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"default_conversation_role_sid": "US" + "0" * 32}, "default_conversation_role_sid"),
        ({"reachability_enabled": "yes"}, "reachability_enabled"),
        ({"new_message_enabled": 1}, "new_message_enabled"),
        ({"added_to_conversation_template": 5}, "added_to_conversation_template"),
    ],
)
async def test_bad_service_settings_are_refused_before_sending(
    session: Session, emulator: Emulator, update: dict[str, Any], field: str
) -> None:
    scoped = session.service(SERVICE_SID)
    namespace = (
        scoped.configuration
        if field in {"default_conversation_role_sid", "reachability_enabled"}
        else scoped.notification_configuration
    )
    with pytest.raises(InvalidArgumentError) as caught:
        await namespace.update(**update)
    assert caught.value.field == field
    assert not emulator.requests


@pytest.mark.spec_invalid_requests("values the spec refuses, on purpose, to see the 400s")
@pytest.mark.parametrize(
    ("path", "form"),
    [
        (("v1", "Configuration"), {"DefaultInactiveTimer": "PT30S"}),
        (("v1", "Configuration"), {"DefaultChatServiceSid": "nope"}),
        (("v1", "Services", SERVICE_SID, "Configuration"), {"ReachabilityEnabled": "maybe"}),
        (("v1", "Services", SERVICE_SID, "Configuration"), {"DefaultConversationRoleSid": "x"}),
        (
            ("v1", "Services", SERVICE_SID, "Configuration", "Notifications"),
            {"NewMessage.Enabled": "on"},
        ),
    ],
)
async def test_the_emulator_refuses_what_twilio_refuses(
    session: Session, path: tuple[str, ...], form: dict[str, str]
) -> None:
    """Sent without the library's checks, as another client could."""
    before = await session.configuration.fetch()
    with pytest.raises(BadRequestError) as caught:
        await session.request(Request(method="POST", path=path, form=tuple(form.items())))
    assert caught.value.code == 20001
    assert await session.configuration.fetch() == before  # nothing changed
