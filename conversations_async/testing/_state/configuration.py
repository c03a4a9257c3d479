"""The account's configuration (its default Conversation Service and Messaging Service, the
default timers), each service's configuration (default roles, reachability) and each
service's push notification settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from . import roles as role_state
from . import services as service_state
from ._common import (
    MESSAGING_SERVICE_SID,
    ROLE_SID,
    SERVICE_SID,
    Form,
    JSONDict,
    check_pattern,
    invalid,
    parse_duration,
)

if TYPE_CHECKING:
    from . import Store

TIMERS: Final = (
    ("DefaultInactiveTimer", "default_inactive_timer", 1),
    ("DefaultClosedTimer", "default_closed_timer", 10),
)
"""Form field, record key, Twilio's minimum in minutes."""
ROLES: Final = (
    ("DefaultConversationCreatorRoleSid", "default_conversation_creator_role_sid"),
    ("DefaultConversationRoleSid", "default_conversation_role_sid"),
    ("DefaultChatServiceRoleSid", "default_chat_service_role_sid"),
)
"""Form field, record key: the role a conversation's creator, a new participant and a new
user get."""
ROLE_KINDS: Final = {
    "default_conversation_creator_role_sid": ("conversation_creator", "conversation"),
    "default_conversation_role_sid": ("conversation", "conversation"),
    "default_chat_service_role_sid": ("service", "service"),
}
"""Record key -> (the roles state's default kind, the role type it must have)."""
NOTIFICATIONS: Final = (
    # form field, (record keys), True for a boolean
    ("LogEnabled", ("log_enabled",), True),
    ("NewMessage.Enabled", ("new_message", "enabled"), True),
    ("NewMessage.Template", ("new_message", "template"), False),
    ("NewMessage.Sound", ("new_message", "sound"), False),
    ("NewMessage.BadgeCountEnabled", ("new_message", "badge_count_enabled"), True),
    ("NewMessage.WithMedia.Enabled", ("new_message", "with_media", "enabled"), True),
    ("NewMessage.WithMedia.Template", ("new_message", "with_media", "template"), False),
    ("AddedToConversation.Enabled", ("added_to_conversation", "enabled"), True),
    ("AddedToConversation.Template", ("added_to_conversation", "template"), False),
    ("AddedToConversation.Sound", ("added_to_conversation", "sound"), False),
    ("RemovedFromConversation.Enabled", ("removed_from_conversation", "enabled"), True),
    ("RemovedFromConversation.Template", ("removed_from_conversation", "template"), False),
    ("RemovedFromConversation.Sound", ("removed_from_conversation", "sound"), False),
)


def _new_notifications() -> JSONDict:
    """A service's push settings before any update: every push off ("The default is false")."""
    push = {"enabled": False, "template": None, "sound": None}
    return {
        "log_enabled": False,
        "new_message": {
            **push,
            "badge_count_enabled": False,
            "with_media": {"enabled": False, "template": None},
        },
        "added_to_conversation": dict(push),
        "removed_from_conversation": dict(push),
    }


@attrs.define
class Settings:
    """The account's settings, and each service's (by SID, made on first use)."""

    messaging_service: str | None = None
    timers: dict[str, str | None] = attrs.field(factory=lambda: {key: None for _, key, _ in TIMERS})
    services: dict[str, JSONDict] = attrs.field(factory=dict)
    notifications: dict[str, JSONDict] = attrs.field(factory=dict)


def of(store: Store) -> Settings:
    return store.parts.get(Settings)


def flag(field: str, value: str) -> bool:
    """A form boolean: ``true`` or ``false`` (400 / 20001 otherwise)."""
    if value.lower() not in ("true", "false"):
        raise invalid(field, "must be true or false")
    return value.lower() == "true"


# -- the account's -------------------------------------------------------------------------


def _account(store: Store) -> JSONDict:
    settings = of(store)
    if settings.messaging_service is None:  # every account has a default Messaging Service
        settings.messaging_service = store.new_sid("MG")
    service = store.default_service
    return {
        "account_sid": store.account_sid,
        "default_chat_service_sid": service,
        "default_messaging_service_sid": settings.messaging_service,
        **settings.timers,
        "url": store.url(None, "Configuration"),
        "links": {
            "service": store.url(service, "Configuration"),
            "webhooks": store.url(None, "Configuration", "Webhooks"),
        },
    }


