"""The route table: one row per operation of the API; the emulator's generic handler does the rest.

A row names the state function that does the work; the handler reads the request's fields,
spends the row's write budget (``pace``), calls the function with the scope, the fields and the
path's parameters, then answers: a page for a list row (``page=`` its key), the record for a
read, and for a write the record (no body for 204) after the after-commit faults and the
row's webhook (``event``). Each row is served under every prefix of its ``scopes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from ..errors import InvalidArgumentError
from ._state import (
    Form,
    JSONDict,
    Store,
    addresses,
    bindings,
    configuration,
    conversations,
    credentials,
    delivery_receipts,
    messages,
    participant_conversations,
    participants,
    roles,
    services,
    user_conversations,
    users,
    webhooks,
)
from ._state import conversation_with_participants as with_participants
from ._webhooks import EVENT_PARAMS

ACCOUNT: Final = "/v1"
SERVICE: Final = "/v1/Services/{service}"
BOTH_SCOPES: Final = (ACCOUNT, SERVICE)

Pace = Callable[[Store, str | None, Mapping[str, str]], str | None]
"""The write budget a request spends (a key of ``Faults.writes_per_second``), from the store,
the scope and the path's parameters; None spends nothing. It runs before the state function."""
EventParams = Callable[[str, JSONDict], dict[str, str]]
"""A webhook's form parameters from its event type and the record the write answered."""


def per_conversation(store: Store, service: str | None, params: Mapping[str, str]) -> str | None:
    """Twilio's limit per conversation. Nothing is spent for a conversation that is not
    there: the state function answers its 404."""
    entry = conversations.lookup(store, service, params["conversation"])
    return None if entry is None else f"conversation:{entry.record['sid']}"


def per_service(store: Store, service: str | None, params: Mapping[str, str]) -> str | None:
    """Twilio's limit per service (conversation create and delete, user and role writes),
    spent only when the conversation a request names is there."""
    conversation = params.get("conversation")
    if conversation is not None and conversations.lookup(store, service, conversation) is None:
        return None
    return f"service:{service or 'default'}"


