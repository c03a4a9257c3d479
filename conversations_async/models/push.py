"""Push notification records: the account's push credentials, and the bindings of a service's
users (the devices a push goes to)."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._record import Linked, OpenEnum, url_text


class CredentialType(OpenEnum):
    """The push service a credential is for."""

    APN = "apn"
    """Apple Push Notification service (a certificate and its private key)."""
    GCM = "gcm"
    """Google Cloud Messaging, Firebase's predecessor (an API key)."""
    FCM = "fcm"
    """Firebase Cloud Messaging (a server key, sent as ``secret``)."""


class BindingType(OpenEnum):
    """The push technology of a binding."""

    APN = "apn"
    GCM = "gcm"
    FCM = "fcm"
    TWILSOCK = "twilsock"
    """Twilio's own connection of the client SDKs."""


@attrs.frozen(kw_only=True)
class Credential(Linked):
    """A push credential of the account (``/v1/Credentials``).

    Twilio never answers a credential's certificate, private key, API key or secret: the
    record holds none of them.
    """

    sid: str
    account_sid: str | None = None
    friendly_name: str | None = None
    type: CredentialType | None = None
    sandbox: str | None = None
    """[APN only] Twilio's text for whether pushes go to the APNs sandbox (``"True"`` or
    ``"False"``); :attr:`is_sandbox` reads it."""
    date_created: datetime | None = None
    date_updated: datetime | None = None
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)

    @property
    def is_sandbox(self) -> bool | None:
        """:attr:`sandbox` as a bool (None when Twilio sent none, or text it does not use)."""
        text = (self.sandbox or "").lower()
        return True if text == "true" else False if text == "false" else None


@attrs.frozen(kw_only=True)
class Binding(Linked):
    """One device of a service's user that gets push notifications
    (``/v1/Services/{IS}/Bindings``): the client SDK registers it; the REST API reads and
    deletes it."""

    sid: str
    account_sid: str | None = None
    chat_service_sid: str | None = None
    credential_sid: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    endpoint: str | None = None
    """The device's unique endpoint (its format depends on ``binding_type``)."""
    identity: str | None = None
    binding_type: BindingType | None = None
    message_types: tuple[str, ...] | None = None
    """The pushes it subscribes to (``new_message``, ``added_to_conversation``, …)."""
    _url: str | None = attrs.field(default=None, alias="url", converter=url_text)
