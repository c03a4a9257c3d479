"""``session.services``: the account's Conversation Services (account scope only)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Params
from .._sansio.params import form
from .._sansio.rules import Text
from ..models import Service
from ._base import Resource


@attrs.frozen(kw_only=True)
class NewService(Params):
    """The parameters of :meth:`Services.create`."""

    friendly_name: str = form("FriendlyName", Text(max_length=256), default=attrs.NOTHING)


_ONE = "Services/{service:IS}"

CREATE = Operation("create", "POST", "Services", Service, NewService, spec=("CreateService", None))
FETCH = Operation("fetch", "GET", _ONE, Service, spec=("FetchService", None))
DELETE = Operation[None]("delete", "DELETE", _ONE, None, spec=("DeleteService", None))
LIST = Operation(
    "list", "GET", "Services", Service, list_key="services", spec=("ListService", None)
)


class Services(Resource):
    """The account's Conversation Services: ``/v1/Services``.

    Only on the Session: what a service holds is reached with ``session.service(sid)``, which
    works as soon as :meth:`create` answers.
    """

    operations = (CREATE, FETCH, DELETE, LIST)

    def create(self, *, friendly_name: str) -> Coroutine[Any, Any, Service]:
        """Create a Conversation Service named ``friendly_name`` (at most 256 characters);
        returns the new :class:`~conversations_async.models.Service`. Twilio gives it its
        default roles.

        Retried on 429 and when the connection was never made; not resent after a 5xx, timeout
        or disconnect (the service may have been created).
        """
        return self._call(CREATE, locals())

    def fetch(self, service: str) -> Coroutine[Any, Any, Service]:
        """Fetch a service by its ``IS…`` SID.

        Raises :class:`~conversations_async.errors.NotFoundError` when absent. Retried on 429,
        5xx, timeouts and disconnects.
        """
        return self._call(FETCH, locals())

    def delete(self, service: str) -> Coroutine[Any, Any, None]:
        """Delete a service and everything it holds: its conversations (with their
        participants and messages), users, roles and settings. This cannot be undone.

        Raises :class:`~conversations_async.errors.NotFoundError` when it is not there.
        """
        return self._send(DELETE, locals())

    def list(
        self, *, limit: int | None = None, page_size: int | None = None
    ) -> AsyncPager[Service]:
        """Every service of the account, page by page; ``page_size`` is 1 to 100. No request
        is made until you iterate.
        """
        return self._list(LIST, locals(), limit=limit, page_size=page_size)
