"""The namespaces of a Session and of a ServiceScope, one module each, on one kit (``_base``).

:class:`Namespaces` declares every namespace that exists at both scopes, once; a namespace of
one scope only is declared on that scope's class (:class:`AccountNamespaces`, which the
Session is, or :class:`ServiceScope`).
"""

from .._requester import Requester
from .._sansio import scope_path
from ._base import Resource, namespace
from ._participant_spec import NewParticipant
from ._sync import SyncPlan, SyncReport
from .address_configurations import AddressConfigurations
from .bindings import Bindings
from .configuration import AccountConfig, NotificationConfig, ServiceConfig
from .conversation_webhooks import ConversationWebhooks
from .conversations import Conversations
from .credentials import Credentials
from .delivery_receipts import DeliveryReceipts
from .media import MediaFiles
from .messages import Messages
from .participant_conversations import ParticipantConversations
from .participants import Participants
from .roles import Roles
from .services import Services
from .user_conversations import UserConversations
from .users import Users
from .webhook_configuration import AccountWebhookConfig, ServiceWebhookConfig


class Namespaces:
    """The namespaces both scopes have (the account's default service, and ``service(IS)``)."""

    conversations = namespace(Conversations)
    """Conversations (``/Conversations``)."""
    participants = namespace(Participants)
    """Participants of a conversation (``/Conversations/{CH}/Participants``)."""
    messages = namespace(Messages)
    """Messages of a conversation (``/Conversations/{CH}/Messages``)."""
    delivery_receipts = namespace(DeliveryReceipts)
    """Delivery receipts of a message (``/Conversations/{CH}/Messages/{IM}/Receipts``)."""
    participant_conversations = namespace(ParticipantConversations)
    """The conversations of one participant (``/ParticipantConversations``)."""
    conversation_webhooks = namespace(ConversationWebhooks)
    """Webhooks of a conversation (``/Conversations/{CH}/Webhooks``)."""
    users = namespace(Users)
    """Users of the service (``/Users``)."""
    user_conversations = namespace(UserConversations)
    """The conversations of one user (``/Users/{US}/Conversations``)."""
    roles = namespace(Roles)
    """Roles of the service (``/Roles``)."""


class AccountNamespaces(Namespaces):
    """The namespaces of the account scope (a Session): the shared ones, and those that exist
    only there (absent, an AttributeError, on a ServiceScope)."""

    webhook_configuration = namespace(AccountWebhookConfig)
    """The account's webhooks (``/Configuration/Webhooks``; a service's are on
    ``service(IS).webhook_configuration``)."""
    configuration = namespace(AccountConfig)
    """The account's settings (``/Configuration``; a service's are on
    ``service(IS).configuration``)."""
    credentials = namespace(Credentials)
    """The account's push credentials (``/Credentials``)."""
    address_configurations = namespace(AddressConfigurations)
    """The account's address configurations (``/Configuration/Addresses``)."""
    services = namespace(Services)
    """The account's Conversation Services (``/Services``)."""


class ServiceScope(Namespaces):
    """A Session's namespaces under one Conversation Service (``/v1/Services/IS…``):
    ``session.service("IS…")``."""

    webhook_configuration = namespace(ServiceWebhookConfig)
    """The service's webhooks (``/Services/{IS}/Configuration/Webhooks``)."""
    configuration = namespace(ServiceConfig)
    """The service's settings (``/Services/{IS}/Configuration``)."""
    notification_configuration = namespace(NotificationConfig)
    """The service's push notifications (``/Services/{IS}/Configuration/Notifications``)."""
    bindings = namespace(Bindings)
    """The push bindings of the service's users (``/Services/{IS}/Bindings``)."""

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
    "AccountConfig",
    "AccountNamespaces",
    "AccountWebhookConfig",
    "AddressConfigurations",
    "Bindings",
    "ConversationWebhooks",
    "Conversations",
    "Credentials",
    "DeliveryReceipts",
    "MediaFiles",
    "Messages",
    "Namespaces",
    "NewParticipant",
    "NotificationConfig",
    "ParticipantConversations",
    "Participants",
    "Requester",
    "Resource",
    "Roles",
    "ServiceConfig",
    "ServiceScope",
    "ServiceWebhookConfig",
    "Services",
    "SyncPlan",
    "SyncReport",
    "UserConversations",
    "Users",
    "namespace",
]
