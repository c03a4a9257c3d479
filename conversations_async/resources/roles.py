"""``session.roles``: what users and participants of a Conversation Service may do."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Final

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Pacing, Params
from .._sansio.params import form
from .._sansio.rules import Choice, Each, Text
from ..errors import InvalidArgumentError
from ..models import Role, RolePermission, RoleType
from ._base import Resource

MAX_PAGE_SIZE: Final = 50
"""The spec's ``PageSize`` maximum for roles ("the maximum is 50")."""
FRIENDLY_NAME: Final = Text(max_length=64)
"""The spec: "It can be up to 64 characters long"."""


@attrs.frozen
class Permissions(Each):
    """At least one of Twilio's permission names, sent as the ``Permission`` key repeated."""

    def encode(self, field: str, value: Any) -> tuple[str, ...]:
        encoded = super().encode(field, value)
        if not encoded:  # an empty list would send no Permission at all
            raise InvalidArgumentError(field, "must name at least one permission")
        return encoded

    def describe(self) -> str:
        return "a list of permission names (at least one)"


PERMISSIONS: Final = Permissions(Choice(RolePermission))


@attrs.frozen(kw_only=True)
class NewRole(Params):
    """The parameters of :meth:`Roles.create`."""

    friendly_name: str = form("FriendlyName", FRIENDLY_NAME, default=attrs.NOTHING)
    type: RoleType | str = form("Type", Choice(RoleType), default=attrs.NOTHING)
    permission: Sequence[RolePermission | str] = form(
        "Permission", PERMISSIONS, default=attrs.NOTHING
    )

    @classmethod
    def check(cls, given: Mapping[str, Any]) -> None:
        """A role has a name and at least one permission."""
        if given.get("friendly_name") == "":
            raise InvalidArgumentError("friendly_name", "must be a non-empty string")


@attrs.frozen(kw_only=True)
class UpdateRole(Params):
    """The parameters of :meth:`Roles.update`: the new permissions, replacing the old."""

    permission: Sequence[RolePermission | str] = form(
        "Permission", PERMISSIONS, default=attrs.NOTHING
    )


_ONE = "Roles/{role:RL}"

CREATE = Operation(
    "create",
    "POST",
    "Roles",
    Role,
    NewRole,
    Pacing.SERVICE,
    spec=("CreateRole", "CreateServiceRole"),
)
FETCH = Operation("fetch", "GET", _ONE, Role, spec=("FetchRole", "FetchServiceRole"))
UPDATE = Operation(
    "update",
    "POST",
    _ONE,
    Role,
    UpdateRole,
    Pacing.SERVICE,
    spec=("UpdateRole", "UpdateServiceRole"),
)
DELETE = Operation[None](
    "delete", "DELETE", _ONE, None, pacing=Pacing.SERVICE, spec=("DeleteRole", "DeleteServiceRole")
)
LIST = Operation(
    "list", "GET", "Roles", Role, list_key="roles", spec=("ListRole", "ListServiceRole")
)


class Roles(Resource):
    """The roles of a service: ``/v1/[Services/{IS}/]Roles``.

    A ``service`` role is given to users (``users.create(role_sid=…)``), a ``conversation``
    role to participants (``participants.create(role_sid=…)``). Every service starts with
    Twilio's default roles, which ``list()`` shows. Role writes spend the service's budget of
    30 actions per second (the Session's limiter paces them).
    """

    operations = (CREATE, FETCH, UPDATE, DELETE, LIST)

    def create(
        self,
        *,
        friendly_name: str,
        type: RoleType | str,
        permission: Sequence[RolePermission | str],
    ) -> Coroutine[Any, Any, Role]:
        """Create a role; returns the new :class:`~conversations_async.models.Role`.

        ``friendly_name`` is at most 64 characters; ``type`` is ``"conversation"`` or
        ``"service"`` (:class:`~conversations_async.models.RoleType`); ``permission`` lists
        the permissions granted (Twilio's singular name: the key is repeated for each), each
        one of :class:`~conversations_async.models.RolePermission`'s names
        (``"sendMessage"``, …); a permission Twilio adds later can be sent as
        ``RolePermission("itsName")``.

        Raises :class:`~conversations_async.errors.InvalidArgumentError` before sending when an
        argument is invalid. Retried on 429 and when the connection was never made; not
        resent after a 5xx, timeout or disconnect (the role may have been created).
        """
        return self._call(CREATE, locals())

    def fetch(self, role: str) -> Coroutine[Any, Any, Role]:
        """Fetch one role by its ``RL…`` SID.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def update(
        self, role: str, *, permission: Sequence[RolePermission | str]
    ) -> Coroutine[Any, Any, Role]:
        """Replace a role's permissions with ``permission`` (a permission left out is taken
        away); its name and type cannot change. Returns the updated record.

        Not resent after a 5xx, timeout or disconnect; retried on 429 and when the connection
        was never made.
        """
        return self._call(UPDATE, locals())

    def delete(self, role: str) -> Coroutine[Any, Any, None]:
        """Delete a role.

        Raises :class:`~conversations_async.errors.NotFoundError` when it is not there; a
        delete is retried after a 5xx or timeout, so a retried delete that had been applied
        answers NotFoundError.
        """
        return self._send(DELETE, locals())

    def list(self, *, limit: int | None = None, page_size: int | None = None) -> AsyncPager[Role]:
        """Every role of the service (Twilio's defaults included), page by page; ``page_size``
        is 1 to 50. No request is made until you iterate.
        """
        return self._list(
            LIST, locals(), limit=limit, page_size=page_size, max_page_size=MAX_PAGE_SIZE
        )
