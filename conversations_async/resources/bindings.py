"""``session.service(IS).bindings``: the devices a service's users get push notifications on.
The client SDKs register them; the REST API reads and removes them."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

import attrs

from .._pagination import AsyncPager
from .._sansio import Operation, Params
from .._sansio.params import query
from .._sansio.rules import Choice, Each, Text
from .._types import NOT_GIVEN, NotGiven
from ..models import Binding, BindingType
from ._base import Resource


@attrs.frozen(kw_only=True)
class ListBindings(Params):
    binding_type: Sequence[BindingType | str] | NotGiven = query(
        "BindingType", Each(Choice(BindingType))
    )
    identity: Sequence[str] | NotGiven = query("Identity", Each(Text()))


_ONE = "Bindings/{binding:BS}"

FETCH = Operation("fetch", "GET", _ONE, Binding, spec=(None, "FetchServiceBinding"))
DELETE = Operation[None]("delete", "DELETE", _ONE, None, spec=(None, "DeleteServiceBinding"))
LIST = Operation(
    "list",
    "GET",
    "Bindings",
    Binding,
    ListBindings,
    list_key="bindings",
    spec=(None, "ListServiceBinding"),
)


class Bindings(Resource):
    """A service's push bindings: ``/v1/Services/{IS}/Bindings``
    (``session.service(IS).bindings``; service scope only).

    A binding is one device of one user (``identity``) for one push technology
    (``binding_type``: ``apn``, ``fcm``, ``gcm`` or ``twilsock``) and credential. Delete a
    binding to stop pushes to a device, e.g. when a user signs out of it.
    """

    operations = (FETCH, DELETE, LIST)

    def fetch(self, binding: str) -> Coroutine[Any, Any, Binding]:
        """A binding by SID (``BS…``, checked before sending). Retried on 429, 5xx, timeouts
        and disconnects."""
        return self._call(FETCH, locals())

    def delete(self, binding: str) -> Coroutine[Any, Any, None]:
        """Remove a binding: its device gets no more pushes. Retried like every delete."""
        return self._send(DELETE, locals())

    def list(
        self,
        *,
        binding_type: Sequence[BindingType | str] | NotGiven = NOT_GIVEN,
        identity: Sequence[str] | NotGiven = NOT_GIVEN,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Binding]:
        """The service's bindings, page by page (``page_size`` 1 to 100): those of any of
        the ``binding_type`` values and any of the ``identity`` values given (each a list:
        ``binding_type=["apn", "fcm"]``, ``identity=["alice"]``)."""
        return self._list(LIST, locals(), limit=limit, page_size=page_size)
