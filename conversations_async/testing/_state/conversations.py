"""Conversations: create, fetch, update, delete and list, by SID or unique name, per service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

import attrs

from . import configuration
from ._common import (
    CONVERSATION_SID_LIKE,
    MESSAGING_SERVICE_SID,
    JSONDict,
    Parts,
    TwilioError,
    check_attributes,
    check_length,
    check_pattern,
    form_date,
    format_date,
    invalid,
    later,
    not_found,
    parse_date,
    parse_duration,
)

if TYPE_CHECKING:
    from . import Store

STATES: Final = ("initializing", "inactive", "active", "closed")
MAX_ATTRIBUTES: Final = 16 * 1024
TIMERS: Final = (
    ("date_inactive", "Timers.Inactive", timedelta(minutes=1)),
    ("date_closed", "Timers.Closed", timedelta(minutes=10)),
)


@attrs.define
class ConversationEntry:
    record: JSONDict
    participants: dict[str, JSONDict] = attrs.field(factory=dict)
    """Participant SID -> record, in creation order (dicts keep insertion order)."""
    by_identity: dict[str, str] = attrs.field(factory=dict)
    by_binding: dict[tuple[str, str | None], str] = attrs.field(factory=dict)
    """(address, proxy address or None) -> participant SID."""
    parts: Parts = attrs.field(factory=Parts)
    """The state of the conversation's other sub-resources, gone with the conversation."""


@attrs.define
class Conversations:
    """Every conversation of the account, and what must be unique across them."""

    entries: dict[str, ConversationEntry] = attrs.field(factory=dict)
    unique_names: dict[tuple[str, str], str] = attrs.field(factory=dict)
    """(service SID, unique name) -> conversation SID."""
    bindings: dict[tuple[str, str], str] = attrs.field(factory=dict)
    """(address, proxy) pairs held by a non-closed conversation: global, as Twilio routes on
    them (-> the conversation's SID)."""


def of(store: Store) -> Conversations:
    return store.parts.get(Conversations)


def lookup(store: Store, service: str | None, key: str) -> ConversationEntry | None:
    """By SID or unique name, within the service; None when absent."""
    conversations = of(store)
    service_sid = store.service_sid(service)
    entry = conversations.entries.get(conversations.unique_names.get((service_sid, key), key))
    if entry is None or entry.record["chat_service_sid"] != service_sid:
        return None
    return entry


def find(store: Store, service: str | None, key: str, *below: str) -> ConversationEntry:
    """By SID or unique name, within the service; 404 / 20404 when absent.

    ``below`` (e.g. ``"Participants"``) is the part of the path that was asked for below the
    conversation: Twilio answers its generic 20404 for it too, not 50350.
    """
    entry = lookup(store, service, key)
    if entry is None:
        raise not_found(store.resource_path(service, "Conversations", key, *below))
    return entry


def check_unique_name(store: Store, service_sid: str, name: str | None, sid: str | None) -> None:
    if name is None:
        return
    check_length("UniqueName", name)
    if CONVERSATION_SID_LIKE.fullmatch(name):
        raise invalid("UniqueName", "must not match the conversation SID pattern", 50390)
    owner = of(store).unique_names.get((service_sid, name))
    if owner is not None and owner != sid:
        raise TwilioError(409, 50353, "Conversation with provided unique name already exists")


def check_state(state: str | None) -> None:
    if state is not None and state not in STATES:
        raise invalid("State", f"must be one of {', '.join(STATES)}")


def timers(form: Mapping[str, str], now: datetime) -> JSONDict:
    """The timers the form sets, as dates from ``now`` (checked before anything changes)."""
    dates: JSONDict = {}
    for key, field, minimum in TIMERS:
        if field in form:
            duration = parse_duration(field, form[field])
            if duration < minimum:
                raise invalid(field, f"must be at least {minimum}")
            dates[key] = later(field, now, duration)
    return dates


