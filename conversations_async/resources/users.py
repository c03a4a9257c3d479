"""``session.users``: the chat users of a Conversation Service."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params
from .._sansio.params import form, webhook_header
from .._sansio.rules import Json, Text, sid
from .._types import JSON, NOT_GIVEN, NotGiven
from ..errors import InvalidArgumentError
from ..models import User
from ._base import Resource
from ._participant_spec import IDENTITY

MAX_PAGE_SIZE: Final = 50
"""The spec's ``PageSize`` maximum for users and their conversations ("the maximum is 50")."""
ATTRIBUTES: Final = Json()
"""Any JSON: Twilio documents no size limit for a user's attributes."""
ROLE: Final = sid("RL")


@attrs.frozen(kw_only=True)
class NewUser(Params):
    """The parameters of :meth:`Users.create`."""

    identity: str = form("Identity", IDENTITY, default=attrs.NOTHING)
    friendly_name: str | NotGiven = form("FriendlyName", Text())
    attributes: JSON | NotGiven = form("Attributes", ATTRIBUTES)
    role_sid: str | NotGiven = form("RoleSid", ROLE)
    webhook_enabled: bool | NotGiven = webhook_header()

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """The identity names the user: it cannot be empty."""
        if given.get("identity") == "":
            raise InvalidArgumentError("identity", "must be a non-empty string")


@attrs.frozen(kw_only=True)
class UpdateUser(Params):
    """The parameters of :meth:`Users.update` (the identity cannot change)."""

    friendly_name: str | NotGiven = form("FriendlyName", Text())
    attributes: JSON | NotGiven = form("Attributes", ATTRIBUTES)
    role_sid: str | NotGiven = form("RoleSid", ROLE)
    webhook_enabled: bool | NotGiven = webhook_header()


@attrs.frozen(kw_only=True)
class DeleteUser(Params):
    webhook_enabled: bool | NotGiven = webhook_header()


_ONE = "Users/{user}"

CREATE = Operation(
    "create",
    "POST",
    "Users",
    User,
    NewUser,
    Pacing.SERVICE,
    spec=("CreateUser", "CreateServiceUser"),
)
FETCH = Operation("fetch", "GET", _ONE, User, spec=("FetchUser", "FetchServiceUser"))
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    User,
    UpdateUser,
    Pacing.SERVICE,
    spec=("UpdateUser", "UpdateServiceUser"),
)
DELETE = Operation[None](
    "delete",
    "DELETE",
    _ONE,
    None,
    DeleteUser,
    Pacing.SERVICE,
    spec=("DeleteUser", "DeleteServiceUser"),
)
LIST = Operation(
    "list", "GET", "Users", User, list_key="users", spec=("ListUser", "ListServiceUser")
)


class Users(Resource):
    """The users of a service: ``/v1/[Services/{IS}/]Users``.

    A user is addressed by its ``US…`` SID or its identity. Adding a chat participant creates
    the user of its identity when there is none. User writes spend the service's budget of 30
    actions per second (the Session's limiter paces them).
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        *,
        identity: str,
        friendly_name: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        role_sid: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, User]:
        """Create the user ``identity`` (unique within the service, case-sensitive, at most
        256 characters); returns the new :class:`~conversations_async.models.User`.

        ``role_sid`` is a service role (``RL…``; Twilio assigns the service's default user role
        when it is left out); ``attributes`` any JSON value (serialised for you) or a string
        that already is JSON. ``webhook_enabled`` sends ``X-Twilio-Webhook-Enabled`` (``True``:
        this REST change fires ``onUserAdded``).

        Raises :class:`~conversations_async.errors.InvalidArgumentError` before sending when an
        argument is invalid; :class:`~conversations_async.errors.ConflictError` when the
        identity is taken. Retried on 429 and when the connection was never made; not resent
        after a 5xx, timeout or disconnect (the user may have been created).
        """
        return self._call(CREATE, locals())

    def fetch(self, user: str) -> Coroutine[Any, Any, User]:
        """Fetch one user by its ``US…`` SID or its identity (the only answer that may carry
        ``is_online`` and ``is_notifiable``).

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def update(
        self,
        user: str,
        *,
        friendly_name: str | NotGiven = NOT_GIVEN,
        attributes: JSON | NotGiven = NOT_GIVEN,
        role_sid: str | NotGiven = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Coroutine[Any, Any, User]:
        """Change a user (by SID or identity); returns the updated record. Only what you pass
        is sent; the identity cannot be changed.

        Not resent after a 5xx, timeout or disconnect; retried on 429 and when the connection
        was never made.
        """
        return self._call(UPDATE, locals())

    def delete(
        self, user: str, *, webhook_enabled: bool | NotGiven = NOT_GIVEN
    ) -> Coroutine[Any, Any, None]:
        """Delete a user (by SID or identity).

        Raises :class:`~conversations_async.errors.NotFoundError` when it is not there; a
        delete is retried after a 5xx or timeout, so a retried delete that had been applied
        answers NotFoundError.
        """
        return self._send(DELETE, locals())

    def list(self, *, limit: int | None = None, page_size: int | None = None) -> AsyncPager[User]:
        """Every user of the service, page by page; ``page_size`` is 1 to 50.

        Listed users carry ``is_online`` and ``is_notifiable`` as None (Twilio answers them
        only to a fetch). No request is made until you iterate.
        """
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
