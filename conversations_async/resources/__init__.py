"""The namespaces of a Session and of a ServiceScope, one module each, on one kit (``_base``).

:class:`Namespaces` declares every namespace that exists at both scopes, once; a namespace of
one scope only is declared on that scope's class.
"""

from .._requester import Requester
from ._base import Resource, namespace
from ._participant_spec import NewParticipant
from .conversations import Conversations
from .participants import Participants


class Namespaces:
    """The namespaces both scopes have (the account's default service, and ``service(IS)``)."""

    conversations = namespace(Conversations)
    """Conversations (``/Conversations``)."""
    participants = namespace(Participants)
    """Participants of a conversation (``/Conversations/{CH}/Participants``)."""


__all__ = [
    "Conversations",
    "Namespaces",
    "NewParticipant",
    "Participants",
    "Requester",
    "Resource",
    "namespace",
]
