"""``session.participant_conversations``: every conversation one participant is in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Params
from .._sansio.params import query
from .._sansio.rules import Text
from .._types import NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import ParticipantConversation
from ._base import Resource

MAX_PAGE_SIZE: Final = 50
"""The spec's ``PageSize`` maximum for this list ("the maximum is 50")."""


@attrs.frozen(kw_only=True)
class ListParticipantConversations(Params):
    identity: str | NotGiven = query("Identity", Text(max_length=256))
    address: str | NotGiven = query("Address", Text(max_length=256))

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """Exactly one of them: the spec lists a chat participant by identity, any other by
        its messaging binding address."""
        identity, address = given.get("identity"), given.get("address")
        if identity and address:
            raise InvalidArgumentError("address", "give identity or address, not both")
        if not identity and not address:
            raise InvalidArgumentError(
                "identity", "give the participant's identity (chat) or address (SMS/WhatsApp)"
            )


LIST = Operation(
    "list",
    "GET",
    "ParticipantConversations",
    ParticipantConversation,
    ListParticipantConversations,
    list_key="conversations",
    spec=("ListParticipantConversation", "ListServiceParticipantConversation"),
)


class ParticipantConversations(Resource):
    """The conversations of one participant: ``/v1/[Services/{IS}/]ParticipantConversations``.

    Useful before adding an SMS/WhatsApp participant (is this address already bound to a
    conversation? Twilio 50416) and to show a user their conversations.
    """

    operations = (LIST,)

    def list(
        self,
        *,
        identity: str | NotGiven = NOT_GIVEN,
        address: str | NotGiven = NOT_GIVEN,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[ParticipantConversation]:
        """Every conversation of the participant with ``identity`` (a chat user) or with the
        messaging binding ``address`` (e.g. ``"+15558675310"``, ``"whatsapp:+…"``): exactly
        one of the two, else :class:`~conversations_async.errors.InvalidArgumentError` before
        anything is sent.

        Each item is a :class:`~conversations_async.models.ParticipantConversation`: the
        conversation's fields and the participant's. ``page_size`` is 1 to 50. No request is
        made until you iterate.
        """
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
