"""``session.configuration`` (the account's settings), ``session.service(IS).configuration``
(a service's) and ``session.service(IS).notification_configuration`` (its push notifications)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import attrs

from .._sansio import Operation, Params
from .._sansio.params import form
from .._sansio.rules import FLAG, TEXT, Duration, sid
from .._types import NOT_GIVEN, NotGiven
from ..models import Configuration, NotificationConfiguration, ServiceConfiguration
from ._base import Resource

_ROLE = sid("RL")


@attrs.frozen(kw_only=True)
class UpdateConfiguration(Params):
    """The parameters of :meth:`AccountConfig.update`."""

    default_chat_service_sid: str | NotGiven = form("DefaultChatServiceSid", sid("IS"))
    default_messaging_service_sid: str | NotGiven = form("DefaultMessagingServiceSid", sid("MG"))
    default_inactive_timer: timedelta | str | NotGiven = form(
        "DefaultInactiveTimer", Duration(timedelta(minutes=1))
    )
    default_closed_timer: timedelta | str | NotGiven = form(
        "DefaultClosedTimer", Duration(timedelta(minutes=10))
    )


@attrs.frozen(kw_only=True)
class UpdateServiceConfiguration(Params):
    """The parameters of :meth:`ServiceConfig.update`."""

    default_conversation_creator_role_sid: str | NotGiven = form(
        "DefaultConversationCreatorRoleSid", _ROLE
    )
    default_conversation_role_sid: str | NotGiven = form("DefaultConversationRoleSid", _ROLE)
    default_chat_service_role_sid: str | NotGiven = form("DefaultChatServiceRoleSid", _ROLE)
    reachability_enabled: bool | NotGiven = form("ReachabilityEnabled", FLAG)


@attrs.frozen(kw_only=True)
class UpdateNotificationConfiguration(Params):
    """The parameters of :meth:`NotificationConfig.update`."""

    log_enabled: bool | NotGiven = form("LogEnabled", FLAG)
    new_message_enabled: bool | NotGiven = form("NewMessage.Enabled", FLAG)
    new_message_template: str | NotGiven = form("NewMessage.Template", TEXT)
    new_message_sound: str | NotGiven = form("NewMessage.Sound", TEXT)
    new_message_badge_count_enabled: bool | NotGiven = form("NewMessage.BadgeCountEnabled", FLAG)
    added_to_conversation_enabled: bool | NotGiven = form("AddedToConversation.Enabled", FLAG)
    added_to_conversation_template: str | NotGiven = form("AddedToConversation.Template", TEXT)
    added_to_conversation_sound: str | NotGiven = form("AddedToConversation.Sound", TEXT)
    removed_from_conversation_enabled: bool | NotGiven = form(
        "RemovedFromConversation.Enabled", FLAG
    )
    removed_from_conversation_template: str | NotGiven = form(
        "RemovedFromConversation.Template", TEXT
    )
    removed_from_conversation_sound: str | NotGiven = form("RemovedFromConversation.Sound", TEXT)
    new_message_with_media_enabled: bool | NotGiven = form("NewMessage.WithMedia.Enabled", FLAG)
    new_message_with_media_template: str | NotGiven = form("NewMessage.WithMedia.Template", TEXT)


FETCH = Operation("fetch", "GET", "Configuration", Configuration, spec=("FetchConfiguration", None))
UPDATE = Operation(
    "update",
    "POST",
    "Configuration",
    Configuration,
    UpdateConfiguration,
    spec=("UpdateConfiguration", None),
)
SERVICE_FETCH = Operation(
    "fetch",
    "GET",
    "Configuration",
    ServiceConfiguration,
    spec=(None, "FetchServiceConfiguration"),
)
SERVICE_UPDATE = Operation(
    "update",
    "POST",
    "Configuration",
    ServiceConfiguration,
    UpdateServiceConfiguration,
    spec=(None, "UpdateServiceConfiguration"),
)
_NOTIFICATIONS = "Configuration/Notifications"
NOTIFICATIONS_FETCH = Operation(
    "fetch",
    "GET",
    _NOTIFICATIONS,
    NotificationConfiguration,
    spec=(None, "FetchServiceNotification"),
)
NOTIFICATIONS_UPDATE = Operation(
    "update",
    "POST",
    _NOTIFICATIONS,
    NotificationConfiguration,
    UpdateNotificationConfiguration,
    spec=(None, "UpdateServiceNotification"),
)


class AccountConfig(Resource):
    """The account's settings: ``/v1/Configuration`` (``session.configuration``).

    ``default_chat_service_sid`` is the Conversation Service of the account scope: the
    Session's own namespaces (``session.conversations``, …) work in it. Changing it moves the
    account scope to another service; the conversations of the old one stay there (reach
    them with ``session.service(old_sid)``).
    """

    operations = (FETCH, UPDATE)

    def fetch(self) -> Coroutine[Any, Any, Configuration]:
        """The account's configuration. Retried on 429, 5xx, timeouts and disconnects."""
        return self._call(FETCH, locals())

    def update(
        self,
        *,
        default_chat_service_sid: str | NotGiven = NOT_GIVEN,
        default_messaging_service_sid: str | NotGiven = NOT_GIVEN,
        default_inactive_timer: timedelta | str | NotGiven = NOT_GIVEN,
        default_closed_timer: timedelta | str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Configuration]:
        """Change the account's settings; returns the new configuration.

        The timers are a ``timedelta`` or ISO 8601 text: inactive at least 1 minute, closed
        at least 10 (Twilio's minimums, checked before sending). Only the parameters you pass
        are sent. Not resent after a 5xx, timeout or disconnect.
        """
        return self._call(UPDATE, locals())


