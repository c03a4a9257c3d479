"""The message namespaces of a test's scope (see ``_ops_scopes``): the default service or
``session.service("IS…")``, reached the way users reach them."""

from __future__ import annotations

import attrs
from _ops_scopes import Scope

from conversations_async import Session
from conversations_async.resources import (
    Conversations,
    DeliveryReceipts,
    Messages,
    ParticipantConversations,
    Participants,
)

ADDRESS = "+15558675310"
PROXY = "+15017122661"
WHATSAPP = "whatsapp:+15558675311"
WHATSAPP_PROXY = "whatsapp:+15017122662"


@attrs.frozen
class Messaging:
    conversations: Conversations
    participants: Participants
    messages: Messages
    delivery_receipts: DeliveryReceipts
    participant_conversations: ParticipantConversations
    prefix: str
    """The path prefix the requests must use."""
    service: str | None


def messaging_for(session: Session, scope: Scope) -> Messaging:
    holder = session if scope.service is None else session.service(scope.service)
    return Messaging(
        holder.conversations,
        holder.participants,
        holder.messages,
        holder.delivery_receipts,
        holder.participant_conversations,
        scope.prefix,
        scope.service,
    )
