"""``session.address_configurations``: which of the account's addresses (numbers, WhatsApp
senders, email addresses, …) create a conversation for an inbound message, and what it gets."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Params
from .._sansio.params import form, query
from .._sansio.rules import FLAG, Choice, Each, Integer, Text, sid
from .._types import NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import (
    AddressConfiguration,
    AddressType,
    AutoCreationType,
    ConversationWebhookMethod,
)
from ._base import Resource
from .conversation_webhooks import Filter

MAX_PAGE_SIZE: Final = 50
"""The spec's maximum page size of this list."""
MAX_FRIENDLY_NAME: Final = 256
"""A configuration's friendly name is "limited to 256 characters" (Twilio's docs)."""
# "For type webhook, …" and "For type studio, …" (Twilio's docs of each field).
WEBHOOK_FIELDS: Final = (
    "auto_creation_webhook_url",
    "auto_creation_webhook_method",
    "auto_creation_webhook_filters",
)
STUDIO_FIELDS: Final = ("auto_creation_studio_flow_sid", "auto_creation_studio_retry_count")
_NEEDS: Final = {
    AutoCreationType.WEBHOOK: ("auto_creation_webhook_url", "a webhook URL"),
    AutoCreationType.STUDIO: ("auto_creation_studio_flow_sid", "a Studio flow SID (FW…)"),
}

_TYPE = Choice(AddressType, ignore_case=True)
_NAME = Text(max_length=MAX_FRIENDLY_NAME)
_AUTO_TYPE = Choice(AutoCreationType, ignore_case=True)
_METHOD = Choice(ConversationWebhookMethod, ignore_case=True)
_FILTERS = Each(Filter())
_RETRY_COUNT = Integer(minimum=0)


@attrs.frozen
class Address(Text):
    """The address itself (a phone number, ``whatsapp:+…``, an email address): not empty."""

    def encode(self, field: str, value: Any) -> str:
        text = super().encode(field, value)
        if not text:
            raise InvalidArgumentError(field, "must not be empty")
        return text


def _check_auto_creation(given: Mapping[str, Any], *, create: bool) -> None:
    """What an auto-creation type takes: a webhook's fields only with ``webhook``, a Studio
    flow's only with ``studio``; a create also needs the webhook URL or the flow SID. A type
    this library does not know is sent as given."""
    if given.get("auto_creation_webhook_url") == "":
        raise InvalidArgumentError("auto_creation_webhook_url", "must not be empty")
    kind = given.get("auto_creation_type")
    known = str(kind).lower() if isinstance(kind, str) else None
    if known not in {member.value for member in AutoCreationType}:
        return
    for fields, owner in ((WEBHOOK_FIELDS, "webhook"), (STUDIO_FIELDS, "studio")):
        for name in fields:
            if name in given and known != owner:
                raise InvalidArgumentError(
                    name, f"is for a {owner} auto-creation, not auto_creation_type {known!r}"
                )
    needed = _NEEDS.get(AutoCreationType(known))
    if create and needed is not None and needed[0] not in given:
        raise InvalidArgumentError(needed[0], f"a {known} auto-creation needs {needed[1]}")


@attrs.frozen(kw_only=True)
class UpdateAddressConfiguration(Params):
    """The parameters of :meth:`AddressConfigurations.update`."""

    friendly_name: str | NotGiven = form("FriendlyName", _NAME)
    auto_creation_enabled: bool | NotGiven = form("AutoCreation.Enabled", FLAG)
    auto_creation_type: AutoCreationType | str | NotGiven = form("AutoCreation.Type", _AUTO_TYPE)
    auto_creation_conversation_service_sid: str | NotGiven = form(
        "AutoCreation.ConversationServiceSid", sid("IS")
    )
    auto_creation_webhook_url: str | NotGiven = form("AutoCreation.WebhookUrl")
    auto_creation_webhook_method: ConversationWebhookMethod | str | NotGiven = form(
        "AutoCreation.WebhookMethod", _METHOD
    )
    auto_creation_webhook_filters: Sequence[str] | NotGiven = form(
        "AutoCreation.WebhookFilters", _FILTERS
    )
    auto_creation_studio_flow_sid: str | NotGiven = form("AutoCreation.StudioFlowSid", sid("FW"))
    auto_creation_studio_retry_count: int | NotGiven = form(
        "AutoCreation.StudioRetryCount", _RETRY_COUNT
    )

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        _check_auto_creation(given, create=False)


@attrs.frozen(kw_only=True)
class CreateAddressConfiguration(UpdateAddressConfiguration):
    """The parameters of :meth:`AddressConfigurations.create`."""

    type: AddressType | str = form("Type", _TYPE, default=attrs.NOTHING)
    address: str = form("Address", Address(), default=attrs.NOTHING)
    address_country: str | NotGiven = form("AddressCountry")

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        _check_auto_creation(given, create=True)


