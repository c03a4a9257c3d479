"""``session.messages``: the messages of a conversation."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params
from .._sansio.params import form, query, webhook_header
from .._sansio.rules import (
    DATETIME,
    Choice,
    Json,
    JsonObject,
    Rule,
    Text,
    check_text_value,
    plain,
    sid,
)
from .._types import JSON, NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import Message, MessageOrder
from ._base import Resource

MAX_BODY_BYTES: Final = 32 * 1024
"""A message body Twilio takes: at most 32 KB ("Inbound: 32KB", the Conversations limits page).

Delivery to SMS and WhatsApp participants is limited to 1,600 characters (the same page, and
the spec's description of ``Body``), but a chat participant receives up to 32 KB, so which
limit applies depends on the conversation: only the one that holds for every conversation is
checked before sending."""
MAX_ATTRIBUTES: Final = 4 * 1024
"""A message's attributes: at most 4 KB of JSON (API-FACTS 4.2)."""
MAX_SUBJECT: Final = 256
"""The spec: "The subject of the message, can be up to 256 characters long"."""


@attrs.frozen
class MessageBody(Rule):
    """Text of at most ``max_bytes`` bytes of UTF-8."""

    max_bytes: int = MAX_BODY_BYTES

    def encode(self, field: str, value: Any) -> str:
        text = check_text_value(field, value)
        size = len(text) if text.isascii() else len(text.encode())
        if size > self.max_bytes:
            raise InvalidArgumentError(
                field, f"is {size} bytes of UTF-8; at most {self.max_bytes // 1024} KB"
            )
        return plain(text)

    def describe(self) -> str:
        return f"text, at most {self.max_bytes // 1024} KB"


BODY: Final = MessageBody()
ATTRIBUTES: Final = Json(max_bytes=MAX_ATTRIBUTES)
SUBJECT: Final = Text(max_length=MAX_SUBJECT)


@attrs.frozen(kw_only=True)
class NewMessage(Params):
    """The parameters of :meth:`Messages.create`."""

    author: str | NotGiven = form("Author")
    body: str | NotGiven = form("Body", BODY)
    date_created: datetime | NotGiven = form("DateCreated", DATETIME)
    date_updated: datetime | NotGiven = form("DateUpdated", DATETIME)
    attributes: JSON | NotGiven = form("Attributes", ATTRIBUTES)
    media_sid: str | NotGiven = form("MediaSid", sid("ME"))
    content_sid: str | NotGiven = form("ContentSid", sid("HX"))
    content_variables: Mapping[str, Any] | NotGiven = form("ContentVariables", JsonObject())
    subject: str | NotGiven = form("Subject", SUBJECT)
    webhook_enabled: bool | NotGiven = webhook_header()

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """A message has a body, a media or a Rich Content template; template variables need
        the template."""
        if not (given.get("body") or given.get("media_sid") or given.get("content_sid")):
            raise InvalidArgumentError(
                "body", "a message needs a body, a media_sid or a content_sid"
            )
        if "content_variables" in given and not given.get("content_sid"):
            raise InvalidArgumentError("content_variables", "needs content_sid (the template)")


@attrs.frozen(kw_only=True)
class UpdateMessage(Params):
    """The parameters of :meth:`Messages.update`."""

    author: str | NotGiven = form("Author")
    body: str | NotGiven = form("Body", BODY)
    date_created: datetime | NotGiven = form("DateCreated", DATETIME)
    date_updated: datetime | NotGiven = form("DateUpdated", DATETIME)
    attributes: JSON | NotGiven = form("Attributes", ATTRIBUTES)
    subject: str | NotGiven = form("Subject", SUBJECT)
    webhook_enabled: bool | NotGiven = webhook_header()


@attrs.frozen(kw_only=True)
class DeleteMessage(Params):
    webhook_enabled: bool | NotGiven = webhook_header()


@attrs.frozen(kw_only=True)
class ListMessages(Params):
    order: MessageOrder | str | NotGiven = query("Order", Choice(MessageOrder))


_PATH = "Conversations/{conversation}/Messages"
_ONE = _PATH + "/{message:IM}"

CREATE = Operation(
    "create",
    "POST",
    _PATH,
    Message,
    NewMessage,
    Pacing.CONVERSATION,
    spec=("CreateConversationMessage", "CreateServiceConversationMessage"),
)
FETCH = Operation(
    "fetch",
    "GET",
    _ONE,
    Message,
    spec=("FetchConversationMessage", "FetchServiceConversationMessage"),
)
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    Message,
    UpdateMessage,
    Pacing.CONVERSATION,
    spec=("UpdateConversationMessage", "UpdateServiceConversationMessage"),
)
DELETE = Operation[None](
    "delete",
    "DELETE",
    _ONE,
    None,
    DeleteMessage,
    Pacing.CONVERSATION,
    spec=("DeleteConversationMessage", "DeleteServiceConversationMessage"),
)
LIST = Operation(
    "list",
    "GET",
    _PATH,
    Message,
    ListMessages,
    list_key="messages",
    spec=("ListConversationMessage", "ListServiceConversationMessage"),
)


