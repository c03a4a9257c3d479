"""The namespaces of a Session and of a ServiceScope, one module each, on one kit (``_base``).

:class:`Namespaces` declares every namespace that exists at both scopes, once; a namespace of
one scope only is declared on that scope's class.
"""

from .._requester import Requester
from .._sansio import scope_path
from ._base import Resource, namespace
from ._participant_spec import NewParticipant
from .conversations import Conversations
from .media import MediaFiles
from .participants import Participants


class Namespaces:
    """The namespaces both scopes have (the account's default service, and ``service(IS)``)."""

    conversations = namespace(Conversations)
    """Conversations (``/Conversations``)."""
    participants = namespace(Participants)
    """Participants of a conversation (``/Conversations/{CH}/Participants``)."""


class ServiceScope(Namespaces):
    """A Session's namespaces under one Conversation Service (``/v1/Services/IS…``):
    ``session.service("IS…")``."""

    def __init__(self, session: Requester, chat_service_sid: str) -> None:
        scope_path(chat_service_sid)  # checks the SID
        self.session = session
        self._chat_service_sid = chat_service_sid

    def __repr__(self) -> str:
        return f"<ServiceScope {self._chat_service_sid}>"

    @property
    def requester(self) -> Requester:
        """What its namespaces send through: the Session."""
        return self.session

    @property
    def chat_service_sid(self) -> str:
        """The Conversation Service (``IS…``) these namespaces are scoped to."""
        return self._chat_service_sid


__all__ = [
    "Conversations",
    "MediaFiles",
    "Namespaces",
    "NewParticipant",
    "Participants",
    "Requester",
    "Resource",
    "ServiceScope",
    "namespace",
]
