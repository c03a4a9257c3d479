"""Address configurations of the account: one per address (reached by SID or by the address
itself), each saying whether a message to it creates a conversation, and what that gets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import attrs

from ._common import (
    SERVICE_SID,
    Form,
    JSONDict,
    TwilioError,
    check_length,
    check_pattern,
    format_date,
    invalid,
    not_found,
)
from .configuration import flag
from .webhooks import FLOW_SID, SCOPED_EVENTS

if TYPE_CHECKING:
    from . import Store

TYPES: Final = ("sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat")
AUTO_CREATION_TYPES: Final = ("webhook", "studio", "default")
OWN_FIELDS: Final = {
    "webhook": (
        ("AutoCreation.WebhookUrl", "webhook_url"),
        ("AutoCreation.WebhookMethod", "webhook_method"),
        ("AutoCreation.WebhookFilters", "webhook_filters"),
    ),
    "studio": (
        ("AutoCreation.StudioFlowSid", "studio_flow_sid"),
        ("AutoCreation.StudioRetryCount", "studio_retry_count"),
    ),
    "default": (),
}
"""The fields each auto-creation type has ("For type webhook, …"); another type's are ignored."""
NEEDED: Final = {"webhook": "webhook_url", "studio": "studio_flow_sid"}
_URL: Final = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)


@attrs.define
class Addresses:
    records: dict[str, JSONDict] = attrs.field(factory=dict)
    """Configuration SID -> record, in creation order."""
    by_address: dict[str, str] = attrs.field(factory=dict)


def of(store: Store) -> Addresses:
    return store.parts.get(Addresses)


def find(store: Store, key: str) -> JSONDict:
    """By SID or by address; 404 / 20404 when neither."""
    addresses = of(store)
    record = addresses.records.get(addresses.by_address.get(key, key))
    if record is None:
        raise not_found(store.resource_path(None, "Configuration", "Addresses", key))
    return record


def _value(form: Form, field: str) -> object:
    """One auto-creation field of the form, checked, as the record holds it."""
    text = form[field]
    if field == "AutoCreation.WebhookUrl":
        if not _URL.match(text):
            raise invalid(field, "must be an absolute http(s) URL")
        return text
    if field == "AutoCreation.WebhookMethod":
        if text.lower() not in ("get", "post"):
            raise invalid(field, "must be get or post")
        return text.upper()  # Twilio answers "POST" for "post"
    if field == "AutoCreation.WebhookFilters":
        events = form.getall(field)
        for event in events:
            if event not in SCOPED_EVENTS:
                raise invalid(field, f"{event!r} is not a conversation webhook event")
        return events
    if field == "AutoCreation.StudioFlowSid":
        check_pattern(field, text, FLOW_SID)
        return text
    try:  # AutoCreation.StudioRetryCount
        count = int(text)
    except ValueError:
        raise invalid(field, "must be an integer") from None
    if count < 0:
        raise invalid(field, "must be >= 0")
    return count


def _auto_creation(form: Form, old: JSONDict) -> JSONDict:
    """The new auto-creation settings: the old ones with the form's changes (a new type keeps
    only its own fields)."""
    kind = str(form.get("AutoCreation.Type", old["type"])).lower()
    if kind not in AUTO_CREATION_TYPES:
        raise invalid("AutoCreation.Type", "must be webhook, studio or default")
    made: JSONDict = {"enabled": old["enabled"], "type": kind}
    if "AutoCreation.Enabled" in form:
        made["enabled"] = flag("AutoCreation.Enabled", form["AutoCreation.Enabled"])
    service = form.get("AutoCreation.ConversationServiceSid", old.get("conversation_service_sid"))
    if service is not None:
        check_pattern("AutoCreation.ConversationServiceSid", service, SERVICE_SID)
        made["conversation_service_sid"] = service
    for field, key in OWN_FIELDS[kind]:
        if field in form:
            made[key] = _value(form, field)
        elif key in old and old["type"] == kind:
            made[key] = old[key]
    needed = NEEDED.get(kind)
    if needed is not None and needed not in made:
        raise TwilioError(400, 20001, f"A {kind} auto-creation needs AutoCreation.{needed}")
    if kind == "webhook":
        made.setdefault("webhook_method", "POST")
    return made


def create(store: Store, service: str | None, form: Form) -> JSONDict:
    for field in ("Type", "Address"):
        if not form.get(field):
            raise TwilioError(400, 20001, f"Missing required parameter {field} in the post body")
    kind, address = form["Type"], form["Address"]
    if kind.lower() not in TYPES:
        raise invalid("Type", f"must be one of {', '.join(TYPES)}")
    check_length("FriendlyName", form.get("FriendlyName"))
    addresses = of(store)
    if address in addresses.by_address:
        # Twilio's code for a second configuration of one address is UNCONFIRMED.
        raise TwilioError(409, None, f"An address configuration for {address} already exists")
    auto_creation = _auto_creation(form, {"enabled": False, "type": "default"})
    now = format_date(store.now())
    sid = store.new_sid("IG")
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "address": address,
        "type": kind,  # as sent: Twilio's example answers "whAtsAPP" for "whAtsAPP"
        "friendly_name": form.get("FriendlyName"),
        "address_country": form.get("AddressCountry"),
        "auto_creation": auto_creation,
        "date_created": now,
        "date_updated": now,
        "url": store.url(None, "Configuration", "Addresses", sid),
    }
    addresses.records[sid] = record
    addresses.by_address[address] = sid
    return record


def fetch(store: Store, service: str | None, form: Form, *, address: str) -> JSONDict:
    return find(store, address)


def update(store: Store, service: str | None, form: Form, *, address: str) -> JSONDict:
    record = find(store, address)
    check_length("FriendlyName", form.get("FriendlyName"))
    auto_creation = _auto_creation(form, record["auto_creation"])
    if "FriendlyName" in form:
        record["friendly_name"] = form["FriendlyName"]
    record["auto_creation"] = auto_creation
    record["date_updated"] = format_date(store.now())
    return record


def delete(store: Store, service: str | None, form: Form, *, address: str) -> JSONDict:
    record = find(store, address)
    addresses = of(store)
    del addresses.records[record["sid"]], addresses.by_address[record["address"]]
    return record


def list_(store: Store, service: str | None, query: Form) -> list[JSONDict]:
    records = list(of(store).records.values())
    kind = query.get("Type")
    if kind is None:
        return records
    return [r for r in records if r["type"].lower() == kind.lower()]
