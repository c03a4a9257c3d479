"""Participants of a conversation: chat (identity) and non-chat (messaging binding) ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from . import conversations, roles, users
from ._common import (
    ROLE_SID,
    JSONDict,
    TwilioError,
    check_attributes,
    check_length,
    check_pattern,
    cleared,
    form_date,
    format_date,
    invalid,
    parse_date,
)
from .conversations import ConversationEntry

if TYPE_CHECKING:
    from . import Store

MAX_ATTRIBUTES: Final = 4 * 1024
BINDING_FIELDS: Final = (
    "MessagingBinding.Address",
    "MessagingBinding.ProxyAddress",
    "MessagingBinding.ProjectedAddress",
)


@attrs.define
class Participants:
    created: int = 0
    """Participants created since the store was made."""
    missing_code: int | None = 20404
    """The code of the 404 for a participant not in its conversation (API-FACTS.md 3.3):
    20404 (generic, the most likely), 50432 ("Participant not found") or None (no code)."""


def of(store: Store) -> Participants:
    return store.parts.get(Participants)


def binding_type(address: str) -> str:
    if address.startswith("whatsapp:"):
        return "whatsapp"
    if address.startswith("rcs:"):
        return "rcs"
    return "sms"


def _in_use(owner: str) -> TwilioError:
    return TwilioError(
        409,
        50416,
        f"A binding for this participant and proxy address already exists in Conversation {owner}",
    )


def create(
    store: Store, service: str | None, form: Mapping[str, str], *, conversation: str
) -> JSONDict:
    entry = conversations.find(store, service, conversation, "Participants")
    bindings = conversations.of(store).bindings
    identity = form.get("Identity")
    address = form.get("MessagingBinding.Address")
    proxy = form.get("MessagingBinding.ProxyAddress")
    projected = form.get("MessagingBinding.ProjectedAddress")
    for field in ("Identity", *BINDING_FIELDS):
        check_length(field, form.get(field))
    check_pattern("RoleSid", form.get("RoleSid"), ROLE_SID)
    attributes = check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    roles.check_assignable(store, service, form.get("RoleSid") or None, "conversation")
    if not identity and not address:
        if projected:
            raise TwilioError(400, 50434, "Participant projected address not provided")
        raise TwilioError(400, 50411, "Participant address is empty")
    if proxy and not address:
        raise TwilioError(400, 50411, "Participant address is empty")
    if address and proxy and address == proxy:
        raise TwilioError(400, 50409, "Participant address equals proxy address")
    if identity and identity in entry.by_identity:
        raise TwilioError(409, 50433, "Participant already exists")
    if address:
        if (address, proxy) in entry.by_binding:
            raise TwilioError(409, 50437, "Group Participant already exists")
        if proxy and (address, proxy) in bindings:
            raise _in_use(bindings[(address, proxy)])
    if len(entry.participants) >= store.limits.participants_per_conversation:
        raise TwilioError(400, 50417, "Participants limit exceeded")
    if address and not identity:
        non_chat = sum(1 for p in entry.participants.values() if p["identity"] is None)
        if non_chat >= store.limits.non_chat_per_conversation:
            raise TwilioError(400, 50422, "Non-chat conversation participants limit exceeded")
    created = form_date(form, "DateCreated", store.now())
    updated = form_date(form, "DateUpdated", created)
    sid = store.new_sid("MB")
    conversation_sid = entry.record["sid"]
    binding: JSONDict | None = None
    if address or projected:
        binding = {"type": binding_type(address or projected or "")}
        if address:
            binding["address"] = address
        if proxy:
            binding["proxy_address"] = proxy
        if projected:
            binding["projected_address"] = projected
    record: JSONDict = {
        "account_sid": store.account_sid,
        "conversation_sid": conversation_sid,
        "sid": sid,
        "identity": identity,
        "attributes": attributes if attributes is not None else "{}",
        "messaging_binding": binding,
        "role_sid": form.get("RoleSid") or roles.default_sid(store, service, "conversation"),
        "date_created": format_date(created),
        "date_updated": format_date(updated),
        "url": store.url(service, "Conversations", conversation_sid, "Participants", sid),
        "last_read_message_index": None,
        "last_read_timestamp": None,
    }
    if service is not None:
        record["chat_service_sid"] = service
    entry.participants[sid] = record
    if identity:
        entry.by_identity[identity] = sid
        users.ensure(store, service, identity)  # a chat participant is backed by its user
    if address:
        entry.by_binding[(address, proxy)] = sid
        if proxy:
            bindings[(address, proxy)] = conversation_sid
    of(store).created += 1
    return record


def find(
    store: Store, service: str | None, conversation: str, key: str
) -> tuple[ConversationEntry, JSONDict]:
    """By SID or identity; 404 with the store's ``missing_participant_code`` when absent."""
    entry = conversations.find(store, service, conversation, "Participants", key)
    record = entry.participants.get(entry.by_identity.get(key, key))
    if record is None:
        code = of(store).missing_code
        if code == 50432:
            raise TwilioError(404, 50432, "Participant not found")
        path = store.resource_path(service, "Conversations", conversation, "Participants", key)
        raise TwilioError(404, code, f"The requested resource {path} was not found")
    return entry, record


