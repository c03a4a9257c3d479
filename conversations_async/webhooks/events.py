"""Typed Conversations webhook events: frozen attrs records parsed from the form parameters.

:func:`parse_event` picks the record class by ``EventType``; an unknown ``EventType`` gives a
plain :class:`WebhookEvent` that keeps every raw parameter. The events have their own cattrs
converter (the library's REST rules plus the form hooks below): the shared REST converter of
``conversations_async._convert`` is never changed by importing this module.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Final, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .._convert import make_twilio_converter
from .._types import JSON  # typing.get_type_hints resolves it at runtime
from ..errors import ConversationsError
from ._form import (
    _first_values,
    _form_to_data,
    _media_item,
    _parse_attributes,
    _parse_bool,
    _parse_datetime,
    _parse_int,
    _parse_required_int,
)
from ._signature import Params

PRE_ACTION_EVENTS: Final = frozenset(  # documented in __init__.py
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

_EVENT_CLASSES: dict[str, type[WebhookEvent]] = {}
E = TypeVar("E", bound="WebhookEvent")


def _event(event_type: str) -> Callable[[type[E]], type[E]]:
    def register(cls: type[E]) -> type[E]:
        cls.EVENT_TYPE = event_type
        _EVENT_CLASSES[event_type] = cls
        return cls

    return register


class WebhookParseError(ConversationsError, ValueError):
    """A webhook's body or parameters could not be read as the event they claim to be."""

    def __init__(self, event_type: str | None, errors: Sequence[str]) -> None:
        self.event_type = event_type
        self.errors = list(errors)
        detail = "; ".join(self.errors) or "invalid parameters"
        super().__init__(f"cannot parse {event_type or 'webhook'}: {detail}")


@attrs.frozen(kw_only=True)
class WebhookMessagingBinding:
    """The ``MessagingBinding.*`` form fields: how a non-chat participant is reached."""

    type: str | None = None
    """``sms``, ``whatsapp``, ``chat``, … (as Twilio sends it)."""
    address: str | None = None
    proxy_address: str | None = None
    projected_address: str | None = None
    author_address: str | None = None


@attrs.frozen(kw_only=True)
class Media:
    """One attached media object of a message (``Media`` is a JSON array in the form)."""

    sid: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    category: str | None = None


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """Any Conversations webhook; an unknown ``EventType`` is parsed as exactly this class."""

    EVENT_TYPE: ClassVar[str | None] = None

    event_type: str
    account_sid: str | None = None
    source: str | None = None
    """``SDK`` or ``API`` (the origin of the action)."""
    client_identity: str | None = None
    """The identity of the SDK user who acted (SDK events only)."""
    chat_service_sid: str | None = None
    params: Mapping[str, str] = attrs.field(factory=dict, repr=False, eq=False)
    """Every form parameter as received (first value of a repeated key)."""

    @property
    def is_pre_action(self) -> bool:
        """Whether Twilio waits for the answer before it publishes the action."""
        return self.event_type in PRE_ACTION_EVENTS


@attrs.frozen(kw_only=True)
class ParticipantEvent(WebhookEvent):
    """Fields common to every participant event."""

    conversation_sid: str
    identity: str | None = None
    """Chat participants have an identity; SMS/WhatsApp ones have a messaging binding."""
    role_sid: str | None = None
    attributes: JSON = None
    """The participant's attributes, parsed from the JSON text Twilio sends."""
    raw_attributes: str | None = None
    """``Attributes`` exactly as received."""
    messaging_binding: WebhookMessagingBinding | None = None


@_event("onParticipantAdd")
@attrs.frozen(kw_only=True)
class ParticipantAdd(ParticipantEvent):
    """Pre-action: a participant is about to be added (it has no SID yet)."""


@attrs.frozen(kw_only=True)
class _ExistingParticipant(ParticipantEvent):
    participant_sid: str
    date_created: datetime | None = None
    date_updated: datetime | None = None


