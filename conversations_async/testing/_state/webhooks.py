"""Webhooks: conversation-scoped ones (at most five per conversation, gone with it) and the
account's and services' webhook configuration (pre/post URLs, filters, method)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import attrs

from . import conversations, messages
from ._common import Form, JSONDict, TwilioError, format_date, invalid, not_found
from .conversations import ConversationEntry

if TYPE_CHECKING:
    from . import Store

EVENTS: Final = (
    "onMessageAdded", "onMessageUpdated", "onMessageRemoved",
    "onMessageAdd", "onMessageUpdate", "onMessageRemove",
    "onConversationUpdated", "onConversationRemoved", "onConversationAdd",
    "onConversationAdded", "onConversationRemove", "onConversationUpdate",
    "onConversationStateUpdated",
    "onParticipantAdded", "onParticipantUpdated", "onParticipantRemoved",
    "onParticipantAdd", "onParticipantRemove", "onParticipantUpdate",
    "onDeliveryUpdated", "onUserAdded", "onUserUpdate", "onUserUpdated",
)  # fmt: skip
"""Every event a configuration's ``Filters`` may name (the spec's list)."""
SCOPED_EVENTS: Final = (
    "onMessageAdded", "onMessageUpdated", "onMessageRemoved",
    "onConversationUpdated", "onConversationRemoved", "onConversationStateUpdated",
    "onParticipantAdded", "onParticipantUpdated", "onParticipantRemoved",
    "onDeliveryUpdated",
)  # fmt: skip
"""What a conversation-scoped webhook may filter on: post-action conversation events only
(Twilio's docs); anything else is 50365."""
MAX_PER_CONVERSATION: Final = 5
"""Twilio 50361: "The limit for conversation-scoped webhooks is five"."""
MAX_TRIGGER_LENGTH: Final = 248
TARGETS: Final = ("webhook", "trigger", "studio")
FLOW_SID: Final = re.compile(r"^FW[0-9a-fA-F]{32}$")
_URL: Final = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)


@attrs.define
class ScopedWebhooks:
    """One conversation's webhooks (in its entry's parts: deleted with the conversation)."""

    records: dict[str, JSONDict] = attrs.field(factory=dict)
    """Webhook SID -> record, in creation order."""
    replay_after: dict[str, int] = attrs.field(factory=dict)
    """Webhook SID -> the message index its replay started from (not in Twilio's record)."""


@attrs.define
class Configuration:
    """The webhook configuration of the account (``service`` None) and of each service."""

    account: JSONDict = attrs.field(
        factory=lambda: {
            "method": "POST",
            "filters": None,
            "pre_webhook_url": None,
            "post_webhook_url": None,
            "target": "webhook",
        }
    )
    services: dict[str, JSONDict] = attrs.field(factory=dict)


@attrs.define
class Outbox:
    """Webhooks a change sends besides its route's event (a new webhook's replay), taken by
    the app after the change is committed: ``(url, method, params)``."""

    items: list[tuple[str, str, dict[str, str]]] = attrs.field(factory=list)

    def take(self) -> list[tuple[str, str, dict[str, str]]]:
        items, self.items = self.items, []
        return items


def triggered(keywords: list[str], params: Mapping[str, str]) -> bool:
    """A trigger webhook fires for a new message that contains one of its keywords as a word
    (case-insensitive; how Twilio matches is UNCONFIRMED)."""
    if params.get("EventType") != "onMessageAdded":
        return False
    body = params.get("Body") or ""
    return any(
        re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", body, re.IGNORECASE)
        for keyword in keywords
    )


def hooks_of(entry: ConversationEntry) -> ScopedWebhooks:
    return entry.parts.get(ScopedWebhooks)


def configuration_of(store: Store) -> Configuration:
    return store.parts.get(Configuration)


# -- checks -------------------------------------------------------------------------------


def _url(field: str, value: str) -> str:
    if not _URL.match(value):
        raise invalid(field, "must be an absolute http(s) URL")
    return value


def _method(field: str, value: str, *, upper: bool) -> str:
    if value.lower() not in ("get", "post"):
        raise invalid(field, "must be GET or POST", 50055)
    return value.upper() if upper else value.lower()


