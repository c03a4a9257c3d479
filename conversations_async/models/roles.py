"""Role records: what users (service roles) and participants (conversation roles) may do."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._record import Linked, OpenEnum, url_text


class RoleType(OpenEnum):
    """A role's scope: ``service`` (assigned to users) or ``conversation`` (to participants)."""

    CONVERSATION = "conversation"
    SERVICE = "service"


class RolePermission(OpenEnum):
    """The permission names Twilio documents for Conversations roles (``Permission``).

    Some belong to service roles (``createConversation``, ``joinConversation``, the user-info
    ones), some to conversation roles (``sendMessage``, ``leaveConversation``, ...); Twilio
    checks which a role's type takes. A permission Twilio adds later is sent as
    ``RolePermission("newName")``.
    """

    ADD_PARTICIPANT = "addParticipant"
    ADD_NON_CHAT_PARTICIPANT = "addNonChatParticipant"
    REMOVE_PARTICIPANT = "removeParticipant"
    DELETE_CONVERSATION = "deleteConversation"
    EDIT_CONVERSATION_NAME = "editConversationName"
    EDIT_CONVERSATION_ATTRIBUTES = "editConversationAttributes"
    EDIT_OWN_MESSAGE = "editOwnMessage"
    EDIT_ANY_MESSAGE = "editAnyMessage"
    EDIT_OWN_MESSAGE_ATTRIBUTES = "editOwnMessageAttributes"
    EDIT_ANY_MESSAGE_ATTRIBUTES = "editAnyMessageAttributes"
    DELETE_OWN_MESSAGE = "deleteOwnMessage"
    DELETE_ANY_MESSAGE = "deleteAnyMessage"
    EDIT_OWN_PARTICIPANT_ATTRIBUTES = "editOwnParticipantAttributes"
    EDIT_ANY_PARTICIPANT_ATTRIBUTES = "editAnyParticipantAttributes"
    SEND_MESSAGE = "sendMessage"
    SEND_MEDIA_MESSAGE = "sendMediaMessage"
    LEAVE_CONVERSATION = "leaveConversation"
    EDIT_NOTIFICATION_LEVEL = "editNotificationLevel"
    CREATE_CONVERSATION = "createConversation"
    JOIN_CONVERSATION = "joinConversation"
    EDIT_OWN_USER_INFO = "editOwnUserInfo"
    EDIT_ANY_USER_INFO = "editAnyUserInfo"


@attrs.frozen(kw_only=True)
class Role(Linked):
    """A set of permissions, for users (``type`` service) or participants (conversation)."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    friendly_name: str | None = None
    type: RoleType | None = None
    permissions: tuple[RolePermission, ...] | None = None
    """The permissions granted (each equal to Twilio's name: ``"sendMessage"``, ...)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