@attrs.frozen
class Route:
    """One operation: ``Route("POST", "Conversations/{conversation}/Participants",
    participants.create, status=201, pace=per_conversation, event="onParticipantAdded")``.

    ``path`` is relative to each scope's prefix (``/v1``, ``/v1/Services/{service}``); its
    ``{name}`` parameters are passed to ``call`` as keyword arguments. ``call`` is
    ``call(store, service, form, **params)`` (see :mod:`conversations_async.testing._state`).
    ``status`` may be a function of the form. ``event`` is the post-action webhook Twilio sends
    when the request asked for it; its parameters come from ``event_params`` (by default the
    emulator's own builder for that event type).
    """

    method: str
    path: str
    call: Callable[..., Any]
    status: int | Callable[[Form], int] = attrs.field(default=200, kw_only=True)
    pace: Pace | None = attrs.field(default=None, kw_only=True)
    event: str | None = attrs.field(default=None, kw_only=True)
    event_params: EventParams | None = attrs.field(default=None, kw_only=True)
    page: str | None = attrs.field(default=None, kw_only=True)
    """For a list row: the key the page's items are under (``meta.key``)."""
    max_page_size: int = attrs.field(default=100, kw_only=True)
    """For a list row: the largest ``PageSize`` it takes."""
    cursor: str = attrs.field(default="sid", kw_only=True)
    """For a list row: the item key its page tokens name (unique within the list)."""
    scopes: tuple[str, ...] = attrs.field(default=BOTH_SCOPES, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.event is not None and self.event_params is None and self.event not in EVENT_PARAMS:
            raise InvalidArgumentError(
                "event_params", f"needed for {self.event!r}, an event the emulator does not know"
            )

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def status_for(self, form: Form) -> int:
        return self.status(form) if callable(self.status) else self.status

    def webhook(self, record: JSONDict) -> dict[str, str] | None:
        """The row's webhook parameters for the record the write answered (None: no webhook)."""
        if self.event is None:
            return None
        make = self.event_params or EVENT_PARAMS[self.event]
        return make(self.event, record)


CONVERSATION: Final = "Conversations/{conversation}"
PARTICIPANT: Final = "Conversations/{conversation}/Participants/{participant}"
MESSAGE: Final = "Conversations/{conversation}/Messages/{message}"
WEBHOOKS: Final = "Conversations/{conversation}/Webhooks"
USER: Final = "Users/{user}"
USER_CONVERSATIONS: Final = "Users/{user}/Conversations"
NOTIFICATIONS: Final = "Configuration/Notifications"
CREDENTIAL: Final = "Credentials/{credential}"
ADDRESSES: Final = "Configuration/Addresses"

# fmt: off
ROUTES: Final = (
    # -- conversations
    Route(
        "POST", "Conversations", conversations.create,
        status=201, pace=per_service, event="onConversationAdded",
    ),
    Route("GET", "Conversations", conversations.list_, page="conversations"),
    Route("GET", CONVERSATION, conversations.fetch),
    Route(
        "POST", CONVERSATION, conversations.update,
        pace=per_conversation, event="onConversationUpdated",
    ),
    Route(
        "DELETE", CONVERSATION, conversations.delete,
        status=204, pace=per_service, event="onConversationRemoved",
    ),
    Route(
        "POST", "ConversationWithParticipants", with_participants.create,
        status=with_participants.status, pace=per_service,
    ),
    # -- participants
    Route(
        "POST", f"{CONVERSATION}/Participants", participants.create,
        status=201, pace=per_conversation, event="onParticipantAdded",
    ),
    Route("GET", f"{CONVERSATION}/Participants", participants.list_, page="participants"),
    Route("GET", PARTICIPANT, participants.fetch),
    Route(
        "POST", PARTICIPANT, participants.update,
        pace=per_conversation, event="onParticipantUpdated",
    ),
    Route(
        "DELETE", PARTICIPANT, participants.delete,
        status=204, pace=per_conversation, event="onParticipantRemoved",
    ),
    # -- messages, their delivery receipts, a participant's conversations
    Route(
        "POST", f"{CONVERSATION}/Messages", messages.create,
        status=201, pace=per_conversation,
        event="onMessageAdded", event_params=messages.webhook_params,
    ),
    Route("GET", f"{CONVERSATION}/Messages", messages.list_, page="messages"),
    Route("GET", MESSAGE, messages.fetch),
    Route(
        "POST", MESSAGE, messages.update,
        pace=per_conversation, event="onMessageUpdated", event_params=messages.webhook_params,
    ),
    Route(
        "DELETE", MESSAGE, messages.delete,
        status=204, pace=per_conversation,
        event="onMessageRemoved", event_params=messages.webhook_params,
    ),
    Route(
        "GET", f"{MESSAGE}/Receipts", delivery_receipts.list_,
        page="delivery_receipts", max_page_size=50,
    ),
    Route("GET", f"{MESSAGE}/Receipts/{{receipt}}", delivery_receipts.fetch),
    Route(
        "GET", "ParticipantConversations", participant_conversations.list_,
        page="conversations", max_page_size=50, cursor="participant_sid",
    ),
    # -- conversation-scoped webhooks, and the account's and services' webhook configuration
    Route("POST", WEBHOOKS, webhooks.create, status=201, pace=per_conversation),
    Route("GET", WEBHOOKS, webhooks.list_, page="webhooks"),
    Route("GET", f"{WEBHOOKS}/{{webhook}}", webhooks.fetch),
    Route("POST", f"{WEBHOOKS}/{{webhook}}", webhooks.update, pace=per_conversation),
    Route(
        "DELETE", f"{WEBHOOKS}/{{webhook}}", webhooks.delete, status=204, pace=per_conversation
    ),
    Route("GET", "Configuration/Webhooks", webhooks.fetch_account, scopes=(ACCOUNT,)),
    Route("POST", "Configuration/Webhooks", webhooks.update_account, scopes=(ACCOUNT,)),
    Route("GET", "Configuration/Webhooks", webhooks.fetch_service, scopes=(SERVICE,)),
    Route("POST", "Configuration/Webhooks", webhooks.update_service, scopes=(SERVICE,)),
    # -- users, their conversations, roles: user and role writes are paced per service
    Route(
        "POST", "Users", users.create,
        status=201, pace=per_service, event="onUserAdded", event_params=users.webhook_params,
    ),
    Route("GET", "Users", users.list_, page="users", max_page_size=50),
    Route("GET", USER, users.fetch),
    Route(
        "POST", USER, users.update,
        pace=per_service, event="onUserUpdated", event_params=users.webhook_params,
    ),
    Route("DELETE", USER, users.delete, status=204, pace=per_service),
    Route(
        "GET", USER_CONVERSATIONS, user_conversations.list_,
        page="conversations", max_page_size=50, cursor="conversation_sid",
    ),
    Route("GET", f"{USER_CONVERSATIONS}/{{conversation}}", user_conversations.fetch),
    Route(
        "POST", f"{USER_CONVERSATIONS}/{{conversation}}", user_conversations.update,
        pace=per_service,
    ),
    Route(
        "DELETE", f"{USER_CONVERSATIONS}/{{conversation}}", user_conversations.delete,
        status=204, pace=per_service,
    ),
    Route("POST", "Roles", roles.create, status=201, pace=per_service),
    Route("GET", "Roles", roles.list_, page="roles", max_page_size=50),
    Route("GET", "Roles/{role}", roles.fetch),
    Route("POST", "Roles/{role}", roles.update, pace=per_service),
    Route("DELETE", "Roles/{role}", roles.delete, status=204, pace=per_service),
    # -- the account's services (account scope only; the scope of all the rest)
    Route("POST", "Services", services.create, status=201, scopes=(ACCOUNT,)),
    Route("GET", "Services", services.list_, page="services", scopes=(ACCOUNT,)),
    Route("GET", "Services/{chat_service}", services.fetch, scopes=(ACCOUNT,)),
    Route("DELETE", "Services/{chat_service}", services.delete, status=204, scopes=(ACCOUNT,)),
    # -- the account's and services' configuration, credentials, addresses, bindings
    Route("GET", "Configuration", configuration.fetch_account, scopes=(ACCOUNT,)),
    Route("POST", "Configuration", configuration.update_account, scopes=(ACCOUNT,)),
    Route("GET", "Configuration", configuration.fetch_service, scopes=(SERVICE,)),
    Route("POST", "Configuration", configuration.update_service, scopes=(SERVICE,)),
    Route("GET", NOTIFICATIONS, configuration.fetch_notifications, scopes=(SERVICE,)),
    Route("POST", NOTIFICATIONS, configuration.update_notifications, scopes=(SERVICE,)),
    Route("POST", "Credentials", credentials.create, status=201, scopes=(ACCOUNT,)),
    Route("GET", "Credentials", credentials.list_, page="credentials", scopes=(ACCOUNT,)),
    Route("GET", CREDENTIAL, credentials.fetch, scopes=(ACCOUNT,)),
    Route("POST", CREDENTIAL, credentials.update, scopes=(ACCOUNT,)),
    Route("DELETE", CREDENTIAL, credentials.delete, status=204, scopes=(ACCOUNT,)),
    Route("POST", ADDRESSES, addresses.create, status=201, scopes=(ACCOUNT,)),
    Route(
        "GET", ADDRESSES, addresses.list_,
        page="address_configurations", max_page_size=50, scopes=(ACCOUNT,),
    ),
    Route("GET", f"{ADDRESSES}/{{address}}", addresses.fetch, scopes=(ACCOUNT,)),
    Route("POST", f"{ADDRESSES}/{{address}}", addresses.update, scopes=(ACCOUNT,)),
    Route(
        "DELETE", f"{ADDRESSES}/{{address}}", addresses.delete, status=204, scopes=(ACCOUNT,)
    ),
    Route("GET", "Bindings", bindings.list_, page="bindings", scopes=(SERVICE,)),
    Route("GET", "Bindings/{binding}", bindings.fetch, scopes=(SERVICE,)),
    Route("DELETE", "Bindings/{binding}", bindings.delete, status=204, scopes=(SERVICE,)),
)
# fmt: on
