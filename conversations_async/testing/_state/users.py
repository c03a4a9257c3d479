"""Users of a service, by SID or identity: made by REST, or when a chat participant of an
identity the service does not know yet is added (the User resource page: every chat
participant is backed by a User)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from . import conversations, roles, services
from ._common import (
    JSONDict,
    TwilioError,
    check_attributes,
    check_length,
    cleared,
    format_date,
    not_found,
)

if TYPE_CHECKING:
    from . import Store

MAX_ATTRIBUTES: Final = 16 * 1024
"""Twilio documents no limit for a user's attributes: the largest Conversations has (16 KB)."""


@attrs.define
class Users:
    """The users of one service (in its entry's parts: gone with the service)."""

    records: dict[str, JSONDict] = attrs.field(factory=dict)
    """User SID -> record, in creation order."""
    by_identity: dict[str, str] = attrs.field(factory=dict)


def of(store: Store, service: str | None) -> Users:
    return services.entry(store, service).parts.get(Users)


def lookup(store: Store, service: str | None, key: str) -> JSONDict | None:
    """By SID or identity, within the service; None when absent."""
    users = of(store, service)
    return users.records.get(users.by_identity.get(key, key))


def find(store: Store, service: str | None, key: str, *below: str) -> JSONDict:
    """By SID or identity; 404 / 20404 when absent (``below``: the rest of the path asked)."""
    record = lookup(store, service, key)
    if record is None:
        raise not_found(store.resource_path(service, "Users", key, *below))
    return record


def _add(store: Store, service: str | None, identity: str, form: Mapping[str, str]) -> JSONDict:
    users = of(store, service)
    now = format_date(store.now())
    sid = store.new_sid("US")
    url = store.url(service, "Users", sid)
    attributes = check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "chat_service_sid": store.service_sid(service),
        "role_sid": form.get("RoleSid") or roles.default_sid(store, service, "service"),
        "identity": identity,
        "friendly_name": form.get("FriendlyName"),
        "attributes": attributes if attributes is not None else "{}",
        # Reachability is off in the emulator: Twilio answers null then.
        "is_online": None,
        "is_notifiable": None,
        "date_created": now,
        "date_updated": now,
        "url": url,
        "links": {"user_conversations": f"{url}/Conversations"},
    }
    users.records[sid] = record
    users.by_identity[identity] = sid
    return record


def ensure(store: Store, service: str | None, identity: str) -> JSONDict:
    """The user of ``identity``, made (with the default role) when the service has none."""
    return lookup(store, service, identity) or _add(store, service, identity, {})


def create(store: Store, service: str | None, form: Mapping[str, str]) -> JSONDict:
    identity = form.get("Identity")
    if not identity:
        raise TwilioError(400, 20001, "Missing required parameter Identity")
    check_length("Identity", identity)
    check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    roles.check_assignable(store, service, form.get("RoleSid"), "service")
    if identity in of(store, service).by_identity:
        raise TwilioError(409, 50201, "User already exists")
    return _add(store, service, identity, form)


def fetch(store: Store, service: str | None, form: Mapping[str, str], *, user: str) -> JSONDict:
    return find(store, service, user)


def update(store: Store, service: str | None, form: Mapping[str, str], *, user: str) -> JSONDict:
    record = find(store, service, user)
    attributes = check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    role_sid = cleared(form.get("RoleSid")) if "RoleSid" in form else record["role_sid"]
    if "RoleSid" in form:
        roles.check_assignable(store, service, role_sid, "service")
    # Every check passed: apply.
    if "FriendlyName" in form:
        record["friendly_name"] = form["FriendlyName"]
    if attributes is not None:
        record["attributes"] = attributes
    record["role_sid"] = role_sid
    record["date_updated"] = format_date(store.now())
    return record


def delete(store: Store, service: str | None, form: Mapping[str, str], *, user: str) -> JSONDict:
    """Removes the user and, with it, its participants in the service's conversations: a chat
    participant is backed by its user (Twilio's docs are silent on what a delete does to them;
    the emulator keeps no participant without its user)."""
    from . import participants  # participants imports this module

    record = find(store, service, user)
    identity = record["identity"]
    service_sid = store.service_sid(service)
    for entry in list(conversations.of(store).entries.values()):
        if entry.record["chat_service_sid"] == service_sid and identity in entry.by_identity:
            participants.delete(
                store, service, {}, conversation=entry.record["sid"], participant=identity
            )
    users = of(store, service)
    del users.records[record["sid"]]
    users.by_identity.pop(identity, None)
    return record


def list_(store: Store, service: str | None, query: Mapping[str, str]) -> list[JSONDict]:
    # A read action answers null for the reachability fields (the spec).
    return list(of(store, service).records.values())


def webhook_params(event_type: str, record: JSONDict) -> dict[str, str]:
    """The form parameters of a user webhook (``onUserAdded``, ``onUserUpdated``)."""
    params = {
        "EventType": event_type,
        "Source": "API",
        "AccountSid": record["account_sid"],
        "ChatServiceSid": record["chat_service_sid"],
        "UserSid": record["sid"],
        "Identity": record["identity"],
        "Attributes": record["attributes"],
        "DateCreated": record["date_created"],
    }
    if event_type != "onUserAdded":
        params["DateUpdated"] = record["date_updated"]
    for key, field in (("FriendlyName", "friendly_name"), ("RoleSid", "role_sid")):
        if record.get(field) is not None:
            params[key] = record[field]
    return params