def _filters(form: Form, field: str, allowed: tuple[str, ...], code: int) -> list[str]:
    values = form.getall(field)
    for value in values:
        if value not in allowed:
            raise invalid(field, f"{value!r} is not a webhook action filter", code)
    return values


def _triggers(form: Form) -> list[str]:
    values = form.getall("Configuration.Triggers")
    for value in values:
        if not value or len(value) > MAX_TRIGGER_LENGTH:
            raise invalid("Configuration.Triggers", "each keyword is 1 to 248 characters", 50366)
    return values


def _replay_after(form: Mapping[str, str]) -> int | None:
    text = form.get("Configuration.ReplayAfter")
    if text is None:
        return None
    try:
        index = int(text)
    except ValueError:
        raise invalid("Configuration.ReplayAfter", "must be an integer") from None
    if index < 0:
        raise invalid("Configuration.ReplayAfter", "must be >= 0")
    return index


# -- conversation-scoped webhooks ---------------------------------------------------------


def find(
    store: Store, service: str | None, conversation: str, webhook: str
) -> tuple[ConversationEntry, JSONDict]:
    entry = conversations.find(store, service, conversation, "Webhooks", webhook)
    record = hooks_of(entry).records.get(webhook)
    if record is None:
        path = store.resource_path(service, "Conversations", conversation, "Webhooks", webhook)
        raise not_found(path)
    return entry, record


def _configuration(target: str, form: Form, old: JSONDict) -> JSONDict:
    """The configuration a target keeps: Twilio's examples show a trigger webhook's keywords
    under ``filters``."""
    if target == "studio":
        flow = form.get("Configuration.FlowSid", old.get("flow_sid"))
        if flow is None:
            raise TwilioError(400, 50367, "Conversation webhook flow SID not provided")
        if not FLOW_SID.fullmatch(flow):
            raise invalid("Configuration.FlowSid", "must match ^FW[0-9a-fA-F]{32}$", 50367)
        return {"flow_sid": flow}
    url = form.get("Configuration.Url", old.get("url"))
    if not url:
        raise TwilioError(400, 50369, "Conversation webhook URL not provided")
    method = form.get("Configuration.Method", old.get("method") or "post")
    made: JSONDict = {"url": _url("Configuration.Url", url)}
    made["method"] = _method("Configuration.Method", method, upper=False)
    if target == "trigger":
        keywords = _triggers(form) if "Configuration.Triggers" in form else old.get("filters")
        if not keywords:
            raise TwilioError(400, 50371, "Conversation webhook trigger not provided")
        made["filters"] = list(keywords)
    else:
        if "Configuration.Filters" in form:
            events = _filters(form, "Configuration.Filters", SCOPED_EVENTS, 50365)
        else:
            events = old.get("filters") or []
        if not events:
            raise TwilioError(400, 50370, "Conversation webhook filter not provided")
        made["filters"] = list(events)
    return made


def create(store: Store, service: str | None, form: Form, *, conversation: str) -> JSONDict:
    entry = conversations.find(store, service, conversation, "Webhooks")
    hooks = hooks_of(entry)
    target = form.get("Target")
    if not target:
        raise TwilioError(400, 50368, "Conversation webhook type not provided")
    if target not in TARGETS:
        raise invalid("Target", "must be webhook, studio or trigger", 50364)
    configuration = _configuration(target, form, {})
    replay_after = _replay_after(form)
    if len(hooks.records) >= MAX_PER_CONVERSATION:
        raise TwilioError(400, 50361, "Too many conversation webhooks")
    now = format_date(store.now())
    sid = store.new_sid("WH")
    conversation_sid = entry.record["sid"]
    record: JSONDict = {
        "account_sid": store.account_sid,
        "conversation_sid": conversation_sid,
        "sid": sid,
        "target": target,
        "configuration": configuration,
        "date_created": now,
        "date_updated": now,
        "url": store.url(service, "Conversations", conversation_sid, "Webhooks", sid),
    }
    if service is not None:
        record["chat_service_sid"] = service
    hooks.records[sid] = record
    if replay_after is not None:
        hooks.replay_after[sid] = replay_after
        _replay(store, entry, record, replay_after)
    return record