def fetch(
    store: Store,
    service: str | None,
    form: Mapping[str, str],
    *,
    conversation: str,
    participant: str,
) -> JSONDict:
    return find(store, service, conversation, participant)[1]


def list_(
    store: Store, service: str | None, query: Mapping[str, str], *, conversation: str
) -> list[JSONDict]:
    entry = conversations.find(store, service, conversation, "Participants")
    return list(entry.participants.values())


def update(
    store: Store,
    service: str | None,
    form: Mapping[str, str],
    *,
    conversation: str,
    participant: str,
) -> JSONDict:
    entry, record = find(store, service, conversation, participant)
    bindings = conversations.of(store).bindings
    sid = record["sid"]
    for field in ("Identity", *BINDING_FIELDS[1:]):
        check_length(field, form.get(field))
    check_pattern("RoleSid", form.get("RoleSid"), ROLE_SID)
    attributes = check_attributes(form.get("Attributes"), MAX_ATTRIBUTES)
    roles.check_assignable(store, service, cleared(form.get("RoleSid")), "conversation")
    identity = cleared(form.get("Identity"))
    if identity and entry.by_identity.get(identity, sid) != sid:
        raise TwilioError(409, 50433, "Participant already exists")
    binding = dict(record["messaging_binding"] or {})
    address: str | None = binding.get("address")
    old_proxy: str | None = binding.get("proxy_address")
    proxy_given = "MessagingBinding.ProxyAddress" in form
    proxy = cleared(form.get("MessagingBinding.ProxyAddress")) if proxy_given else old_proxy
    if proxy_given and proxy is not None:
        if not address:
            raise TwilioError(400, 50441, "Failed to add a proxy address to a participant")
        if proxy == address:
            raise TwilioError(400, 50409, "Participant address equals proxy address")
        owner = bindings.get((address, proxy))
        if owner is not None and proxy != old_proxy:
            raise _in_use(owner)
    index: int | None = record["last_read_message_index"]
    if "LastReadMessageIndex" in form:
        text = cleared(form["LastReadMessageIndex"])
        try:
            index = None if text is None else int(text)
        except ValueError:
            raise invalid("LastReadMessageIndex", "must be an integer or null") from None
        if index is not None and index < 0:
            raise invalid("LastReadMessageIndex", "must be >= 0")
    updated = form_date(form, "DateUpdated", store.now())
    created = parse_date("DateCreated", form["DateCreated"]) if "DateCreated" in form else None
    # Every check passed: apply.
    if "Identity" in form:
        if record["identity"]:
            entry.by_identity.pop(record["identity"], None)
        record["identity"] = identity
        if identity:
            entry.by_identity[identity] = sid
            users.ensure(store, service, identity)
    if proxy_given and proxy != old_proxy and address:
        entry.by_binding.pop((address, old_proxy), None)
        if old_proxy is not None:
            bindings.pop((address, old_proxy), None)
        entry.by_binding[(address, proxy)] = sid
        if proxy is not None:
            bindings[(address, proxy)] = entry.record["sid"]
            binding["proxy_address"] = proxy
        else:
            binding.pop("proxy_address", None)
    if "MessagingBinding.ProjectedAddress" in form:
        projected = cleared(form["MessagingBinding.ProjectedAddress"])
        if projected is None:
            binding.pop("projected_address", None)
        else:
            binding.setdefault("type", binding_type(projected))
            binding["projected_address"] = projected
    if binding or record["messaging_binding"] is not None:
        record["messaging_binding"] = binding or None
    if attributes is not None:
        record["attributes"] = attributes
    if "RoleSid" in form:
        record["role_sid"] = cleared(form["RoleSid"])
    if "LastReadMessageIndex" in form:
        record["last_read_message_index"] = index
    if "LastReadTimestamp" in form:
        record["last_read_timestamp"] = cleared(form["LastReadTimestamp"])
    if created is not None:
        record["date_created"] = format_date(created)
    record["date_updated"] = format_date(updated)
    return record


def delete(
    store: Store,
    service: str | None,
    form: Mapping[str, str],
    *,
    conversation: str,
    participant: str,
) -> JSONDict:
    """Removes the participant and answers its last record (for the webhook)."""
    entry, record = find(store, service, conversation, participant)
    bindings = conversations.of(store).bindings
    if record["identity"]:
        entry.by_identity.pop(record["identity"], None)
    binding = record["messaging_binding"] or {}
    address = binding.get("address")
    if address:
        proxy = binding.get("proxy_address")
        entry.by_binding.pop((address, proxy), None)
        if proxy and bindings.get((address, proxy)) == entry.record["sid"]:
            del bindings[(address, proxy)]
    del entry.participants[record["sid"]]
    return record
