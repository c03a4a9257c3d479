"""Lists: one :class:`Page` at a time, and the :class:`AsyncPager` that walks them.

Twilio's v1 lists are cursor-paged: each page's ``meta.next_page_url`` (an absolute URL with an
opaque ``PageToken``) is the only way to the next one, so it is followed exactly as given. The
items are read from the key that ``meta.key`` names. A pager holds one page in memory at a time
and fetches a page only when the caller has used up the one before.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, Final, Generic, TypeVar

import attrs
from yarl import URL

from ._requester import Requester
from ._sansio import Request, page_items
from ._text import excerpt, short_text
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


_UNPARSABLE: Final = (ValueError, IndexError)
"""What yarl raises for text that is not a URL (1.25 raises IndexError for ``//[]@``)."""


def _link(meta: Mapping[str, JSON], name: str) -> URL | None:
    """An informational link (``url``, ``first_page_url``, …): ``None`` when absent or unreadable,
    as nothing is ever sent to it."""
    value = meta.get(name)
    if not isinstance(value, str) or not value:
        return None
    try:
        return URL(value)
    except _UNPARSABLE:
        return None


def _next_link(meta: Mapping[str, JSON]) -> URL | None:
    """``meta.next_page_url``: ``None`` (or ``""``) on the last page, else a URL string."""
    value = meta.get("next_page_url")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ResponseValidationError(
            "meta.next_page_url is not a string",
            body=excerpt(value),
            errors=[f"got {type(value).__name__}"],
        )
    try:
        return URL(value)
    except _UNPARSABLE as exc:
        raise ResponseValidationError(
            "meta.next_page_url is not a URL", body=short_text(value), errors=[short_text(str(exc))]
        ) from exc


def _optional_int(value: JSON) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_page(payload: JSON, default_key: str, item: Callable[[JSON], T]) -> Page[T]:
    """A :class:`Page` from a list answer, each item converted by ``item``.

    Raises :class:`ResponseValidationError` for a page that cannot be trusted to continue the
    list: not an object, no ``meta`` object, no items array under ``meta.key`` (or
    ``default_key``), or a ``next_page_url`` that is neither a URL string nor null. The
    informational links and numbers (``url``, ``page``, …) are ``None`` when unreadable.
    """
    meta, key, raw_items = page_items(payload, default_key)
    return Page(
        items=tuple(item(raw) for raw in raw_items),
        key=key,
        page=_optional_int(meta.get("page")),
        page_size=_optional_int(meta.get("page_size")),
        url=_link(meta, "url"),
        next_page_url=_next_link(meta),
        previous_page_url=_link(meta, "previous_page_url"),
        first_page_url=_link(meta, "first_page_url"),
    )


def _is_twilio_host(url: URL) -> bool:
    host = url.host or ""
    return (
        url.scheme == "https"
        and url.port == 443
        and (host == "twilio.com" or host.endswith(".twilio.com"))
    )


def _shown(url: URL) -> str:
    """``url`` for an error message, without any ``user:password@`` it carries."""
    try:
        return short_text(str(url.with_user(None) if url.absolute and url.host else url))
    except ValueError:
        return "(an unreadable URL)"


def _refuse(url: URL, reason: str, base_url: URL) -> ResponseValidationError:
    return ResponseValidationError(
        f"next_page_url {reason}; refusing to send credentials there",
        body=_shown(url),
        errors=[f"expected a URL on {base_url.origin()}"],
    )


def next_page_request(next_url: URL, base_url: URL) -> Request:
    """The GET for ``next_url``, sent exactly as Twilio gave it.

    The request carries the account's credentials, so a tampered page must not send them
    elsewhere. A relative URL (a path and query) is resolved against the Session's root. An
    absolute one must be http(s) without ``user:password@``, on the Session's origin (scheme,
    host and port) or, for a Twilio root, on another of Twilio's HTTPS hosts. Anything else (a
    scheme-relative ``//host/…``, ``ftp:``, another host or port) raises
    :class:`ResponseValidationError` before anything is sent.
    """
    if next_url.user is not None or next_url.password is not None:
        raise _refuse(next_url, "carries user:password@", base_url)
    if not next_url.scheme and next_url.host is None and not next_url.absolute:
        target = base_url.join(next_url)
    elif next_url.scheme in ("http", "https") and next_url.host:
        target = next_url
    else:
        raise _refuse(next_url, "is neither an absolute http(s) URL nor a path", base_url)
    # Checked on what will be sent, not on what was given: that is what must stay home.
    same_origin = target.absolute and target.origin() == base_url.origin()
    if not same_origin and not (_is_twilio_host(base_url) and _is_twilio_host(target)):
        raise _refuse(next_url, "leaves the Session's host", base_url)
    # Another of Twilio's hosts was vetted here; the Session sends credentials only home.
    return Request(method="GET", url=target, credentials=True if not same_origin else None)


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
        """Each page in turn (the last one cut short at ``limit``).

        Raises :class:`~conversations_async.errors.ResponseValidationError` when a page's ``next_page_url`` leads back to a
        page already read in this iteration (a cycle of any length would never end).
        """
        base_url = self._requester.base_url
        remaining = self.limit
        request = self._first
        # As text: a yarl URL weighs several times its string, and a long list has many pages.
        seen = {str(request.resolve(base_url))}
        while True:
            page = await self._fetch(request, remaining)
            yield page
            if remaining is not None:
                remaining -= len(page.items)
                if remaining <= 0:
                    return
            if page.next_page_url is None:
                return
            request = next_page_request(page.next_page_url, base_url)
            target = str(request.resolve(base_url))
            if target in seen:
                raise ResponseValidationError(
                    "next_page_url leads back to a page already read (a cycle)",
                    body=_shown(page.next_page_url),
                    errors=[f"page {len(seen) + 1} of this iteration repeats an earlier one"],
                )
            seen.add(target)

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