def conversation_defaults(store: Store) -> dict[str, str]:
    """The fields a new conversation takes from the account's configuration: its default
    Messaging Service, and the default timers once they are set."""
    account = _account(store)
    defaults = {"MessagingServiceSid": account["default_messaging_service_sid"]}
    for field, key in (
        ("Timers.Inactive", "default_inactive_timer"),
        ("Timers.Closed", "default_closed_timer"),
    ):
        if account[key] is not None:
            defaults[field] = account[key]
    return defaults


def fetch_account(store: Store, service: str | None, form: Form) -> JSONDict:
    return _account(store)


def update_account(store: Store, service: str | None, form: Form) -> JSONDict:
    """Checks everything, then applies: a refused update changes nothing. A new default
    Conversation Service becomes the account scope's (``/v1/Conversations``, …)."""
    settings = of(store)
    check_pattern("DefaultChatServiceSid", form.get("DefaultChatServiceSid"), SERVICE_SID)
    check_pattern(
        "DefaultMessagingServiceSid", form.get("DefaultMessagingServiceSid"), MESSAGING_SERVICE_SID
    )
    if "DefaultChatServiceSid" in form:
        service_state.require(store, form["DefaultChatServiceSid"])  # 404 unless it exists
    timers = {}
    for field, key, minutes in TIMERS:
        if field in form:
            if parse_duration(field, form[field]).total_seconds() < minutes * 60:
                raise invalid(field, f"must be at least {minutes} minutes")
            timers[key] = form[field]
    _account(store)  # the default Messaging Service exists before it is replaced
    if "DefaultChatServiceSid" in form:
        store.default_service = form["DefaultChatServiceSid"]
    if "DefaultMessagingServiceSid" in form:
        settings.messaging_service = form["DefaultMessagingServiceSid"]
    settings.timers.update(timers)
    return _account(store)


# -- a service's ---------------------------------------------------------------------------


def configured(store: Store, service: str) -> JSONDict:
    """A service's configuration values: its default roles (those the roles state gives new
    users and participants) and reachability, off until set."""
    services = of(store).services
    values = services.setdefault(service, {"reachability_enabled": False})
    defaults = role_state.of(store, service).defaults
    return {key: defaults.get(kind) for key, (kind, _) in ROLE_KINDS.items()} | values


def _service(store: Store, service: str) -> JSONDict:
    return {
        "chat_service_sid": service,
        **configured(store, service),
        "url": store.url(service, "Configuration"),
        "links": {
            "notifications": store.url(service, "Configuration", "Notifications"),
            "webhooks": store.url(service, "Configuration", "Webhooks"),
        },
    }


def fetch_service(store: Store, service: str | None, form: Form) -> JSONDict:
    assert service is not None
    return _service(store, service)


def update_service(store: Store, service: str | None, form: Form) -> JSONDict:
    assert service is not None
    chosen: dict[str, str] = {}
    for field, key in ROLES:
        if field in form:
            check_pattern(field, form[field], ROLE_SID)
            kind, type_ = ROLE_KINDS[key]
            # The role must exist in the service, with the type its use needs (50109 / 50100).
            role_state.check_assignable(store, service, form[field], type_)
            chosen[kind] = form[field]
    reachability = None
    if "ReachabilityEnabled" in form:
        reachability = flag("ReachabilityEnabled", form["ReachabilityEnabled"])
    # Checked in full before anything changes.
    role_state.of(store, service).defaults.update(chosen)
    if reachability is not None:
        of(store).services.setdefault(service, {})["reachability_enabled"] = reachability
    return _service(store, service)


# -- a service's push notifications --------------------------------------------------------


def _notifications(store: Store, service: str) -> JSONDict:
    return of(store).notifications.setdefault(service, _new_notifications())


def _answer(store: Store, service: str) -> JSONDict:
    return {
        "account_sid": store.account_sid,
        "chat_service_sid": service,
        **_notifications(store, service),
        "url": store.url(service, "Configuration", "Notifications"),
    }


def fetch_notifications(store: Store, service: str | None, form: Form) -> JSONDict:
    assert service is not None
    return _answer(store, service)


def update_notifications(store: Store, service: str | None, form: Form) -> JSONDict:
    assert service is not None
    changes = []
    for field, keys, boolean in NOTIFICATIONS:
        if field in form:
            changes.append((keys, flag(field, form[field]) if boolean else form[field]))
    values = _notifications(store, service)
    for keys, value in changes:
        target = values
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return _answer(store, service)
