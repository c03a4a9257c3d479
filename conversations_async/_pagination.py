"""Lists: one :class:`Page` at a time, and the :class:`AsyncPager` that walks them.

Twilio's v1 lists are cursor-paged: each page's ``meta.next_page_url`` (an absolute URL with an
opaque ``PageToken``) is the only way to the next one, so it is followed exactly as given. The
items are read from the key that ``meta.key`` names. A pager holds one page in memory at a time
and fetches a page only when the caller has used up the one before.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Sequence
from contextlib import aclosing
from typing import Any, Final, Generic, TypeVar

import attrs
from yarl import URL

from ._requester import Requester
from ._sansio import Request, item_key
from ._types import JSON
from .errors import InvalidArgumentError, ResponseValidationError

T = TypeVar("T")

MAX_PAGE_SIZE: Final = 100
"""Twilio's maximum ``PageSize`` for Conversations and Participants lists."""


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list: its items and Twilio's ``meta`` links."""

    items: Sequence[T]
    key: str
    """The JSON key the items were read from (``meta.key``, e.g. ``"participants"``)."""
    page: int | None = None
    page_size: int | None = None
    url: URL | None = None
    next_page_url: URL | None = None
    previous_page_url: URL | None = None
    first_page_url: URL | None = None

    @property
    def has_next(self) -> bool:
        return self.next_page_url is not None

    def __iter__(self) -> Generator[T, None, None]:
        yield from self.items

    def __len__(self) -> int:
        return len(self.items)


def check_page_size(page_size: int | None, maximum: int = MAX_PAGE_SIZE) -> None:
    if page_size is None:
        return
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise InvalidArgumentError("page_size", f"must be an integer, not {page_size!r}")
    if not 1 <= page_size <= maximum:
        raise InvalidArgumentError("page_size", f"is {page_size}; must be 1 to {maximum}")


def check_limit(limit: int | None) -> None:
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidArgumentError("limit", f"must be a positive integer or None, not {limit!r}")


def first_page_size(
    limit: int | None, page_size: int | None, maximum: int = MAX_PAGE_SIZE
) -> int | None:
    """The ``PageSize`` of the first request: never more items than ``limit`` needs.

    With a limit and no page size, pages are as large as allowed (fewer round trips); with
    neither, no ``PageSize`` is sent and Twilio's default (50) applies.
    """
    if limit is None:
        return page_size
    return min(limit, page_size if page_size is not None else maximum)


def _optional_url(meta: dict[str, Any], name: str) -> URL | None:
    value = meta.get(name)
    return URL(value) if isinstance(value, str) and value else None


def parse_page(payload: JSON, default_key: str, item: Callable[[JSON], T]) -> Page[T]:
    """A :class:`Page` from a list answer, each item converted by ``item``."""
    if not isinstance(payload, dict):
        raise ResponseValidationError(
            "a list answer is not a JSON object", body=str(payload)[:200], errors=[]
        )
    meta = payload.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    raw_key = meta.get("key")
    key = raw_key if isinstance(raw_key, str) and raw_key else default_key
    page = meta.get("page")
    page_size = meta.get("page_size")
    return Page(
        items=tuple(item(raw) for raw in item_key(payload, default_key)),
        key=key,
        page=page if isinstance(page, int) else None,
        page_size=page_size if isinstance(page_size, int) else None,
        url=_optional_url(meta, "url"),
        next_page_url=_optional_url(meta, "next_page_url"),
        previous_page_url=_optional_url(meta, "previous_page_url"),
        first_page_url=_optional_url(meta, "first_page_url"),
    )


def _is_twilio_host(url: URL) -> bool:
    host = url.host or ""
    return url.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))


def next_page_request(next_url: URL, base_url: URL) -> Request:
    """The GET for ``next_url``, sent exactly as Twilio gave it.

    A relative URL is resolved against the Session's root. An absolute one must stay on the
    Session's origin (or, for a Twilio root, on Twilio's HTTPS hosts): the request carries the
    account's credentials, and a tampered page must not send them elsewhere.
    """
    if not next_url.absolute:
        return Request(method="GET", url=base_url.join(next_url))
    same_origin = next_url.origin() == base_url.origin()
    if not same_origin and not (_is_twilio_host(base_url) and _is_twilio_host(next_url)):
        raise ResponseValidationError(
            "next_page_url leaves the Session's host; refusing to send credentials there",
            body=str(next_url.origin()),
            errors=[f"expected {base_url.origin()}"],
        )
    return Request(method="GET", url=next_url)


class AsyncPager(Generic[T]):
    """Every item of a list, fetched page by page as you iterate. Returned by ``list()``.

    Creating a pager does no I/O. Use it as:

    - ``async for item in pager``: every item across pages (memory: one page);
    - ``async for page in pager.pages()``: page by page (:class:`Page`);
    - ``await pager``: the first :class:`Page` only.

    ``limit`` stops after that many items, never fetching a page it does not need;
    ``page_size`` (1 to 100, or the list's own maximum) sets Twilio's ``PageSize``. Each page
    is one :meth:`Session.request <conversations_async.Session.request>`, so it is limited and
    retried like any other read. Iterating again starts again from the first page.
    """

    def __init__(
        self,
        requester: Requester,
        request: Request,
        item: Callable[[JSON], T],
        *,
        key: str,
        limit: int | None = None,
        page_size: int | None = None,
        max_page_size: int | None = None,
    ) -> None:
        maximum = MAX_PAGE_SIZE if max_page_size is None else max_page_size
        check_limit(limit)
        check_page_size(page_size, maximum)
        size = first_page_size(limit, page_size, maximum)
        if size is not None:
            request = attrs.evolve(request, query=(*request.query, ("PageSize", str(size))))
        self._requester = requester
        self._first = request
        self._item = item
        self._key = key
        self.limit = limit
        self.page_size = size

    def __repr__(self) -> str:
        return f"<AsyncPager {self._key} limit={self.limit} page_size={self.page_size}>"

    async def _fetch(self, request: Request, remaining: int | None) -> Page[T]:
        page = parse_page(await self._requester.request(request), self._key, self._item)
        if remaining is not None and len(page.items) > remaining:
            page = attrs.evolve(page, items=page.items[:remaining])
        return page

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Each page in turn (the last one cut short at ``limit``)."""
        remaining = self.limit
        request: Request | None = self._first
        while request is not None:
            page = await self._fetch(request, remaining)
            yield page
            if remaining is not None:
                remaining -= len(page.items)
                if remaining <= 0:
                    return
            if page.next_page_url is None:
                return
            following = next_page_request(page.next_page_url, self._requester.base_url)
            if following.url == request.url and request.url is not None:
                raise ResponseValidationError(
                    "next_page_url points at the page just read", body="", errors=[]
                )
            request = following

    async def _items(self) -> AsyncGenerator[T, None]:
        async with aclosing(self.pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self._fetch(self._first, self.limit).__await__()


__all__ = ["MAX_PAGE_SIZE", "AsyncPager", "Page"]
