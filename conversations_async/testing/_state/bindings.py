"""Push bindings of each service's users. The client SDKs register them (there is no REST
create), so the emulator's :meth:`~conversations_async.testing.Emulator.register_binding`
plays that part; REST reads and deletes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import attrs

from . import credentials
from ._common import Form, JSONDict, TwilioError, format_date, invalid, not_found

if TYPE_CHECKING:
    from . import Store

TYPES: Final = ("apn", "gcm", "fcm", "twilsock")
MESSAGE_TYPES: Final = ("removed_from_conversation", "new_message", "added_to_conversation")
"""What a binding subscribes to unless told otherwise (Twilio's example)."""


@attrs.define
class Bindings:
    records: dict[str, JSONDict] = attrs.field(factory=dict)
    """Binding SID -> record, in registration order (every service's)."""


def of(store: Store) -> Bindings:
    return store.parts.get(Bindings)


def register(
    store: Store,
    service: str | None,
    identity: str,
    binding_type: str,
    credential_sid: str | None = None,
    *,
    endpoint: str | None = None,
    message_types: Sequence[str] = MESSAGE_TYPES,
) -> JSONDict:
    """What a client SDK's push registration does: a binding of ``identity``'s device. The
    same endpoint registered again replaces its binding. A push binding names an existing
    credential of its own type; a ``twilsock`` one needs none."""
    if binding_type not in TYPES:
        raise invalid("BindingType", f"must be one of {', '.join(TYPES)}")
    if binding_type != "twilsock":
        if credential_sid is None:
            raise invalid("CredentialSid", f"a binding of type {binding_type} needs one")
        kind = credentials.find(store, credential_sid)["type"]
        if kind != binding_type:
            raise TwilioError(
                400, 52003, f"Can not use credentialType='{kind}' for {binding_type} bindings"
            )
    service_sid = store.service_sid(service)
    endpoint = endpoint or f"{identity}-{binding_type}-endpoint"
    bindings = of(store).records
    for sid, old in list(bindings.items()):
        if old["chat_service_sid"] == service_sid and old["endpoint"] == endpoint:
            del bindings[sid]
    now = format_date(store.now())
    sid = store.new_sid("BS")
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "chat_service_sid": service_sid,
        "credential_sid": credential_sid,
        "date_created": now,
        "date_updated": now,
        "endpoint": endpoint,
        "identity": identity,
        "binding_type": binding_type,
        "message_types": list(message_types),
        "url": store.url(service_sid, "Bindings", sid),
    }
    bindings[sid] = record
    return record


def find(store: Store, service: str | None, binding: str) -> JSONDict:
    record = of(store).records.get(binding)
    if record is None or record["chat_service_sid"] != store.service_sid(service):
        raise not_found(store.resource_path(service, "Bindings", binding))
    return record


def fetch(store: Store, service: str | None, form: Form, *, binding: str) -> JSONDict:
    return find(store, service, binding)


def delete(store: Store, service: str | None, form: Form, *, binding: str) -> JSONDict:
    return of(store).records.pop(find(store, service, binding)["sid"])


def list_(store: Store, service: str | None, query: Form) -> list[JSONDict]:
    """The service's bindings of any of the ``BindingType`` values and any of the
    ``Identity`` values given."""
    kinds = query.getall("BindingType")
    for kind in kinds:
        if kind not in TYPES:
            raise invalid("BindingType", f"must be one of {', '.join(TYPES)}")
    identities = query.getall("Identity")
    service_sid = store.service_sid(service)
    return [
        record
        for record in of(store).records.values()
        if record["chat_service_sid"] == service_sid
        and (not kinds or record["binding_type"] in kinds)
        and (not identities or record["identity"] in identities)
    ]
