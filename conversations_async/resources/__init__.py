"""Resource namespaces: ``session.conversations`` and ``session.participants``."""

from .conversations import Conversations
from .participants import Participants

__all__ = ["Conversations", "Participants"]