def _replay(store: Store, entry: ConversationEntry, record: JSONDict, first: int) -> None:
    """``ReplayAfter``: the messages from that index on go to the new webhook, as if new."""
    hook = record["configuration"]
    if record["target"] == "studio":
        return
    outbox = store.parts.get(Outbox)
    for message in messages.of(entry).records.values():
        if message["index"] < first:
            continue
        params = messages.webhook_params("onMessageAdded", message)
        wanted = (
            triggered(hook["filters"], params)
            if record["target"] == "trigger"
            else "onMessageAdded" in hook["filters"]
        )
        if wanted:
            outbox.items.append((hook["url"], hook["method"].upper(), params))


def fetch(
    store: Store, service: str | None, form: Form, *, conversation: str, webhook: str
) -> JSONDict:
    return find(store, service, conversation, webhook)[1]


def update(
    store: Store, service: str | None, form: Form, *, conversation: str, webhook: str
) -> JSONDict:
    _, record = find(store, service, conversation, webhook)
    configuration = _configuration(record["target"], form, record["configuration"])
    record["configuration"] = configuration
    record["date_updated"] = format_date(store.now())
    return record


def delete(
    store: Store, service: str | None, form: Form, *, conversation: str, webhook: str
) -> JSONDict:
    entry, record = find(store, service, conversation, webhook)
    hooks = hooks_of(entry)
    del hooks.records[record["sid"]]
    hooks.replay_after.pop(record["sid"], None)
    return record


def list_(store: Store, service: str | None, query: Form, *, conversation: str) -> list[JSONDict]:
    entry = conversations.find(store, service, conversation, "Webhooks")
    return list(hooks_of(entry).records.values())


# -- the account's and the services' configuration ----------------------------------------


def configured(store: Store, service: str | None) -> JSONDict:
    """The configuration that applies to a scope (the account's for the default service)."""
    if service is None or service == store.default_service:
        return configuration_of(store).account
    return configured_service(store, service)


def _answer(store: Store, service: str | None, values: JSONDict) -> JSONDict:
    record: JSONDict = {"account_sid": store.account_sid}
    if service is not None:
        record["chat_service_sid"] = service
    record.update(values)
    record["url"] = store.url(service, "Configuration", "Webhooks")
    return record


def _apply(form: Form, values: JSONDict, *, with_target: bool) -> None:
    """Check everything, then apply: a refused update changes nothing."""
    changes: JSONDict = {}
    for field, key in (
        ("PreWebhookUrl", "pre_webhook_url"),
        ("PostWebhookUrl", "post_webhook_url"),
    ):
        if field in form:
            # An empty value clears the URL (Twilio's console does the same; UNCONFIRMED for REST).
            changes[key] = _url(field, form[field]) if form[field] else None
    if "Method" in form:
        changes["method"] = _method("Method", form["Method"], upper=True)
    if "Filters" in form:
        changes["filters"] = _filters(form, "Filters", EVENTS, 20001)
    if with_target and "Target" in form:
        if form["Target"] not in ("webhook", "flex"):
            raise invalid("Target", "must be webhook or flex")
        changes["target"] = form["Target"]
    values.update(changes)


def fetch_account(store: Store, service: str | None, form: Form) -> JSONDict:
    return _answer(store, None, configured(store, None))


def update_account(store: Store, service: str | None, form: Form) -> JSONDict:
    values = configured(store, None)
    _apply(form, values, with_target=True)
    return _answer(store, None, values)


def fetch_service(store: Store, service: str | None, form: Form) -> JSONDict:
    assert service is not None
    return _answer(store, service, configured_service(store, service))


def update_service(store: Store, service: str | None, form: Form) -> JSONDict:
    assert service is not None
    values = configured_service(store, service)
    _apply(form, values, with_target=False)
    return _answer(store, service, values)


def configured_service(store: Store, service: str) -> JSONDict:
    """A service's own configuration (the default service's too, reached by its SID)."""
    return configuration_of(store).services.setdefault(
        service,
        {"pre_webhook_url": None, "post_webhook_url": None, "filters": None, "method": None},
    )