@_event("onParticipantAdded")
@attrs.frozen(kw_only=True)
class ParticipantAdded(_ExistingParticipant):
    """Post-action: a participant was added."""


@_event("onParticipantUpdate")
@attrs.frozen(kw_only=True)
class ParticipantUpdate(_ExistingParticipant):
    """Pre-action: a participant is about to be updated (not fired for reachability)."""


@_event("onParticipantUpdated")
@attrs.frozen(kw_only=True)
class ParticipantUpdated(_ExistingParticipant):
    """Post-action: a participant was updated."""

    last_read_message_index: int | None = None


@_event("onParticipantRemove")
@attrs.frozen(kw_only=True)
class ParticipantRemove(_ExistingParticipant):
    """Pre-action: a participant is about to be removed."""


@_event("onParticipantRemoved")
@attrs.frozen(kw_only=True)
class ParticipantRemoved(_ExistingParticipant):
    """Post-action: a participant was removed."""

    date_removed: datetime | None = None


@attrs.frozen(kw_only=True)
class ConversationEvent(WebhookEvent):
    """Fields common to the conversation add/update/remove events."""

    friendly_name: str | None = None
    unique_name: str | None = None
    attributes: JSON = None
    raw_attributes: str | None = None
    messaging_service_sid: str | None = None
    state: str | None = None
    """``active``, ``inactive`` or ``closed`` (kept as text: Twilio may add states)."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    messaging_binding: WebhookMessagingBinding | None = None
    """For a conversation started by an inbound SMS/WhatsApp message."""
    message_body: str | None = None
    """The inbound message that started the conversation, if any."""
    media: tuple[Media, ...] = ()
    """That message's media, if any."""


@_event("onConversationAdd")
@attrs.frozen(kw_only=True)
class ConversationAdd(ConversationEvent):
    """Pre-action: a conversation is about to be created (it has no SID yet)."""


@attrs.frozen(kw_only=True)
class _ExistingConversation(ConversationEvent):
    conversation_sid: str


@_event("onConversationAdded")
@attrs.frozen(kw_only=True)
class ConversationAdded(_ExistingConversation):
    """Post-action: a conversation was created."""


@_event("onConversationUpdate")
@attrs.frozen(kw_only=True)
class ConversationUpdate(_ExistingConversation):
    """Pre-action: a conversation is about to be updated."""


@_event("onConversationUpdated")
@attrs.frozen(kw_only=True)
class ConversationUpdated(_ExistingConversation):
    """Post-action: a conversation was updated."""


@_event("onConversationRemove")
@attrs.frozen(kw_only=True)
class ConversationRemove(_ExistingConversation):
    """Pre-action: a conversation is about to be deleted."""


@_event("onConversationRemoved")
@attrs.frozen(kw_only=True)
class ConversationRemoved(_ExistingConversation):
    """Post-action: a conversation was deleted."""

    date_removed: datetime | None = None


@_event("onConversationStateUpdated")
@attrs.frozen(kw_only=True)
class ConversationStateUpdated(WebhookEvent):
    """Post-action: a conversation changed state (by API, timer or event)."""

    conversation_sid: str
    state_from: str | None = None
    state_to: str | None = None
    state_updated: datetime | None = None
    reason: str | None = None
    """``API``, ``TIMER`` or ``EVENT``."""
    messaging_service_sid: str | None = None


@attrs.frozen(kw_only=True)
class MessageEvent(WebhookEvent):
    """Fields common to the message events."""

    conversation_sid: str
    body: str | None = None
    author: str | None = None
    participant_sid: str | None = None
    """The author's participant SID (``None`` for messages sent by ``system``)."""
    attributes: JSON = None
    raw_attributes: str | None = None
    media: tuple[Media, ...] = ()
    messaging_service_sid: str | None = None
    date_created: datetime | None = None


@_event("onMessageAdd")
@attrs.frozen(kw_only=True)
class MessageAdd(MessageEvent):
    """Pre-action: a message is about to be added (``body``, ``author``, ``attributes`` can
    be modified by the answer)."""


