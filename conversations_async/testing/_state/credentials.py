"""Push credentials of the account. Their secrets (certificate, private key, API key, server
key) are kept apart from the record and never answered, as Twilio's Credential has no field
for any of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from ._common import Form, JSONDict, TwilioError, check_length, format_date, invalid, not_found
from .configuration import flag

if TYPE_CHECKING:
    from . import Store

TYPES: Final = ("apn", "gcm", "fcm")
SECRETS: Final = {
    "apn": ("Certificate", "PrivateKey"),
    "gcm": ("ApiKey",),
    "fcm": ("Secret",),
}
"""What each type needs (its other fields are ignored, as for any type they are not for)."""
MAX_FRIENDLY_NAME: Final = 64


@attrs.define
class Credentials:
    records: dict[str, JSONDict] = attrs.field(factory=dict)
    """Credential SID -> record, in creation order."""
    secrets: dict[str, dict[str, str]] = attrs.field(factory=dict)
    """Credential SID -> its secrets by form field (``Certificate``, …): kept, never answered."""


def of(store: Store) -> Credentials:
    return store.parts.get(Credentials)


def find(store: Store, credential: str) -> JSONDict:
    record = of(store).records.get(credential)
    if record is None:
        raise not_found(store.resource_path(None, "Credentials", credential))
    return record


def _type(value: str) -> str:
    # Twilio's examples send "GcM" and answer "gcm".
    kind = value.lower()
    if kind not in TYPES:
        raise invalid("Type", f"must be one of {', '.join(TYPES)}")
    return kind


def _apply(record: JSONDict, kept: dict[str, str], form: Form) -> None:
    """Check the form against the record it changes, then apply it (or change nothing)."""
    kind = _type(form["Type"]) if "Type" in form else record["type"]
    name = form.get("FriendlyName", record["friendly_name"])
    check_length("FriendlyName", name, MAX_FRIENDLY_NAME)
    sandbox = flag("Sandbox", form["Sandbox"]) if "Sandbox" in form else None
    secrets = {field: form[field] for field in SECRETS[kind] if field in form}
    for field in SECRETS[kind]:
        if not (secrets.get(field) or kept.get(field)):
            # Twilio's answer to an fcm credential without Secret (its text, not its code, is
            # UNCONFIRMED for the other types).
            raise TwilioError(
                400, 20001, f"Cannot create credentials record. '{field}' must be present"
            )
    if kind != record["type"]:
        kept.clear()  # another type's secrets are of no use
    kept.update(secrets)
    record["type"] = kind
    record["friendly_name"] = name
    if sandbox is not None and kind == "apn":
        record["sandbox"] = "True" if sandbox else "False"


def create(store: Store, service: str | None, form: Form) -> JSONDict:
    if "Type" not in form:
        raise TwilioError(400, 20001, "Missing required parameter Type in the post body")
    now = format_date(store.now())
    sid = store.new_sid("CR")
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "friendly_name": None,
        "type": None,
        "sandbox": "False",
        "date_created": now,
        "date_updated": now,
        "url": store.url(None, "Credentials", sid),
    }
    kept: dict[str, str] = {}
    _apply(record, kept, form)
    credentials = of(store)
    credentials.records[sid] = record
    credentials.secrets[sid] = kept
    return record


def fetch(store: Store, service: str | None, form: Form, *, credential: str) -> JSONDict:
    return find(store, credential)


def update(store: Store, service: str | None, form: Form, *, credential: str) -> JSONDict:
    record = find(store, credential)
    changed = dict(record)
    kept = dict(of(store).secrets[credential])
    _apply(changed, kept, form)
    changed["date_updated"] = format_date(store.now())
    record.update(changed)
    of(store).secrets[credential] = kept
    return record


def delete(store: Store, service: str | None, form: Form, *, credential: str) -> JSONDict:
    record = find(store, credential)
    credentials = of(store)
    del credentials.records[credential], credentials.secrets[credential]
    return record


def list_(store: Store, service: str | None, query: Form) -> list[JSONDict]:
    return list(of(store).records.values())
