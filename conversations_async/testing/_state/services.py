"""Conversation Services (``/v1/Services``): each holds its users, roles and settings (in its
entry's ``parts``); its conversations are kept with every other conversation, by service SID.

A service is real state: the account's default one, one made by ``POST /v1/Services``, and one
adopted. Twilio answers 404 under a service it does not know; the emulator, so that a test
can name any well-formed ``IS…`` without making it first, *adopts* an unknown one the first
time it is used as a scope (``/v1/Services/IS…/…``), as though it had been made before the
test: from then on it is fetched and listed like any other. ``Services.implicit = False``
(``Emulator(implicit_services=False)``) answers 404 instead, as Twilio does. A deleted service
answers 404 for good, and ``GET /v1/Services/IS…`` of one never used is a 404 either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

import attrs

from . import conversations
from ._common import SERVICE_SID, JSONDict, Parts, TwilioError, check_length, format_date, not_found

if TYPE_CHECKING:
    from . import Store

DEFAULT_NAME: Final = "Default Conversations Service"
LINKS: Final = (
    ("conversations", "Conversations"),
    ("users", "Users"),
    ("roles", "Roles"),
    ("bindings", "Bindings"),
    ("configuration", "Configuration"),
    ("participant_conversations", "ParticipantConversations"),
    ("conversation_with_participants", "ConversationWithParticipants"),
)


@attrs.define
class ServiceEntry:
    record: JSONDict
    parts: Parts = attrs.field(factory=Parts)
    """The state of what the service holds (users, roles, settings): gone with the service.
    A resource kept per service puts its state here (``entry.parts.get(Kind)``)."""


@attrs.define
class Services:
    """Every service of the account, in the order they came to be."""

    entries: dict[str, ServiceEntry] = attrs.field(factory=dict)
    deleted: set[str] = attrs.field(factory=set)
    implicit: bool = True
    """Adopt an unknown, well-formed service SID used as a scope (see the module docs)."""


def of(store: Store) -> Services:
    return store.parts.get(Services)


def _make(store: Store, sid: str, friendly_name: str | None) -> ServiceEntry:
    now = format_date(store.now())
    url = f"{store.root}/v1/Services/{sid}"
    record: JSONDict = {
        "sid": sid,
        "account_sid": store.account_sid,
        "friendly_name": friendly_name,
        "date_created": now,
        "date_updated": now,
        "url": url,
        "links": {key: f"{url}/{segment}" for key, segment in LINKS},
    }
    entry = of(store).entries[sid] = ServiceEntry(record)
    return entry


def _known(store: Store) -> dict[str, ServiceEntry]:
    services = of(store)
    if store.default_service not in services.entries:
        _make(store, store.default_service, DEFAULT_NAME)
    return services.entries


def entry(store: Store, service: str | None) -> ServiceEntry:
    """The service of a scope (None: the account's default), adopted on first use when unknown
    and ``implicit``; 404 / 20404 when deleted, or unknown and not ``implicit``."""
    sid = store.service_sid(service)
    known = _known(store)
    found = known.get(sid)
    if found is not None:
        return found
    services = of(store)
    if sid in services.deleted or not services.implicit:
        raise not_found(f"/Services/{sid}")
    return _make(store, sid, None)


def require(store: Store, service: str) -> None:
    """What every request under ``/v1/Services/{service}/…`` goes through (see the module
    docs): the service must exist, or be adopted."""
    entry(store, service)


def _find(store: Store, sid: str) -> ServiceEntry:
    found = _known(store).get(sid) if SERVICE_SID.fullmatch(sid) else None
    if found is None:
        raise not_found(f"/Services/{sid}")
    return found


def create(store: Store, service: str | None, form: Mapping[str, str]) -> JSONDict:
    name = form.get("FriendlyName")
    if not name:
        raise TwilioError(400, 20001, "Missing required parameter FriendlyName")
    check_length("FriendlyName", name)
    _known(store)  # the default service is listed first
    return _make(store, store.new_sid("IS"), name).record


def fetch(
    store: Store, service: str | None, form: Mapping[str, str], *, chat_service: str
) -> JSONDict:
    return _find(store, chat_service).record


def list_(store: Store, service: str | None, query: Mapping[str, str]) -> list[JSONDict]:
    return [found.record for found in _known(store).values()]


def delete(
    store: Store, service: str | None, form: Mapping[str, str], *, chat_service: str
) -> JSONDict:
    """Removes the service with all it holds: its conversations (their participants, messages
    and webhooks with them), users, roles and webhook configuration."""
    found = _find(store, chat_service)
    sid = found.record["sid"]
    if sid == store.default_service:
        # Twilio's docs are silent; the account's shortened URLs need a default service.
        raise TwilioError(
            400,
            20001,
            "The account's default Conversation Service cannot be deleted; make another "
            "service the default first",
        )
    for conversation in list(_conversations_of(store, sid)):
        conversations.delete(store, sid, {}, conversation=conversation)
    from . import webhooks  # imported here: it imports messages, which imports users

    webhooks.configuration_of(store).services.pop(sid, None)
    services = of(store)
    del services.entries[sid]
    services.deleted.add(sid)
    return found.record


def _conversations_of(store: Store, sid: str) -> Iterator[str]:
    for conversation_sid, held in conversations.of(store).entries.items():
        if held.record["chat_service_sid"] == sid:
            yield conversation_sid
