"""conversations_async: the async-first client for the Twilio Conversations REST API.

::

    import conversations_async as ca

    async with ca.Session.from_env() as session:
        conversation = await session.conversations.create(friendly_name="Support")
        await session.participants.create(conversation.sid, identity="alice")
"""

from ._bulk import BulkReport, BulkResult, BulkStatus
from ._limits import AdaptiveLimiter, ConcurrencyLimiter, Limiter, LimiterState
from ._limits_settings import LimiterSettings
from ._options import __version__
from ._pagination import AsyncPager, Page
from ._retry import RetryEvent, RetryPolicy
from ._sansio import RawResponse, Request
from ._session import Session
from ._types import NOT_GIVEN
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConversationsError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    SessionClosedError,
    SessionLoopError,
)
from .models import (
    Conversation,
    ConversationState,
    ConversationTimers,
    DeliveryReceipt,
    DeliveryStatus,
    Media,
    Message,
    MessageOrder,
    MessagingBinding,
    Participant,
    ParticipantConversation,
)
from .resources import NewParticipant, ServiceScope, SyncPlan, SyncReport

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AdaptiveLimiter",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BulkReport",
    "BulkResult",
    "BulkStatus",
    "ConcurrencyLimiter",
    "ConflictError",
    "Conversation",
    "ConversationState",
    "ConversationTimers",
    "ConversationsError",
    "DeliveryReceipt",
    "DeliveryStatus",
    "InvalidArgumentError",
    "Limiter",
    "LimiterSettings",
    "LimiterState",
    "Media",
    "Message",
    "MessageOrder",
    "MessagingBinding",
    "NewParticipant",
    "NotFoundError",
    "Page",
    "Participant",
    "ParticipantConversation",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "Request",
    "ResponseValidationError",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "ServiceScope",
    "Session",
    "SessionClosedError",
    "SessionLoopError",
    "SyncPlan",
    "SyncReport",
    "__version__",
]
