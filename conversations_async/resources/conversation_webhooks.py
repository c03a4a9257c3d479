"""``session.conversation_webhooks``: webhooks attached to one conversation (a bot, a monitor)."""

from __future__ import annotations

import re
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params
from .._sansio.params import form
from .._sansio.rules import Choice, Each, Integer, Text
from .._types import NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import ConversationWebhook, ConversationWebhookMethod, WebhookTarget
from ._base import Resource

MAX_PAGE_SIZE: Final = 5
"""The spec's maximum (and default) page size of this list: a conversation has at most five
webhooks (Twilio 50361)."""
MAX_TRIGGER_LENGTH: Final = 248
"""A trigger keyword is 1 to 248 characters (Twilio 50366)."""
PRE_ACTION_EVENTS: Final = frozenset(
    {
        "onConversationAdd",
        "onConversationRemove",
        "onConversationUpdate",
        "onMessageAdd",
        "onMessageRemove",
        "onMessageUpdate",
        "onParticipantAdd",
        "onParticipantRemove",
        "onParticipantUpdate",
        "onUserUpdate",
    }
)
"""Conversation-scoped webhooks get post-action events only (Twilio's docs): these filters are
refused before sending."""


@attrs.frozen
class Filter(Text):
    """One event a conversation-scoped webhook fires for: a post-action event name. A name this
    library does not know is sent as given (Twilio may add events)."""

    def encode(self, field: str, value: Any) -> str:
        text = super().encode(field, value)
        if not text:
            raise InvalidArgumentError(field, "must not be empty")
        if text in PRE_ACTION_EVENTS:
            raise InvalidArgumentError(
                field,
                f"{text} is a pre-action event; conversation-scoped webhooks get post-action "
                f"events only (e.g. {text}ed)",
            )
        return text


_FILTERS = Each(Filter())
_TRIGGERS = Each(Text(max_length=MAX_TRIGGER_LENGTH))
_URL = Text()
_METHOD = Choice(ConversationWebhookMethod)
_FLOW_SID = Text(pattern=re.compile(r"^FW[0-9a-fA-F]{32}$"))  # a Studio flow (Twilio 50367)
_REPLAY_AFTER = Integer(minimum=0)


def _check_triggers(given: Mapping[str, Any]) -> None:
    for position, keyword in enumerate(given.get("configuration_triggers") or ()):
        if keyword == "":
            raise InvalidArgumentError(f"configuration_triggers[{position}]", "must not be empty")


def _check_url(given: Mapping[str, Any]) -> None:
    if given.get("configuration_url") == "":
        raise InvalidArgumentError("configuration_url", "must not be empty")


@attrs.frozen(kw_only=True)
class CreateConversationWebhook(Params):
    """The parameters of :meth:`ConversationWebhooks.create`."""

    target: WebhookTarget | str = form("Target", Choice(WebhookTarget), default=attrs.NOTHING)
    configuration_url: str | NotGiven = form("Configuration.Url", _URL)
    configuration_method: ConversationWebhookMethod | str | NotGiven = form(
        "Configuration.Method", _METHOD
    )
    configuration_filters: Sequence[str] | NotGiven = form("Configuration.Filters", _FILTERS)
    configuration_triggers: Sequence[str] | NotGiven = form("Configuration.Triggers", _TRIGGERS)
    configuration_flow_sid: str | NotGiven = form("Configuration.FlowSid", _FLOW_SID)
    configuration_replay_after: int | NotGiven = form("Configuration.ReplayAfter", _REPLAY_AFTER)

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """What each target needs (Twilio's errors 50369-50371 and 50367): ``webhook`` a URL and
        at least one filter, ``trigger`` a URL and at least one keyword, ``studio`` a flow SID.
        A target this library does not know is sent as given."""
        _check_url(given)
        _check_triggers(given)
        target = str(given["target"])
        needs_url = target in (WebhookTarget.WEBHOOK, WebhookTarget.TRIGGER)
        if needs_url and "configuration_url" not in given:
            raise InvalidArgumentError("configuration_url", f"a {target} target needs a URL")
        if target == WebhookTarget.WEBHOOK and not given.get("configuration_filters"):
            raise InvalidArgumentError(
                "configuration_filters", "a webhook target needs at least one event"
            )
        if target == WebhookTarget.TRIGGER and not given.get("configuration_triggers"):
            raise InvalidArgumentError(
                "configuration_triggers", "a trigger target needs at least one keyword"
            )
        if target == WebhookTarget.STUDIO and "configuration_flow_sid" not in given:
            raise InvalidArgumentError(
                "configuration_flow_sid", "a studio target needs a flow SID (FW…)"
            )


@attrs.frozen(kw_only=True)
class UpdateConversationWebhook(Params):
    """The parameters of :meth:`ConversationWebhooks.update` (the target cannot change)."""

    configuration_url: str | NotGiven = form("Configuration.Url", _URL)
    configuration_method: ConversationWebhookMethod | str | NotGiven = form(
        "Configuration.Method", _METHOD
    )
    configuration_filters: Sequence[str] | NotGiven = form("Configuration.Filters", _FILTERS)
    configuration_triggers: Sequence[str] | NotGiven = form("Configuration.Triggers", _TRIGGERS)
    configuration_flow_sid: str | NotGiven = form("Configuration.FlowSid", _FLOW_SID)

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        _check_url(given)
        _check_triggers(given)


