"""``session.credentials``: the account's push credentials (APNs, FCM, GCM), which a service's
push notifications are sent with. Their certificates, keys and secrets are secrets: never in a
repr, a log line or an error."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Params
from .._sansio.params import form
from .._sansio.rules import FLAG, Choice, Rule, Text, check_encodable, plain
from .._types import NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import Credential, CredentialType
from ._base import Resource

MAX_FRIENDLY_NAME: Final = 64
"""A credential's friendly name: "up to 64 characters long" (Twilio's docs)."""
# Which secret fields each type takes (Twilio's docs mark each "[APN only]", "[GCM only]" or
# "[FCM only]") and needs: Twilio answers an fcm create without Secret with 400/20001
# "'Secret' must be present" (twilio/voice-quickstart-android#42); the others by the same rule.
FIELDS_OF: Final = {
    CredentialType.APN: ("certificate", "private_key", "sandbox"),
    CredentialType.GCM: ("api_key",),
    CredentialType.FCM: ("secret",),
}
NEEDED_BY: Final = {
    CredentialType.APN: ("certificate", "private_key"),
    CredentialType.GCM: ("api_key",),
    CredentialType.FCM: ("secret",),
}


class SecretText(str):
    """A secret's wire text: the value, whose repr never shows it (so neither does the repr
    of a :class:`~conversations_async.Request` that carries it, or a log line of one)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


@attrs.frozen
class Secret(Rule):
    """A secret (a certificate, a private key, an API key, a server key): a non-empty string,
    sent as given. No error about it shows the value, and its wire text hides it in a repr."""

    def encode(self, field: str, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
        text = plain(value)
        if not text:
            raise InvalidArgumentError(field, "must not be empty")
        # check_encodable names the index of a lone surrogate, never the text around it.
        return SecretText(check_encodable(field, text))

    def describe(self) -> str:
        return "a secret string (never shown in a repr, a log line or an error)"


_TYPE = Choice(CredentialType, ignore_case=True)
_NAME = Text(max_length=MAX_FRIENDLY_NAME)
_SECRET = Secret()


def _known_type(value: object) -> CredentialType | None:
    """The type among the three this library knows (in any case), or None."""
    text = str(value).lower() if isinstance(value, str) else ""
    return next((known for known in CredentialType if known.value == text), None)


def _check_fields(given: Mapping[str, Any], *, create: bool) -> None:
    """The secret fields that go with the type: those of another type are refused; a create
    also needs its own (a type this library does not know is sent as given)."""
    kind = _known_type(given.get("type"))
    if kind is None:
        return
    for other, fields in FIELDS_OF.items():
        for name in fields:
            if other is not kind and name in given:
                raise InvalidArgumentError(name, f"is for {other} credentials only, not {kind}")
    if create:
        for name in NEEDED_BY[kind]:
            if name not in given:
                raise InvalidArgumentError(name, f"{kind} credentials need {name}")


@attrs.frozen(kw_only=True)
class CredentialFields(Params):
    """The fields a credential create and update share (``type`` is optional here)."""

    type: CredentialType | str | NotGiven = form("Type", _TYPE)
    friendly_name: str | NotGiven = form("FriendlyName", _NAME)
    certificate: str | NotGiven = form("Certificate", _SECRET)
    private_key: str | NotGiven = form("PrivateKey", _SECRET)
    sandbox: bool | NotGiven = form("Sandbox", FLAG)
    api_key: str | NotGiven = form("ApiKey", _SECRET)
    secret: str | NotGiven = form("Secret", _SECRET)

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        _check_fields(given, create=False)


@attrs.frozen(kw_only=True)
class CreateCredential(CredentialFields):
    """The parameters of :meth:`Credentials.create`: ``type`` is required."""

    type: CredentialType | str = form("Type", _TYPE, default=attrs.NOTHING)

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        _check_fields(given, create=True)


_ONE = "Credentials/{credential:CR}"

CREATE = Operation(
    "create", "POST", "Credentials", Credential, CreateCredential, spec=("CreateCredential", None)
)
FETCH = Operation("fetch", "GET", _ONE, Credential, spec=("FetchCredential", None))
UPDATE = Operation(
    "update", "POST", _ONE, Credential, CredentialFields, spec=("UpdateCredential", None)
)
DELETE = Operation[None]("delete", "DELETE", _ONE, None, spec=("DeleteCredential", None))
LIST = Operation(
    "list", "GET", "Credentials", Credential, list_key="credentials", spec=("ListCredential", None)
)


class Credentials(Resource):
    """The account's push credentials: ``/v1/Credentials`` (``session.credentials``; account
    scope only).

    An ``apn`` credential takes a ``certificate`` and its ``private_key`` (and ``sandbox``),
    an ``fcm`` one a ``secret`` (the Firebase server key), a ``gcm`` one an ``api_key``. They
    are sent, never answered: a :class:`~conversations_async.models.Credential` holds none of
    them, and no repr, log line or error of this library shows them.
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        *,
        type: CredentialType | str,
        friendly_name: str | NotGiven = NOT_GIVEN,
        certificate: str | NotGiven = NOT_GIVEN,
        private_key: str | NotGiven = NOT_GIVEN,
        sandbox: bool | NotGiven = NOT_GIVEN,
        api_key: str | NotGiven = NOT_GIVEN,
        secret: str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Credential]:
        """Add a push credential; returns it (without its secrets).

        Each type needs its own secrets and takes no other type's (checked before sending):
        ``apn`` a ``certificate`` and ``private_key`` (PEM text), ``fcm`` a ``secret``,
        ``gcm`` an ``api_key``; ``sandbox`` is for ``apn`` only. ``type`` is ``apn``,
        ``fcm`` or ``gcm`` (in any case). Not resent after a 5xx, timeout or disconnect.
        """
        return self._call(CREATE, locals())

    def fetch(self, credential: str) -> Coroutine[Any, Any, Credential]:
        """A credential by SID (``CR…``, checked before sending). Retried on 429, 5xx,
        timeouts and disconnects."""
        return self._call(FETCH, locals())

    def update(
        self,
        credential: str,
        *,
        type: CredentialType | str | NotGiven = NOT_GIVEN,
        friendly_name: str | NotGiven = NOT_GIVEN,
        certificate: str | NotGiven = NOT_GIVEN,
        private_key: str | NotGiven = NOT_GIVEN,
        sandbox: bool | NotGiven = NOT_GIVEN,
        api_key: str | NotGiven = NOT_GIVEN,
        secret: str | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, Credential]:
        """Change a credential (e.g. a renewed certificate); returns it (without its secrets).

        With ``type`` given, another type's secrets are refused before sending. Not resent
        after a 5xx, timeout or disconnect.
        """
        return self._call(UPDATE, locals())

    def delete(self, credential: str) -> Coroutine[Any, Any, None]:
        """Remove a credential; pushes that use it stop. Retried like every delete."""
        return self._send(DELETE, locals())

    def list(
        self, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[Credential]:
        """Every credential of the account, page by page (``page_size`` 1 to 100)."""
        return self._list(LIST, locals(), limit=limit, page_size=page_size)
