"""The participant spec: what adds one participant, shared by ``participants.create``,
``participants.create_many`` and ``conversations.create_with_participants``.

Its own module because two namespaces take it (participants, conversations), and the bulk
onboarding reads back by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .._sansio import Operation, Pacing, Params, Request
from .._sansio.params import form, webhook_header
from .._sansio.rules import DATETIME, Json, Text, sid
from .._types import JSON, NotGiven
from ..errors import InvalidArgumentError
from ..models import Participant

IDENTITY = Text(max_length=256)
ADDRESS = Text(max_length=256)
ATTRIBUTES = Json(max_bytes=4 * 1024)
"""Twilio's limits (API-FACTS 4.2): 256 characters, participant attributes 4 KB."""


@attrs.frozen(kw_only=True)
class NewParticipant(Params):
    """One participant to add: the parameters of
    :meth:`~conversations_async.resources.Participants.create`, as a record.

    The same record serves ``participants.create``, ``create_many`` and
    ``conversations.create_with_participants``. Nothing is checked when it is made; each is
    checked before it is sent (see :meth:`validate` to check earlier).
    """

    identity: str | NotGiven = form("Identity", IDENTITY)
    messaging_binding_address: str | NotGiven = form("MessagingBinding.Address", ADDRESS)
    messaging_binding_proxy_address: str | NotGiven = form("MessagingBinding.ProxyAddress", ADDRESS)
    messaging_binding_projected_address: str | NotGiven = form(
        "MessagingBinding.ProjectedAddress", ADDRESS
    )
    attributes: JSON | NotGiven = form("Attributes", ATTRIBUTES)
    role_sid: str | NotGiven = form("RoleSid", sid("RL"))
    date_created: datetime | NotGiven = form("DateCreated", DATETIME)
    date_updated: datetime | NotGiven = form("DateUpdated", DATETIME)
    webhook_enabled: bool | NotGiven = webhook_header()

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """The kinds of participant Twilio accepts (API-FACTS 1.2, the spec's create examples).

        - chat: an identity (optionally with a projected address, for Group MMS);
        - SMS/WhatsApp/RCS: an address with a proxy address;
        - Group MMS SMS member: an address alone.

        A proxy address needs an address (Twilio 50411) and must differ from it (50409); a
        projected address belongs to a chat participant, so it needs an identity.
        """
        identity = given.get("identity")
        address = given.get("messaging_binding_address")
        proxy = given.get("messaging_binding_proxy_address")
        if proxy and not address:
            raise InvalidArgumentError(
                "messaging_binding_address", "is required with messaging_binding_proxy_address"
            )
        if not identity and not address:
            raise InvalidArgumentError(
                "identity",
                "a participant needs an identity (chat) or a messaging_binding_address "
                "(SMS/WhatsApp)",
            )
        if address and proxy and address == proxy:
            raise InvalidArgumentError(
                "messaging_binding_proxy_address", "must differ from messaging_binding_address"
            )
        if given.get("messaging_binding_projected_address") and not identity:
            raise InvalidArgumentError(
                "identity", "is required with messaging_binding_projected_address (Group MMS)"
            )

    def create_request(self, conversation: str, *, service: str | None = None) -> Request:
        """The create request for this spec; raises InvalidArgumentError naming a bad field."""
        return CREATE.request(
            service, {**attrs.asdict(self, recurse=False), "conversation": conversation}
        )

    def validate(self) -> None:
        """Raise :class:`~conversations_async.errors.InvalidArgumentError` if Twilio would
        refuse this spec for a reason known before sending."""
        self.create_request("CH" + "0" * 32)

    def matches(self, participant: Participant) -> bool:
        """Whether ``participant`` is the one this spec describes (same identity, or same
        messaging binding address and proxy address)."""
        return matches(self, participant)


def matches(spec: Any, participant: Participant) -> bool:
    """Whether ``participant`` is the one ``spec`` describes: the same identity, or the same
    messaging binding address and proxy address."""
    if spec.identity:
        return bool(participant.identity == spec.identity)
    binding = participant.messaging_binding
    if binding is None or not spec.messaging_binding_address:
        return False
    proxy = spec.messaging_binding_proxy_address or None
    return bool(
        binding.address == spec.messaging_binding_address and binding.proxy_address == proxy
    )


CREATE = Operation(
    "create",
    "POST",
    "Conversations/{conversation}/Participants",
    Participant,
    NewParticipant,
    Pacing.CONVERSATION,
    spec=("CreateConversationParticipant", "CreateServiceConversationParticipant"),
)
