"""Roles of a service: Twilio's defaults in every service, the permissions Twilio documents,
and the check that a role given to a user or participant exists and is of the right type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from . import services
from ._common import JSONDict, TwilioError, check_length, format_date, invalid, not_found

if TYPE_CHECKING:
    from . import Store

TYPES: Final = ("conversation", "service")
PERMISSIONS: Final = frozenset(
    {
        *("addParticipant", "addNonChatParticipant", "removeParticipant"),
        *("deleteConversation", "editConversationName", "editConversationAttributes"),
        *("editOwnMessage", "editAnyMessage", "editOwnMessageAttributes"),
        *("editAnyMessageAttributes", "deleteOwnMessage", "deleteAnyMessage"),
        *("editOwnParticipantAttributes", "editAnyParticipantAttributes"),
        *("sendMessage", "sendMediaMessage", "leaveConversation", "editNotificationLevel"),
        *("createConversation", "joinConversation", "editOwnUserInfo", "editAnyUserInfo"),
    }
)
"""Every permission name Twilio documents for Conversations roles. Which ones a type takes is
not checked: Twilio's pages do not say for certain, so none is refused for its type."""

DEFAULT_ROLES: Final = (
    (
        "service admin",
        "service",
        (
            *("addParticipant", "createConversation", "deleteAnyMessage", "deleteConversation"),
            *("editAnyMessage", "editAnyMessageAttributes", "editAnyParticipantAttributes"),
            *("editAnyUserInfo", "editConversationAttributes", "editConversationName"),
            *("joinConversation", "removeParticipant"),
        ),
    ),
    ("service user", "service", ("createConversation", "editOwnUserInfo", "joinConversation")),
    (
        "channel admin",
        "conversation",
        (
            *("addParticipant", "deleteAnyMessage", "deleteConversation", "editAnyMessage"),
            *("editAnyMessageAttributes", "editAnyParticipantAttributes"),
            *("editConversationAttributes", "editConversationName", "editNotificationLevel"),
            *("leaveConversation", "removeParticipant", "sendMediaMessage", "sendMessage"),
        ),
    ),
    (
        "channel user",
        "conversation",
        (
            *("sendMessage", "sendMediaMessage", "leaveConversation"),
            *("editOwnMessage", "deleteOwnMessage"),
        ),
    ),
)
"""The roles every service starts with (Twilio's Conversations pages list none; these are
Programmable Chat's documented defaults in Conversations' names, and the spec's example role)."""
DEFAULT_FOR: Final = {
    "service": "service user",
    "conversation": "channel user",
    "conversation_creator": "channel admin",
}
"""Which default role Twilio gives: a new user (``service``), a new participant
(``conversation``) and the participant who creates a conversation (``conversation_creator``)."""
MAX_FRIENDLY_NAME: Final = 64


@attrs.define
class Roles:
    """The roles of one service (in its entry's parts: gone with the service)."""

    records: dict[str, JSONDict] = attrs.field(factory=dict)
    defaults: dict[str, str] = attrs.field(factory=dict)
    """``DEFAULT_FOR``'s keys -> role SID (a deleted default is given no more)."""
    seeded: bool = False


def of(store: Store, service: str | None) -> Roles:
    """The roles of the scope's service, its default roles made on first use."""
    roles = services.entry(store, service).parts.get(Roles)
    if not roles.seeded:
        roles.seeded = True
        by_name = {}
        for name, type_, permissions in DEFAULT_ROLES:
            form = {"FriendlyName": name, "Type": type_}
            by_name[name] = _add(store, service, roles, form, list(permissions))["sid"]
        roles.defaults = {kind: by_name[name] for kind, name in DEFAULT_FOR.items()}
    return roles


def default_sid(store: Store, service: str | None, kind: str) -> str | None:
    """The role a new user (``kind`` ``service``) or participant (``conversation``) gets."""
    return of(store, service).defaults.get(kind)


def check_assignable(store: Store, service: str | None, sid: str | None, type_: str) -> None:
    """A role given to a participant (``type_`` conversation: 50109 otherwise) or to a user
    (service: 50100) exists in the service and is of that type (400 otherwise)."""
    if sid is None:
        return
    record = of(store, service).records.get(sid)
    if record is None or record["type"] != type_:
        if type_ == "conversation":
            raise TwilioError(400, 50109, f"Conversation role not found: {sid}")
        raise TwilioError(400, 50100, f"Role not found: {sid}")


def _permissions(values: list[str]) -> list[str]:
    if not values:
        raise TwilioError(400, 20001, "Missing required parameter Permission")
    unknown = sorted({value for value in values if value not in PERMISSIONS})
    if unknown:
        raise invalid("Permission", f"unknown permission {', '.join(unknown)}")
    return list(dict.fromkeys(values))  # in the order given, each once


def _add(
    store: Store, service: str | None, roles: Roles, form: Mapping[str, str], permissions: list[str]
) -> JSONDict:
    created = store.now()
    sid = store.new_sid("RL")
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "chat_service_sid": store.service_sid(service),
        "friendly_name": form["FriendlyName"],
        "type": form["Type"],
        "permissions": permissions,
        "date_created": format_date(created),
        "date_updated": format_date(created),
        "url": store.url(service, "Roles", sid),
    }
    roles.records[sid] = record
    return record


def find(store: Store, service: str | None, key: str) -> JSONDict:
    record = of(store, service).records.get(key)
    if record is None:
        raise not_found(store.resource_path(service, "Roles", key))
    return record


def create(store: Store, service: str | None, form: Mapping[str, str]) -> JSONDict:
    roles = of(store, service)
    name = form.get("FriendlyName")
    if not name:
        raise TwilioError(400, 20001, "Missing required parameter FriendlyName")
    check_length("FriendlyName", name, MAX_FRIENDLY_NAME)
    type_ = form.get("Type")
    if type_ is None:
        raise TwilioError(400, 20001, "Missing required parameter Type")
    if type_ not in TYPES:
        raise invalid("Type", "must be conversation or service")
    permissions = _permissions(_getall(form, "Permission"))
    return _add(store, service, roles, {"FriendlyName": name, "Type": type_}, permissions)


def fetch(store: Store, service: str | None, form: Mapping[str, str], *, role: str) -> JSONDict:
    return find(store, service, role)


def update(store: Store, service: str | None, form: Mapping[str, str], *, role: str) -> JSONDict:
    """The permissions given replace the role's (its name and type stay)."""
    record = find(store, service, role)
    record["permissions"] = _permissions(_getall(form, "Permission"))
    record["date_updated"] = format_date(store.now())
    return record


def delete(store: Store, service: str | None, form: Mapping[str, str], *, role: str) -> JSONDict:
    """Removes the role. Users and participants that have it keep its SID (Twilio's docs are
    silent); a deleted default role is no longer given to new ones."""
    roles = of(store, service)
    record = find(store, service, role)
    del roles.records[record["sid"]]
    roles.defaults = {k: v for k, v in roles.defaults.items() if v != record["sid"]}
    return record


def list_(store: Store, service: str | None, query: Mapping[str, str]) -> list[JSONDict]:
    return list(of(store, service).records.values())


def _getall(form: Mapping[str, str], name: str) -> list[str]:
    getall = getattr(form, "getall", None)  # a Form keeps every value of a repeated key
    if getall is not None:
        values: list[str] = getall(name)
        return values
    return [form[name]] if name in form else []
