"""ConversationWithParticipants: a conversation and up to 10 participants, all or nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from . import conversations, participants
from ._common import Form, JSONDict, TwilioError

if TYPE_CHECKING:
    from . import Store

MAX_PARTICIPANTS: Final = 10
SIMPLE_FIELDS: Final = {
    "identity": "Identity",
    "attributes": "Attributes",
    "role_sid": "RoleSid",
    "date_created": "DateCreated",
    "date_updated": "DateUpdated",
}
BINDING_FIELDS: Final = {
    "address": "MessagingBinding.Address",
    "proxy_address": "MessagingBinding.ProxyAddress",
    "projected_address": "MessagingBinding.ProjectedAddress",
}


def create(store: Store, service: str | None, form: Form) -> JSONDict:
    """Twilio releases what it made when one participant fails."""
    texts = form.getall("Participant")
    if len(texts) > MAX_PARTICIPANTS:
        raise TwilioError(400, 50426, "Request contains too many participants")
    forms = [participant_form(text) for text in texts]
    record = conversations.create(store, service, form)
    try:
        for participant in forms:
            participants.create(store, service, participant, conversation=record["sid"])
    except TwilioError as error:
        conversations.delete(store, service, form, conversation=record["sid"])
        if error.code == 50416:
            raise TwilioError(
                409, 50425, "Participant/proxy pairs for one or more participants already in use"
            ) from None
        raise TwilioError(
            error.status,
            50427,
            f"Errors occurred during multiple participants creation: {error.message}",
        ) from None
    return record


def status(form: Form) -> int:
    """Twilio answers 202 while it adds the participants, 201 for a bare conversation."""
    return 202 if form.getall("Participant") else 201


def participant_form(text: str) -> dict[str, str]:
    """One ``Participant`` JSON object of ConversationWithParticipants, as a create form."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    binding = (data.get("messaging_binding") or {}) if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(binding, dict):
        raise TwilioError(
            400, 50424, "One of the JSON requests for participant creation is invalid"
        )
    form: dict[str, str] = {}
    for key, field in SIMPLE_FIELDS.items():
        value = data.get(key)
        if value is not None:
            form[field] = value if isinstance(value, str) else json.dumps(value)
    for key, field in BINDING_FIELDS.items():
        if isinstance(binding.get(key), str):
            form[field] = binding[key]
    return form
