"""Records returned by the API: frozen attrs classes whose fields are Twilio's JSON keys.

Records hold data only; how JSON becomes a record lives in the one cattrs converter
(``conversations_async._convert``), so unknown fields Twilio adds later are simply ignored.
One module per resource family.
"""

from ._record import OpenEnum
from .configuration import (
    AddressAutoCreation,
    AddressConfiguration,
    AddressType,
    AutoCreationType,
    Configuration,
    MediaNotification,
    NewMessageNotification,
    Notification,
    NotificationConfiguration,
    ServiceConfiguration,
)
from .conversations import Conversation, ConversationState, ConversationTimers
from .media import Media
from .messages import (
    DeliveryReceipt,
    DeliveryStatus,
    Message,
    MessageDelivery,
    MessageMedia,
    MessageOrder,
    ParticipantConversation,
)
from .participants import MessagingBinding, Participant
from .push import Binding, BindingType, Credential, CredentialType
from .roles import Role, RolePermission, RoleType
from .services import Service
from .users import NotificationLevel, User, UserConversation
from .webhooks import (
    ConversationWebhook,
    ConversationWebhookConfiguration,
    ConversationWebhookMethod,
    ServiceWebhookConfiguration,
    WebhookConfiguration,
    WebhookConfigurationTarget,
    WebhookMethod,
    WebhookTarget,
)

__all__ = [
    "AddressAutoCreation",
    "AddressConfiguration",
    "AddressType",
    "AutoCreationType",
    "Binding",
    "BindingType",
    "Configuration",
    "Conversation",
    "ConversationState",
    "ConversationTimers",
    "ConversationWebhook",
    "ConversationWebhookConfiguration",
    "ConversationWebhookMethod",
    "Credential",
    "CredentialType",
    "DeliveryReceipt",
    "DeliveryStatus",
    "Media",
    "MediaNotification",
    "Message",
    "MessageDelivery",
    "MessageMedia",
    "MessageOrder",
    "MessagingBinding",
    "NewMessageNotification",
    "Notification",
    "NotificationConfiguration",
    "NotificationLevel",
    "OpenEnum",
    "Participant",
    "ParticipantConversation",
    "Role",
    "RolePermission",
    "RoleType",
    "Service",
    "ServiceConfiguration",
    "ServiceWebhookConfiguration",
    "User",
    "UserConversation",
    "WebhookConfiguration",
    "WebhookConfigurationTarget",
    "WebhookMethod",
    "WebhookTarget",
]
