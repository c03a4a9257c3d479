"""``session.user_conversations``: the conversations of one user, with their read state."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params
from .._sansio.params import form
from .._sansio.rules import DATETIME, Choice, Integer
from .._types import NOT_GIVEN, NotGiven
from ..models import NotificationLevel, UserConversation
from ._base import Resource
from .users import MAX_PAGE_SIZE


@attrs.frozen(kw_only=True)
class UpdateUserConversation(Params):
    """The parameters of :meth:`UserConversations.update`."""

    notification_level: NotificationLevel | str | NotGiven = form(
        "NotificationLevel", Choice(NotificationLevel)
    )
    last_read_timestamp: datetime | NotGiven = form("LastReadTimestamp", DATETIME)
    last_read_message_index: int | NotGiven | None = form(
        "LastReadMessageIndex", Integer(minimum=0), nullable=True
    )


_PATH = "Users/{user}/Conversations"
_ONE = _PATH + "/{conversation}"

FETCH = Operation(
    "fetch",
    "GET",
    _ONE,
    UserConversation,
    spec=("FetchUserConversation", "FetchServiceUserConversation"),
)
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    UserConversation,
    UpdateUserConversation,
    Pacing.SERVICE,
    spec=("UpdateUserConversation", "UpdateServiceUserConversation"),
)
DELETE = Operation[None](
    "delete",
    "DELETE",
    _ONE,
    None,
    pacing=Pacing.SERVICE,
    spec=("DeleteUserConversation", "DeleteServiceUserConversation"),
)
LIST = Operation(
    "list",
    "GET",
    _PATH,
    UserConversation,
    list_key="conversations",
    spec=("ListUserConversation", "ListServiceUserConversation"),
)


class UserConversations(Resource):
    """A user's conversations: ``/v1/[Services/{IS}/]Users/{US}/Conversations``.

    One per conversation the user is a participant of. A user is addressed by its ``US…`` SID
    or its identity, a conversation by its ``CH…`` SID or its unique name. Writes are user
    writes: they spend the service's budget of 30 actions per second.
    """

    operations = (FETCH, UPDATE, DELETE, LIST)

    def fetch(self, user: str, conversation: str) -> Coroutine[Any, Any, UserConversation]:
        """The user's view of one conversation: its unread count, the participant's last read
        message and the notification level.

        Raises :class:`~conversations_async.errors.NotFoundError` when the user, the
        conversation, or the user's participation in it is absent. Retried on 429, 5xx,
        timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def update(
        self,
        user: str,
        conversation: str,
        *,
        notification_level: NotificationLevel | str | NotGiven = NOT_GIVEN,
        last_read_timestamp: datetime | NotGiven = NOT_GIVEN,
        last_read_message_index: int | NotGiven | None = NOT_GIVEN,
    ) -> Coroutine[Any, Any, UserConversation]:
        """Mute (``notification_level="muted"``) or unmute (``"default"``) the conversation
        for the user, or move the user's read horizon: ``last_read_message_index`` (the index
        of the last message read; ``None`` clears it) and ``last_read_timestamp`` (an aware
        datetime). The read horizon is the participant's: ``participants.fetch`` shows it too.

        Returns the updated record. Not resent after a 5xx, timeout or disconnect; retried on
        429 and when the connection was never made.
        """
        return self._call(UPDATE, locals())

    def delete(self, user: str, conversation: str) -> Coroutine[Any, Any, None]:
        """The user leaves the conversation: its participant is removed.

        Raises :class:`~conversations_async.errors.NotFoundError` when the user is not in it;
        a delete is retried after a 5xx or timeout, so a retried delete that had been applied
        answers NotFoundError.
        """
        return self._send(DELETE, locals())

    def list(
        self, user: str, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[UserConversation]:
        """Every conversation of ``user`` (SID or identity), page by page; ``page_size`` is 1
        to 50. No request is made until you iterate.
        """
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