def create(store: Store, service: str | None, form: Mapping[str, str]) -> JSONDict:
    # What the account's configuration gives a conversation that names none of its own.
    form = {**configuration.conversation_defaults(store), **form}
    service_sid = store.service_sid(service)
    friendly_name = form.get("FriendlyName")
    unique_name = form.get("UniqueName")
    check_length("FriendlyName", friendly_name)
    check_unique_name(store, service_sid, unique_name, None)
    check_pattern("MessagingServiceSid", form.get("MessagingServiceSid"), MESSAGING_SERVICE_SID)
    state = form.get("State", "active")
    check_state(state)
    attributes = check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    now = store.now()
    created = form_date(form, "DateCreated", now)
    updated = form_date(form, "DateUpdated", created)
    sid = store.new_sid("CH")
    url = store.url(service, "Conversations", sid)
    bindings: JSONDict = {}
    if "Bindings.Email.Address" in form or "Bindings.Email.Name" in form:
        bindings = {
            "email": {
                "address": form.get("Bindings.Email.Address"),
                "name": form.get("Bindings.Email.Name"),
            }
        }
    record: JSONDict = {
        "account_sid": store.account_sid,
        "chat_service_sid": service_sid,
        "messaging_service_sid": form["MessagingServiceSid"],
        "sid": sid,
        "friendly_name": friendly_name,
        "unique_name": unique_name,
        "attributes": attributes if attributes is not None else "{}",
        "state": state,
        "date_created": format_date(created),
        "date_updated": format_date(updated),
        "timers": timers(form, now),
        "bindings": bindings,
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "messages": f"{url}/Messages",
            "webhooks": f"{url}/Webhooks",
            "export": f"{url}/Export",
        },
    }
    conversations = of(store)
    conversations.entries[sid] = ConversationEntry(record=record)
    if unique_name is not None:
        conversations.unique_names[(service_sid, unique_name)] = sid
    return record


def fetch(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str
) -> JSONDict:
    return find(store, service, conversation).record


def update(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str
) -> JSONDict:
    entry = find(store, service, conversation)
    record = entry.record
    service_sid = record["chat_service_sid"]
    check_length("FriendlyName", form.get("FriendlyName"))
    check_pattern("MessagingServiceSid", form.get("MessagingServiceSid"), MESSAGING_SERVICE_SID)
    attributes = check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    unique_name = form.get("UniqueName")
    check_unique_name(store, service_sid, unique_name, record["sid"])
    state = form.get("State")
    check_state(state)
    if state is not None and record["state"] == "closed" and state != "closed":
        raise invalid("State", "a closed conversation cannot be reopened")
    now = store.now()
    new_timers = timers(form, now)
    updated = form_date(form, "DateUpdated", now)
    created = parse_date("DateCreated", form["DateCreated"]) if "DateCreated" in form else None
    # Every check passed: apply.
    for field, name in (
        ("FriendlyName", "friendly_name"),
        ("MessagingServiceSid", "messaging_service_sid"),
    ):
        if field in form:
            record[name] = form[field]
    if attributes is not None:
        record["attributes"] = attributes
    if unique_name is not None:
        names = of(store).unique_names
        if record["unique_name"] is not None:
            names.pop((service_sid, record["unique_name"]), None)
        record["unique_name"] = unique_name
        names[(service_sid, unique_name)] = record["sid"]
    if new_timers:
        record["timers"] = {**record["timers"], **new_timers}
    if "Bindings.Email.Address" in form or "Bindings.Email.Name" in form:
        email = dict(record["bindings"].get("email") or {})
        if "Bindings.Email.Address" in form:
            email["address"] = form["Bindings.Email.Address"]
        if "Bindings.Email.Name" in form:
            email["name"] = form["Bindings.Email.Name"]
        record["bindings"] = {**record["bindings"], "email": email}
    if created is not None:
        record["date_created"] = format_date(created)
    record["date_updated"] = format_date(updated)
    if state is not None and state != record["state"]:
        record["state"] = state
        if state == "closed":
            record["timers"] = {}
            release_bindings(store, entry)
    return record


def release_bindings(store: Store, entry: ConversationEntry) -> None:
    """A closed or deleted conversation no longer holds its (address, proxy) pairs."""
    bindings = of(store).bindings
    sid = entry.record["sid"]
    for pair in [p for p, owner in bindings.items() if owner == sid]:
        del bindings[pair]


def delete(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str
) -> JSONDict:
    """Removes the conversation and answers its last record (for the webhook)."""
    entry = find(store, service, conversation)
    record = entry.record
    release_bindings(store, entry)
    conversations = of(store)
    if record["unique_name"] is not None:
        conversations.unique_names.pop((record["chat_service_sid"], record["unique_name"]), None)
    del conversations.entries[record["sid"]]
    return record


def list_(store: Store, service: str | None, query: Mapping[str, str]) -> list[JSONDict]:
    """Conversations of the service, filtered as Twilio's list filters do."""
    service_sid = store.service_sid(service)
    records = [
        e.record for e in of(store).entries.values() if e.record["chat_service_sid"] == service_sid
    ]
    start = parse_date("StartDate", query["StartDate"]) if "StartDate" in query else None
    end = parse_date("EndDate", query["EndDate"]) if "EndDate" in query else None
    state = query.get("State")
    check_state(state)
    if start is not None:
        records = [r for r in records if parse_date("", r["date_created"]) >= start]
    if end is not None:
        records = [r for r in records if parse_date("", r["date_created"]) <= end]
    if state is not None:
        records = [r for r in records if r["state"] == state]
    if start is not None or end is not None:
        # "sorted by latest conversation creation date in descending order" (the spec).
        records.sort(key=lambda r: r["date_created"], reverse=True)
    return records