_PATH = "Conversations/{conversation}/Webhooks"
_ONE = _PATH + "/{webhook:WH}"

CREATE = Operation(
    "create",
    "POST",
    _PATH,
    ConversationWebhook,
    CreateConversationWebhook,
    Pacing.CONVERSATION,
    spec=("CreateConversationScopedWebhook", "CreateServiceConversationScopedWebhook"),
)
FETCH = Operation(
    "fetch",
    "GET",
    _ONE,
    ConversationWebhook,
    spec=("FetchConversationScopedWebhook", "FetchServiceConversationScopedWebhook"),
)
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    ConversationWebhook,
    UpdateConversationWebhook,
    Pacing.CONVERSATION,
    spec=("UpdateConversationScopedWebhook", "UpdateServiceConversationScopedWebhook"),
)
DELETE = Operation[None](
    "delete",
    "DELETE",
    _ONE,
    None,
    pacing=Pacing.CONVERSATION,
    spec=("DeleteConversationScopedWebhook", "DeleteServiceConversationScopedWebhook"),
)
LIST = Operation(
    "list",
    "GET",
    _PATH,
    ConversationWebhook,
    list_key="webhooks",
    spec=("ListConversationScopedWebhook", "ListServiceConversationScopedWebhook"),
)


class ConversationWebhooks(Resource):
    """Webhooks of one conversation: ``/v1/[Services/{IS}/]Conversations/{CH}/Webhooks``.

    The way to attach a bot, a monitor or a Studio flow to one conversation: Twilio sends it the
    conversation's post-action events (never pre-action ones), signed like every webhook. A
    conversation has at most five (Twilio 50361); deleting the conversation deletes them.
    A conversation is addressed by its ``CH…`` SID or unique name, a webhook by its ``WH…`` SID.
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        conversation: str,
        *,
        target: WebhookTarget | str,
        configuration_url: str | NotGiven = NOT_GIVEN,
        configuration_method: ConversationWebhookMethod | str | NotGiven = NOT_GIVEN,
        configuration_filters: Sequence[str] | NotGiven = NOT_GIVEN,
        configuration_triggers: Sequence[str] | NotGiven = NOT_GIVEN,
        configuration_flow_sid: str | NotGiven = NOT_GIVEN,
        configuration_replay_after: int | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, ConversationWebhook]:
        """Attach a webhook to ``conversation``; returns the new
        :class:`~conversations_async.models.ConversationWebhook`.

        ``target`` is ``webhook`` (needs ``configuration_url`` and ``configuration_filters``,
        the post-action events to send, e.g. ``["onMessageAdded"]``), ``trigger`` (needs
        ``configuration_url`` and ``configuration_triggers``, keywords of 1 to 248 characters
        that fire it when a message contains one) or ``studio`` (needs
        ``configuration_flow_sid``, ``FW…``). ``configuration_method`` is ``get`` or ``post``.
        ``configuration_replay_after`` replays the messages from that index on to the new
        webhook, so a bot attached late misses nothing.

        Raises :class:`~conversations_async.errors.InvalidArgumentError` before sending when a
        target lacks what it needs or a filter is a pre-action event;
        :class:`~conversations_async.errors.BadRequestError` (50361) when the conversation has
        five webhooks already. Retried on 429 and never-connected errors only.
        """
        return self._call(CREATE, locals())

    def fetch(self, conversation: str, webhook: str) -> Coroutine[Any, Any, ConversationWebhook]:
        """Fetch one webhook of ``conversation`` by its ``WH…`` SID.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def update(
        self,
        conversation: str,
        webhook: str,
        *,
        configuration_url: str | NotGiven = NOT_GIVEN,
        configuration_method: ConversationWebhookMethod | str | NotGiven = NOT_GIVEN,
        configuration_filters: Sequence[str] | NotGiven = NOT_GIVEN,
        configuration_triggers: Sequence[str] | NotGiven = NOT_GIVEN,
        configuration_flow_sid: str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, ConversationWebhook]:
        """Change a webhook's configuration (its target cannot change); returns the new record.

        Only the parameters you pass are sent; a list replaces the one the webhook had.
        Not resent after a 5xx, timeout or disconnect.
        """
        return self._call(UPDATE, locals())

    def delete(self, conversation: str, webhook: str) -> Coroutine[Any, Any, None]:
        """Detach a webhook (e.g. a bot handing the conversation over to a person).

        Raises :class:`~conversations_async.errors.NotFoundError` when it is not there (also
        for a retried delete that had already been applied).
        """
        return self._send(DELETE, locals())

    def list(
        self, conversation: str, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[ConversationWebhook]:
        """The webhooks of ``conversation`` (at most five): ``async for w in ….list(CH)``.

        No request is made until you iterate. ``page_size`` is 1 to 5.
        """
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