@attrs.frozen(kw_only=True)
class ListAddressConfigurations(Params):
    type: AddressType | str | NotGiven = query("Type", _TYPE)


_ALL = "Configuration/Addresses"
_ONE = "Configuration/Addresses/{address_configuration}"

CREATE = Operation(
    "create",
    "POST",
    _ALL,
    AddressConfiguration,
    CreateAddressConfiguration,
    spec=("CreateConfigurationAddress", None),
)
FETCH = Operation(
    "fetch", "GET", _ONE, AddressConfiguration, spec=("FetchConfigurationAddress", None)
)
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    AddressConfiguration,
    UpdateAddressConfiguration,
    spec=("UpdateConfigurationAddress", None),
)
DELETE = Operation[None]("delete", "DELETE", _ONE, None, spec=("DeleteConfigurationAddress", None))
LIST = Operation(
    "list",
    "GET",
    _ALL,
    AddressConfiguration,
    ListAddressConfigurations,
    list_key="address_configurations",
    spec=("ListConfigurationAddress", None),
)


class AddressConfigurations(Resource):
    """The account's address configurations: ``/v1/Configuration/Addresses``
    (``session.address_configurations``; account scope only).

    An address configuration makes a message to one of your addresses that belongs to no
    conversation create one (``auto_creation_enabled``), in a service of your choice, with a
    conversation-scoped webhook (``auto_creation_type="webhook"``), a Studio flow
    (``"studio"``) or nothing more (``"default"``) attached.
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        *,
        type: AddressType | str,
        address: str,
        friendly_name: str | NotGiven = NOT_GIVEN,
        auto_creation_enabled: bool | NotGiven = NOT_GIVEN,
        auto_creation_type: AutoCreationType | str | NotGiven = NOT_GIVEN,
        auto_creation_conversation_service_sid: str | NotGiven = NOT_GIVEN,
        auto_creation_webhook_url: str | NotGiven = NOT_GIVEN,
        auto_creation_webhook_method: ConversationWebhookMethod | str | NotGiven = NOT_GIVEN,
        auto_creation_webhook_filters: Sequence[str] | NotGiven = NOT_GIVEN,
        auto_creation_studio_flow_sid: str | NotGiven = NOT_GIVEN,
        auto_creation_studio_retry_count: int | NotGiven = NOT_GIVEN,
        address_country: str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, AddressConfiguration]:
        """Configure one address; returns its configuration.

        ``type`` is the channel (``sms``, ``whatsapp``, ``messenger``, ``gbm``, ``email``,
        ``rcs``, ``apple``, ``chat``; in any case). Checked before sending: a ``webhook``
        auto-creation needs ``auto_creation_webhook_url`` and takes the ``webhook`` fields
        only (``auto_creation_webhook_filters``: post-action events), a ``studio`` one needs
        ``auto_creation_studio_flow_sid`` and takes the ``studio`` fields only. Not resent
        after a 5xx, timeout or disconnect.
        """
        return self._call(CREATE, locals())

    def fetch(self, address_configuration: str) -> Coroutine[Any, Any, AddressConfiguration]:
        """A configuration by its SID (``IG…``) or by its address. Retried on 429, 5xx,
        timeouts and disconnects."""
        return self._call(FETCH, locals())

    def update(
        self,
        address_configuration: str,
        *,
        friendly_name: str | NotGiven = NOT_GIVEN,
        auto_creation_enabled: bool | NotGiven = NOT_GIVEN,
        auto_creation_type: AutoCreationType | str | NotGiven = NOT_GIVEN,
        auto_creation_conversation_service_sid: str | NotGiven = NOT_GIVEN,
        auto_creation_webhook_url: str | NotGiven = NOT_GIVEN,
        auto_creation_webhook_method: ConversationWebhookMethod | str | NotGiven = NOT_GIVEN,
        auto_creation_webhook_filters: Sequence[str] | NotGiven = NOT_GIVEN,
        auto_creation_studio_flow_sid: str | NotGiven = NOT_GIVEN,
        auto_creation_studio_retry_count: int | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, AddressConfiguration]:
        """Change a configuration (by SID or address); returns it. With
        ``auto_creation_type`` given, another type's fields are refused before sending. Not
        resent after a 5xx, timeout or disconnect."""
        return self._call(UPDATE, locals())

    def delete(self, address_configuration: str) -> Coroutine[Any, Any, None]:
        """Remove a configuration (by SID or address): messages to the address no longer
        create conversations. Retried like every delete."""
        return self._send(DELETE, locals())

    def list(
        self,
        *,
        type: AddressType | str | NotGiven = NOT_GIVEN,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[AddressConfiguration]:
        """Every address configuration, or those of one ``type``, page by page
        (``page_size`` 1 to 50)."""
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