@_event("onMessageAdded")
@attrs.frozen(kw_only=True)
class MessageAdded(MessageEvent):
    """Post-action: a message was added."""

    message_sid: str
    index: int


# --- structuring ---------------------------------------------------------------------------


def _media_hook(converter: cattrs.Converter) -> Callable[[object, object], tuple[Media, ...]]:
    def structure(value: object, _: object) -> tuple[Media, ...]:
        if value is None or value == "":
            return ()
        items = json.loads(value) if isinstance(value, str) else value
        if items is None:
            return ()
        if not isinstance(items, list):
            raise TypeError(f"expected a JSON array of media, got {type(items).__name__}")
        return tuple(converter.structure(_media_item(item), Media) for item in items)

    return structure


def _field_hook(
    name: str, hint: object, converter: cattrs.Converter
) -> Callable[[object, object], object] | None:
    if name == "attributes":
        return _parse_attributes
    if hint == datetime | None:
        return _parse_datetime
    if hint == int | None:
        return _parse_int
    if hint == bool | None:
        return _parse_bool
    if hint is int:
        return _parse_required_int
    if hint == tuple[Media, ...]:
        return _media_hook(converter)
    return None


def _is_event_class(type_: object) -> bool:
    return isinstance(type_, type) and issubclass(type_, WebhookEvent)


def configure_webhook_events(converter: cattrs.Converter) -> None:
    """Register the hooks that structure webhook form parameters into :class:`WebhookEvent` s.

    ``converter.structure(params, ParticipantAdded)`` then accepts the flat form mapping
    (``{"ConversationSid": …, "MessagingBinding.Address": …}``). Dates, integers, attributes and
    media are handled by per-field overrides, so this adds no global hook for ``datetime`` or
    ``int`` and can be applied to a converter shared with other records.
    """

    def factory(cls: type[WebhookEvent]) -> Callable[[object, object], WebhookEvent]:
        overrides: dict[str, Any] = {}
        for name, hint in typing.get_type_hints(cls).items():
            hook = _field_hook(name, hint, converter)
            if hook is not None:
                overrides[name] = override(struct_hook=hook)
        inner = make_dict_structure_fn(cls, converter, **overrides)

        def structure(value: object, _: object) -> WebhookEvent:
            if not isinstance(value, Mapping):
                raise TypeError(f"expected webhook parameters, got {type(value).__name__}")
            return inner(_form_to_data(value), cls)

        return structure

    converter.register_structure_hook_factory(_is_event_class, factory)


# The events' own converter: the same REST rules, plus hooks that only the events need.
_converter: Final = make_twilio_converter()
configure_webhook_events(_converter)


def parse_event(params: Params) -> WebhookEvent:
    """The typed event for the form parameters of a Conversations webhook.

    The class is chosen by ``EventType`` (``onParticipantAdded`` → :class:`ParticipantAdded`, …);
    an event type this module does not model gives a plain :class:`WebhookEvent` (never an
    error). Raises :class:`WebhookParseError` when ``EventType`` is missing or a known event's
    fields cannot be read (e.g. no ``ConversationSid``, or a malformed date).
    """
    flat = _first_values(params)
    event_type = flat.get("EventType")
    if not event_type:
        raise WebhookParseError(None, ["EventType is missing"])
    cls = _EVENT_CLASSES.get(event_type, WebhookEvent)
    try:
        return _converter.structure(flat, cls)
    except cattrs.BaseValidationError as exc:
        raise WebhookParseError(event_type, cattrs.transform_error(exc)) from exc
    except (TypeError, ValueError) as exc:
        raise WebhookParseError(event_type, [str(exc)]) from exc


# Read-only view kept for introspection and docs: EventType name → event class.
EVENT_CLASSES: Final[Mapping[str, type[WebhookEvent]]] = MappingProxyType(_EVENT_CLASSES)
