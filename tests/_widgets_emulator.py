"""The emulator's side of the toy Widgets resource: its state and its route rows (all that
adding it to the emulator costs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from conversations_async.testing import Route, Store, TwilioError, per_service


@attrs.define
class Widgets:
    """Every widget of the account, by SID."""

    records: dict[str, dict[str, Any]] = attrs.field(factory=dict)


def find(store: Store, service: str | None, widget: str) -> dict[str, Any]:
    record = store.parts.get(Widgets).records.get(widget)
    if record is None or record["chat_service_sid"] != store.service_sid(service):
        path = store.resource_path(service, "Widgets", widget)
        raise TwilioError(404, 20404, f"The requested resource {path} was not found")
    return record


def create(store: Store, service: str | None, form: Mapping[str, str]) -> dict[str, Any]:
    name = form.get("FriendlyName")
    if not name:
        raise TwilioError(400, 20001, "Missing required parameter FriendlyName")
    sid = store.new_sid("WG")
    record = {
        "sid": sid,
        "account_sid": store.account_sid,
        "chat_service_sid": store.service_sid(service),
        "friendly_name": name,
        "url": store.url(service, "Widgets", sid),
    }
    store.parts.get(Widgets).records[sid] = record
    return record


def fetch(store: Store, service: str | None, form: Mapping[str, str], *, widget: str) -> Any:
    return find(store, service, widget)


def list_(store: Store, service: str | None, query: Mapping[str, str]) -> list[dict[str, Any]]:
    service_sid = store.service_sid(service)
    records = store.parts.get(Widgets).records.values()
    return [r for r in records if r["chat_service_sid"] == service_sid]


def delete(store: Store, service: str | None, form: Mapping[str, str], *, widget: str) -> Any:
    return store.parts.get(Widgets).records.pop(find(store, service, widget)["sid"])


def widget_params(event_type: str, record: dict[str, Any]) -> dict[str, str]:
    return {"EventType": event_type, "WidgetSid": record["sid"], "Name": record["friendly_name"]}


ROWS = (
    Route(
        "POST", "Widgets", create,
        status=201, pace=per_service, event="onWidgetAdded", event_params=widget_params,
    ),
    Route("GET", "Widgets", list_, page="widgets"),
    Route("GET", "Widgets/{widget}", fetch),
    Route(
        "DELETE", "Widgets/{widget}", delete,
        status=204, event="onWidgetRemoved", event_params=widget_params,
    ),
)  # fmt: skip