class Messages(Resource):
    """Messages of conversations: ``/v1/[Services/{IS}/]Conversations/{CH}/Messages``.

    A conversation is addressed by its ``CH…`` SID or its unique name, a message by its
    ``IM…`` SID. Writes spend the conversation's budget of 30 actions per second (the
    Session's limiter paces them), like participant writes.
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        conversation: str,
        *,
        author: str | NotGiven = NOT_GIVEN,
        body: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        media_sid: str | NotGiven = NOT_GIVEN,
        content_sid: str | NotGiven = NOT_GIVEN,
        content_variables: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        subject: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Message]:
        """Post a message to ``conversation``; returns the new
        :class:`~conversations_async.models.Message`.

        A message needs a ``body`` (at most 32 KB; SMS and WhatsApp deliver at most 1,600
        characters), a ``media_sid`` (``ME…``, uploaded to the Media Content Service) or a
        ``content_sid`` (a Rich Content template, ``HX…``, whose ``content_variables``
        mapping is sent as JSON; with a template Twilio ignores ``body`` and ``media_sid``).
        ``author`` defaults to ``system`` at Twilio; ``attributes`` is any JSON value (or a
        string that already is JSON), at most 4 KB; ``subject`` at most 256 characters.
        ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled`` (``True``: this REST message
        fires the post-action webhooks). Parameters left out are not sent.

        Raises :class:`~conversations_async.errors.InvalidArgumentError` before sending when an
        argument is invalid, or when there is neither a body, nor a media, nor a template.
        Retried on 429 and when the connection was never made; not resent after a 5xx,
        timeout or disconnect (the message may have been posted).
        """
        return self._call(CREATE, locals())

    def fetch(self, conversation: str, message: str) -> Coroutine[Any, Any, Message]:
        """Fetch one message by its ``IM…`` SID.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def update(
        self,
        conversation: str,
        message: str,
        *,
        author: str | NotGiven = NOT_GIVEN,
        body: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        subject: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Message]:
        """Change a message; returns the updated record. Only the parameters you pass are
        sent (the same rules as :meth:`create`); its media and template cannot be changed.

        Not resent after a 5xx, timeout or disconnect; retried on 429 and when the connection
        was never made.
        """
        return self._call(UPDATE, locals())

    def delete(
        self,
        conversation: str,
        message: str,
        *,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, None]:
        """Remove a message (and its delivery receipts) from the conversation.

        ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled``. Raises
        :class:`~conversations_async.errors.NotFoundError` when it is not there; a delete is
        retried after a 5xx or timeout, so a retried delete that had been applied answers
        NotFoundError.
        """
        return self._send(DELETE, locals())

    def list(
        self,
        conversation: str,
        *,
        order: MessageOrder | str | NotGiven = NOT_GIVEN,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Message]:
        """The messages of ``conversation``, page by page: ``async for m in ….list(CH)``.

        ``order="desc"`` lists the newest first (Twilio's default is ``"asc"``, oldest
        first): ``….list(CH, order="desc", limit=1)`` reads the last message. No request is
        made until you iterate; ``page_size`` is 1 to 100.
        """
        return self._list(LIST, locals(), limit=limit, page_size=page_size)
