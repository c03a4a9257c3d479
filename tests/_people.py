"""The user namespaces of a test's scope (see ``_ops_scopes``): the default service or
``session.service("IS…")``, reached the way users reach them."""

from __future__ import annotations

from typing import Any

import attrs
from _ops_scopes import Scope

from conversations_async import Session
from conversations_async.resources import (
    Conversations,
    Messages,
    Participants,
    Roles,
    UserConversations,
    Users,
)


@attrs.frozen
class People:
    users: Users
    user_conversations: UserConversations
    roles: Roles
    conversations: Conversations
    participants: Participants
    messages: Messages
    prefix: str
    """The path prefix the requests must use."""
    service: str | None


def people_for(session: Session, scope: Scope) -> People:
    holder: Any = session if scope.service is None else session.service(scope.service)
    return People(
        holder.users,
        holder.user_conversations,
        holder.roles,
        holder.conversations,
        holder.participants,
        holder.messages,
        scope.prefix,
        scope.service,
    )


async def default_role(roles: Roles, name: str) -> str:
    """The SID of one of the service's default roles (``service user``, ``channel user``...)."""
    [sid] = [role.sid async for role in roles.list() if role.friendly_name == name]
    return sid