class ServiceConfig(Resource):
    """A service's settings: ``/v1/Services/{IS}/Configuration``
    (``session.service(IS).configuration``): the roles users get by default, and whether
    the Reachability Indicator is on."""

    operations = (SERVICE_FETCH, SERVICE_UPDATE)

    def fetch(self) -> Coroutine[Any, Any, ServiceConfiguration]:
        """The service's configuration. Retried on 429, 5xx, timeouts and disconnects."""
        return self._call(SERVICE_FETCH, locals())

    def update(
        self,
        *,
        default_conversation_creator_role_sid: str | NotGiven = NOT_GIVEN,
        default_conversation_role_sid: str | NotGiven = NOT_GIVEN,
        default_chat_service_role_sid: str | NotGiven = NOT_GIVEN,
        reachability_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, ServiceConfiguration]:
        """Change the service's settings; returns the new configuration.

        The role SIDs (``RL…``) are the conversation role of a conversation's creator, the
        conversation role of a participant added to one, and the service role of a new user.
        Not resent after a 5xx, timeout or disconnect.
        """
        return self._call(SERVICE_UPDATE, locals())


class NotificationConfig(Resource):
    """A service's push notifications: ``/v1/Services/{IS}/Configuration/Notifications``
    (``session.service(IS).notification_configuration``).

    Each push (a new message, being added to or removed from a conversation) is enabled or
    not and has a template (``${CONVERSATION}``, ``${PARTICIPANT}``, ``${MESSAGE}``, …) and a
    sound. Pushes go to the users' bindings (``session.service(IS).bindings``) through the
    account's credentials (``session.credentials``).
    """

    operations = (NOTIFICATIONS_FETCH, NOTIFICATIONS_UPDATE)

    def fetch(self) -> Coroutine[Any, Any, NotificationConfiguration]:
        """The service's notification settings. Retried on 429, 5xx, timeouts and
        disconnects."""
        return self._call(NOTIFICATIONS_FETCH, locals())

    def update(
        self,
        *,
        log_enabled: bool | NotGiven = NOT_GIVEN,
        new_message_enabled: bool | NotGiven = NOT_GIVEN,
        new_message_template: str | NotGiven = NOT_GIVEN,
        new_message_sound: str | NotGiven = NOT_GIVEN,
        new_message_badge_count_enabled: bool | NotGiven = NOT_GIVEN,
        added_to_conversation_enabled: bool | NotGiven = NOT_GIVEN,
        added_to_conversation_template: str | NotGiven = NOT_GIVEN,
        added_to_conversation_sound: str | NotGiven = NOT_GIVEN,
        removed_from_conversation_enabled: bool | NotGiven = NOT_GIVEN,
        removed_from_conversation_template: str | NotGiven = NOT_GIVEN,
        removed_from_conversation_sound: str | NotGiven = NOT_GIVEN,
        new_message_with_media_enabled: bool | NotGiven = NOT_GIVEN,
        new_message_with_media_template: str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, NotificationConfiguration]:
        """Change the service's notification settings; returns the new ones.

        ``new_message_*`` is Twilio's ``NewMessage.*`` (``new_message_with_media_*``:
        ``NewMessage.WithMedia.*``), ``added_to_conversation_*`` ``AddedToConversation.*``,
        ``removed_from_conversation_*`` ``RemovedFromConversation.*``. Only the parameters
        you pass are sent. Not resent after a 5xx, timeout or disconnect.
        """
        return self._call(NOTIFICATIONS_UPDATE, locals())
