"""One HTTP request, fully decided and not yet sent, and how its URL is built."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterable, Mapping
from typing import Final
from urllib.parse import quote, quote_plus

import attrs
from yarl import URL

FormItems = tuple[tuple[str, str], ...]
"""Form (or query) items in order; a repeated key is an array."""

_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "DELETE"})


# Slotted: a request waiting for a permit (most of a large gather) is 110 bytes and one object
# for the collector rather than 330 bytes and two with a __dict__. An operation's builder
# (``_sansio.operation._builder``) sets the slots through their descriptors: 1,500 instructions
# more than filling a __dict__ at once, a quarter of a percent of a create.
@attrs.frozen(kw_only=True)
class Request:
    """One HTTP request to the API, fully decided, not yet sent.

    Built by the resources (one per call) and sent by :meth:`Session.request
    <conversations_async.Session.request>`, which adds credentials, limits and retries it.
    """

    method: str
    path: tuple[str, ...] = ()
    """Unencoded path segments below the service root, e.g. ``("v1", "Conversations", sid)``."""
    url: URL | None = None
    """An absolute URL to use as given (a ``next_page_url``); wins over ``path``."""
    query: FormItems = ()
    form: FormItems = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes | AsyncIterable[bytes] | None = None
    """A raw body sent as is instead of ``form`` (a media upload), its ``Content-Type`` in
    ``headers``. An async stream is read once: after it began to be sent, the request is
    never retried (a body with a true ``replayable`` attribute starts afresh each time)."""
    write_key: str | None = None
    """The per-second write budget this request spends, or None for reads."""
    credentials: bool | None = None
    """Whether to send the Session's credentials. None: only to the Session's own roots
    (``base_url``, ``media_base_url``), never to another host; True: to ``url`` too (the pager,
    for another of Twilio's HTTPS hosts it vetted); False: never."""

    @property
    def idempotent(self) -> bool:
        """Whether sending it twice is harmless (GET and DELETE, per Twilio's semantics)."""
        return self.method in _IDEMPOTENT

    def resolve(self, root: URL) -> URL:
        """The absolute URL, with every path segment percent-encoded as exactly one segment."""
        if self.url is not None:
            return self.url
        url = _join(root, self.path)
        return url.with_query(self.query) if self.query else url


@functools.lru_cache(maxsize=1024)
def _join(root: URL, path: tuple[str, ...]) -> URL:
    # Cached: a bulk job sends thousands of requests to the same few paths, and building the
    # URL (quoting each segment, then yarl) cost about 3% of a create's client CPU.
    encoded = root.raw_path.rstrip("/") + "".join("/" + encode_segment(s) for s in path)
    return root.with_path(encoded, encoded=True)


def encode_segment(segment: str) -> str:
    """Percent-encode a SID, identity or unique name so it can never leave its path segment."""
    encoded = quote(segment, safe="")
    # "." and ".." would be collapsed by URL normalisation; encode their dots too.
    return encoded.replace(".", "%2E") if set(segment) == {"."} else encoded


_UNRESERVED: Final = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
"""Text that ``quote_plus`` gives back unchanged (its always-safe characters)."""


_FORM_KEYS: dict[str, str] = {}
"""Form names as quoted: the same few on every request (kept for at most 512 names)."""


def encode_form(items: FormItems) -> bytes:
    """``urlencode(items).encode()``, byte for byte, without quoting what needs none: the
    form names repeat on every request, and most values (SIDs, identities) are unreserved."""
    text = ""
    for key, value in items:  # a loop, not a comprehension: most forms have one or two items
        name = _FORM_KEYS.get(key)
        if name is None:
            name = quote_plus(key)
            if len(_FORM_KEYS) < 512:
                _FORM_KEYS[key] = name
        text += (
            ("&" if text else "")
            + name
            + "="
            + (value if _UNRESERVED(value) else quote_plus(value))
        )
    return text.encode()
