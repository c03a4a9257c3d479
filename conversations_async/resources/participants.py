"""``session.participants``: the members of a conversation."""

from __future__ import annotations

from datetime import datetime

from .._sansio import Request, participant_create_request, participants_path
from .._types import JSON, NOT_GIVEN, NotGiven
from ..models import Participant
from ._base import Resource


class Participants(Resource):
    """Participants of conversations: ``/v1/[Services/{IS}/]Conversations/{CH}/Participants``."""

    async def create(
        self,
        conversation: str,
        *,
        identity: str | NotGiven = NOT_GIVEN,
        messaging_binding_address: str | NotGiven = NOT_GIVEN,
        messaging_binding_proxy_address: str | NotGiven = NOT_GIVEN,
        messaging_binding_projected_address: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        role_sid: str | NotGiven = NOT_GIVEN,
        date_created: datetime | NotGiven = NOT_GIVEN,
        date_updated: datetime | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Participant:
        """Add a participant to ``conversation`` (a ``CH…`` SID or the conversation's unique name).

        A chat participant needs ``identity``; an SMS/WhatsApp one ``messaging_binding_address``
        with ``messaging_binding_proxy_address`` (your Twilio number). ``attributes`` may be any
        JSON value (serialised for you) or a string that is already JSON; at most 4 KB.
        Datetimes must be timezone-aware and are sent as ISO 8601 UTC. ``webhook_enabled`` sends
        ``X-Twilio-Webhook-Enabled``. Parameters left out are not sent.

        Returns the new :class:`~conversations_async.models.Participant`.

        Raises :class:`~conversations_async.errors.InvalidArgumentError` before sending when an
        argument is invalid; :class:`~conversations_async.errors.ConflictError` with
        ``already_in_conversation`` true (codes 50433/50437) when the participant is already
        there; other :class:`~conversations_async.errors.APIStatusError` subclasses as Twilio
        answers.

        Retried on 429 and when the connection was never made. Not resent after a 5xx, timeout or
        disconnect, because the participant may already exist: a bulk job should use
        ``create_many``, which reads back before creating again.
        """
        request = participant_create_request(
            conversation,
            service=self._service,
            identity=identity,
            messaging_binding_address=messaging_binding_address,
            messaging_binding_proxy_address=messaging_binding_proxy_address,
            messaging_binding_projected_address=messaging_binding_projected_address,
            attributes=attributes,
            role_sid=role_sid,
            date_created=date_created,
            date_updated=date_updated,
            webhook_enabled=webhook_enabled,
        )
        return await self._fetch_record(request, Participant)

    async def fetch(self, conversation: str, participant: str) -> Participant:
        """Fetch one participant by its ``MB…`` SID or by its identity.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects (a read is safe to repeat).
        """
        request = Request(
            method="GET", path=participants_path(self._service, conversation, participant)
        )
        return await self._fetch_record(request, Participant)
