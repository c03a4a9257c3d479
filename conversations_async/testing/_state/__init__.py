"""The emulator's state and Twilio's rules, with no I/O: records are kept as Twilio's JSON.

One module per resource. Each keeps its records in a part of the :class:`Store`
(``store.parts.get(Kind)``) and offers state functions called by the route table::

    def create(store: Store, service: str | None, form: Mapping[str, str], *, conversation: str)

``service`` is the scope (None: the account's default service), ``form`` the request's fields,
and the keyword arguments the path's parameters. A function returns the JSON to answer (a
list for a list route, the removed record for a delete) or raises :class:`TwilioError`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime

from . import conversations, participants, roles
from ._common import Form, JSONDict, Limits, Parts, TwilioError
from .conversations import ConversationEntry

__all__ = ["ConversationEntry", "Form", "JSONDict", "Limits", "Parts", "Store", "TwilioError"]


class Store:
    """Every resource of one emulated account: what the account shares (its SID, the root URL,
    seeded SIDs, limits) and one part per resource kind in :attr:`parts`."""

    def __init__(
        self, *, account_sid: str, root: str = "", seed: int = 0, limits: Limits | None = None
    ) -> None:
        self.account_sid = account_sid
        self.root = root
        """The server's URL, which the records' ``url`` and ``links`` start with."""
        self.limits = limits or Limits()
        self.parts = Parts()
        """Each resource's own state: ``store.parts.get(Kind)`` (``Kind()`` on first use)."""
        self._rng = random.Random(seed)
        self.default_service = self.new_sid("IS")

    def new_sid(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def service_sid(self, service: str | None) -> str:
        """The SID of the scope: ``service``, or the account's default service for None."""
        return service or self.default_service

    def url(self, service: str | None, *parts: str) -> str:
        """A resource's absolute URL in the scope it was reached through."""
        scope = f"/Services/{service}" if service else ""
        return f"{self.root}/v1{scope}" + "".join(f"/{p}" for p in parts)

    @staticmethod
    def resource_path(service: str | None, *parts: str) -> str:
        """A resource path as Twilio's 404 messages name it (``/Conversations/CH…/…``)."""
        return (f"/Services/{service}" if service else "") + "".join(f"/{p}" for p in parts)

    # -- the names tests use to reach into the first resources' state ------------------------

    @property
    def conversations(self) -> dict[str, ConversationEntry]:
        """Conversation SID -> its entry (record, participants and their indexes)."""
        return conversations.of(self).entries

    @property
    def participants_created(self) -> int:
        return participants.of(self).created

    @property
    def missing_participant_code(self) -> int | None:
        """The code of the 404 for a participant not in its conversation (API-FACTS.md 3.3)."""
        return participants.of(self).missing_code

    @missing_participant_code.setter
    def missing_participant_code(self, code: int | None) -> None:
        participants.of(self).missing_code = code

    def create_conversation(self, service: str | None, form: Mapping[str, str]) -> JSONDict:
        return conversations.create(self, service, form)

    def find_conversation(self, service: str | None, key: str, *below: str) -> ConversationEntry:
        return conversations.find(self, service, key, *below)

    def create_participant(
        self, service: str | None, conversation: str, form: Mapping[str, str]
    ) -> JSONDict:
        return participants.create(self, service, form, conversation=conversation)

    def find_participant(
        self, service: str | None, conversation: str, key: str
    ) -> tuple[ConversationEntry, JSONDict]:
        return participants.find(self, service, conversation, key)

    def create_role(
        self, service: str | None, friendly_name: str, type_: str, permissions: list[str]
    ) -> JSONDict:
        """A role of the scope's service, as ``POST /Roles`` makes it (``type_``:
        ``conversation`` or ``service``)."""
        form = Form([("FriendlyName", friendly_name), ("Type", type_)])
        form = Form([*form.items(), *(("Permission", p) for p in permissions)])
        return roles.create(self, service, form)
