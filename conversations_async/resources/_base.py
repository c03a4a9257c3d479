"""The resource kit: what every namespace shares.

A resource is a small file: its operations declared once (:class:`~._sansio.Operation` with a
params record), and typed methods that hand their arguments to the kit::

    class Roles(Resource):
        def fetch(self, role: str) -> Coroutine[Any, Any, Role]:
            return self._call(FETCH, locals())

The kit builds the path from the operation's template (every segment encoded), checks and
encodes the parameters, sends through the :class:`Requester`, and structures the answer (or
pages a list). Resources depend on the small :class:`Requester` protocol, never on the Session.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, ClassVar, Generic, NoReturn, Protocol, TypeVar, overload

from .._pagination import AsyncPager
from .._reading import RecordReader
from .._requester import Requester
from .._sansio import Operation, Request, scope_path
from .._types import JSON
from ..errors import InvalidArgumentError

R = TypeVar("R")


class Resource:
    """A namespace bound to a :class:`Requester` and, optionally, a Conversation Service."""

    operations: ClassVar[tuple[Operation[Any], ...]] = ()
    """Every operation this namespace serves, each by the method its ``name`` says."""

    def __init__(self, requester: Requester, service: str | None = None) -> None:
        scope_path(service)  # checks the service SID
        self._requester = requester
        self._service = service
        self._structurers: dict[type[Any], RecordReader[Any]] = {}

    @property
    def requester(self) -> Requester:
        """What this namespace sends through (the Session)."""
        return self._requester

    @property
    def chat_service_sid(self) -> str | None:
        """The service this namespace is scoped to, or None for the account's default service."""
        return self._service

    def __repr__(self) -> str:
        scope = f" service={self._service}" if self._service else ""
        return f"<{type(self).__name__}{scope}>"

    def structure(self, data: JSON, cls: type[R]) -> R:
        """Structure Twilio's JSON as a record of this scope (a service-scoped record always
        names its service); :class:`~conversations_async.errors.ResponseValidationError` when
        it is not one."""
        return self._structurer(cls)(data)

    def _structurer(self, cls: type[R]) -> RecordReader[R]:
        """The reader of ``cls`` answers in this scope, made once per namespace and record type
        (a request holds it until its answer comes)."""
        known = self._structurers.get(cls)
        if known is None:
            known = self._structurers[cls] = RecordReader(cls, self._service)
        return known

    def _request(self, operation: Operation[Any], arguments: Mapping[str, Any]) -> Request:
        return operation.request(self._service, arguments)

    def _call(
        self, operation: Operation[R], arguments: Mapping[str, Any]
    ) -> Coroutine[Any, Any, R]:
        """One call of ``operation`` (``arguments``: the method's ``locals()``): the request
        loop's own coroutine, which structures the answer as the operation's record.

        The methods are plain functions that return it, not coroutines that await it: a call
        waiting for a permit (most of a large ``gather``) then holds neither the method's
        coroutine nor its ``locals()``. The arguments are checked here; invalid ones raise
        when the coroutine is awaited, as from an ``async def``, before anything is sent."""
        try:
            request = operation.request(self._service, arguments)
        except InvalidArgumentError as error:
            return _raise(error)
        assert operation.record is not None
        return self._requester.request_structured(request, self._structurer(operation.record))

    async def _send(self, operation: Operation[None], arguments: Mapping[str, Any]) -> None:
        """Send one call whose answer has no body (a delete's 204)."""
        await self._requester.request(self._request(operation, arguments))

    def _list(
        self,
        operation: Operation[R],
        arguments: Mapping[str, Any],
        *,
        limit: int | None,
        page_size: int | None,
        max_page_size: int | None = None,
    ) -> AsyncPager[R]:
        """A pager over ``operation`` (a list): no request until it is used."""
        assert operation.record is not None
        assert operation.list_key is not None
        return AsyncPager(
            self._requester,
            self._request(operation, arguments),
            self._structurer(operation.record),
            key=operation.list_key,
            limit=limit,
            page_size=page_size,
            max_page_size=max_page_size,
        )


async def _raise(error: InvalidArgumentError) -> NoReturn:
    """What awaiting a call with invalid arguments does."""
    raise error


N = TypeVar("N", bound=Resource)


class Scoped(Protocol):
    """What holds namespaces: a Session (account scope) or a ServiceScope."""

    @property
    def requester(self) -> Requester: ...

    @property
    def chat_service_sid(self) -> str | None: ...


class namespace(Generic[N]):
    """A namespace attribute of a Session or ServiceScope: built on first use, then kept.

    ``participants = namespace(Participants)`` on the class. One mechanism for both scopes: a
    resource that exists only at one scope is declared only on that class.
    """

    def __init__(self, resource: type[N]) -> None:
        self._resource = resource
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, holder: None, owner: type) -> namespace[N]: ...
    @overload
    def __get__(self, holder: Scoped, owner: type) -> N: ...
    def __get__(self, holder: Scoped | None, owner: type) -> namespace[N] | N:
        if holder is None:
            return self
        built = self._resource(holder.requester, holder.chat_service_sid)
        # Cached on the holder (like functools.cached_property): the next read finds it first.
        holder.__dict__[self._name] = built
        return built

    @property
    def resource(self) -> type[N]:
        """The resource class (for docs and the spec-walk test)."""
        return self._resource
