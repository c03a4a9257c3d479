"""``session.conversations``: conversations of a service."""

from __future__ import annotations

from datetime import datetime

from .._limits import service_write_key
from .._sansio import (
    MAX_CONVERSATION_ATTRIBUTES,
    Request,
    check_datetime,
    check_text,
    conversations_path,
    encode_attributes,
    encode_form,
    webhook_headers,
)
from .._types import JSON, NOT_GIVEN, NotGiven
from ..models import Conversation
from ._base import Resource

MAX_FRIENDLY_NAME = 256


class Conversations(Resource):
    """Conversations: ``/v1/[Services/{IS}/]Conversations``."""

    async def create(
        self,
        *,
        friendly_name: str | NotGiven = NOT_GIVEN,
        unique_name: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Conversation:
        """Create a conversation. Returns the new :class:`~conversations_async.models.Conversation`.

        Raises :class:`~conversations_async.errors.ConflictError` (code 50353) when
        ``unique_name`` is taken. Retried on 429 and never-connected errors only.
        """
        check_text("friendly_name", friendly_name, max_length=MAX_FRIENDLY_NAME)
        check_text("unique_name", unique_name)
        form = encode_form(
            [
                ("FriendlyName", friendly_name),
                ("UniqueName", unique_name),
                ("DateCreated", check_datetime("date_created", date_created)),
                ("DateUpdated", check_datetime("date_updated", date_updated)),
                (
                    "Attributes",
                    encode_attributes(
                        "attributes", attributes, max_bytes=MAX_CONVERSATION_ATTRIBUTES
                    ),
                ),
            ]
        )
        request = Request(
            method="POST",
            path=conversations_path(self._service),
            form=form,
            headers=webhook_headers(webhook_enabled),
            write_key=service_write_key(self._service),
        )
        return await self._fetch_record(request, Conversation)

    async def fetch(self, conversation: str) -> Conversation:
        """Fetch a conversation by its ``CH…`` SID or its unique name."""
        request = Request(method="GET", path=conversations_path(self._service, conversation))
        return await self._fetch_record(request, Conversation)
