"""Twilio Conversations webhooks: signature validation, typed events and an aiohttp router.

Three layers, each usable on its own (import them all from here):

* :func:`validate_signature` / :func:`compute_signature` implement ``X-Twilio-Signature``
  (HMAC-SHA1 over the URL and the sorted POST parameters), including the ``bodySHA256`` variant
  for JSON bodies, the default-port quirk and auth-token rotation. They are pure functions.
* :func:`parse_event` turns the form parameters of a Conversations webhook into a frozen attrs
  record (:class:`ParticipantAdded`, :class:`MessageAdded`, …). An ``EventType`` this module does
  not know becomes a plain :class:`WebhookEvent` that keeps every raw parameter.
* :class:`WebhookRouter` is an aiohttp.web handler: it checks the signature, parses the event,
  calls the coroutine registered for it within Twilio's 5 s deadline, and answers the way Twilio
  expects (``Reject`` → 4xx/5xx, a mapping → modified fields, ``None`` → allow).

The auth token is never put in a ``repr``, an exception message or a log record.
"""

from typing import Final, TypeAlias

from . import _signature, events, router
from ._message_events import (
    DeliveryUpdated,
    MessageRemove,
    MessageRemoved,
    MessageUpdate,
    MessageUpdated,
)
from ._signature import AuthTokens as AuthTokens  # type aliases named in the signatures
from ._signature import Params as Params
from ._signature import body_sha256, compute_signature, validate_signature
from ._user_events import UserAdded, UserEvent, UserUpdate, UserUpdated
from .events import (
    EVENT_CLASSES,
    ConversationAdd,
    ConversationAdded,
    ConversationEvent,
    ConversationRemove,
    ConversationRemoved,
    ConversationStateUpdated,
    ConversationUpdate,
    ConversationUpdated,
    Media,
    MessageAdd,
    MessageAdded,
    MessageEvent,
    ParticipantAdd,
    ParticipantAdded,
    ParticipantEvent,
    ParticipantRemove,
    ParticipantRemoved,
    ParticipantUpdate,
    ParticipantUpdated,
    WebhookEvent,
    WebhookMessagingBinding,
    WebhookParseError,
    configure_webhook_events,
    parse_event,
)
from .router import Reject, WebhookRouter, signed_url

# autodoc reads a constant's docstring from the module it documents (this one), so the constants
# are named here again with theirs; they are the very objects the submodules use.
SIGNATURE_HEADER: Final = _signature.SIGNATURE_HEADER
"""The request header that carries Twilio's signature."""

PRE_ACTION_EVENTS: Final = events.PRE_ACTION_EVENTS
"""Events Twilio sends *before* an action; the answer can reject or modify the action."""

HandlerResult: TypeAlias = router.HandlerResult
"""What an event handler returns: reject, modify (fields to change), or ``None`` to allow."""

__all__ = [
    "EVENT_CLASSES",
    "PRE_ACTION_EVENTS",
    "SIGNATURE_HEADER",
    "ConversationAdd",
    "ConversationAdded",
    "ConversationEvent",
    "ConversationRemove",
    "ConversationRemoved",
    "ConversationStateUpdated",
    "ConversationUpdate",
    "ConversationUpdated",
    "DeliveryUpdated",
    "HandlerResult",
    "Media",
    "MessageAdd",
    "MessageAdded",
    "MessageEvent",
    "MessageRemove",
    "MessageRemoved",
    "MessageUpdate",
    "MessageUpdated",
    "ParticipantAdd",
    "ParticipantAdded",
    "ParticipantEvent",
    "ParticipantRemove",
    "ParticipantRemoved",
    "ParticipantUpdate",
    "ParticipantUpdated",
    "Reject",
    "UserAdded",
    "UserEvent",
    "UserUpdate",
    "UserUpdated",
    "WebhookEvent",
    "WebhookMessagingBinding",
    "WebhookParseError",
    "WebhookRouter",
    "body_sha256",
    "compute_signature",
    "configure_webhook_events",
    "parse_event",
    "signed_url",
    "validate_signature",
]
