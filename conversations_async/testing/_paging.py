"""Twilio's page envelope (``{key: [...], meta: {...}}``) with opaque cursor tokens."""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from ._state import JSONDict, TwilioError


def page(
    request: web.Request,
    items: list[JSONDict],
    key: str,
    *,
    max_page_size: int = 100,
    cursor: str = "sid",
) -> JSONDict:
    """One page of ``items`` with Twilio's ``meta``: opaque cursor tokens, absolute URLs.

    The token names the last SID (the item's ``cursor`` key) of the previous page, so items
    added while a client pages never shift what it has still to read. ``max_page_size`` is
    the list's largest ``PageSize`` (100, or 50 for a few lists).
    """
    query = request.query
    try:
        page_size = int(query.get("PageSize", "50"))
        page_number = int(query.get("Page", "0"))
    except ValueError:
        raise TwilioError(400, 20001, "Invalid parameter PageSize or Page") from None
    if not 1 <= page_size <= max_page_size:
        raise TwilioError(
            400, 20007, f"Page size too large: PageSize must be between 1 and {max_page_size}"
        )
    start = 0
    token = query.get("PageToken")
    if token is not None:
        after = decode_token(token)
        sids = [item[cursor] for item in items]
        if after not in sids:
            raise TwilioError(400, 21481, "Invalid PageToken")
        start = sids.index(after) + 1
    chunk = items[start : start + page_size]
    # Filters (StartDate, State, ...) stay in every link, as in Twilio's own page URLs.
    filters = [(k, v) for k, v in query.items() if k not in {"PageSize", "Page", "PageToken"}]

    def link(number: int, token: str | None) -> str:
        params = [*filters, ("PageSize", str(page_size)), ("Page", str(number))]
        if token:
            params.append(("PageToken", token))
        return str(request.url.with_query(params))

    has_next = start + page_size < len(items)
    next_url = (
        link(page_number + 1, encode_token(chunk[-1][cursor])) if has_next and chunk else None
    )
    previous_url = None
    if start > 0:
        previous_start = max(0, start - page_size)
        previous_token = encode_token(items[previous_start - 1][cursor]) if previous_start else None
        previous_url = link(max(0, page_number - 1), previous_token)
    return {
        key: chunk,
        "meta": {
            "page": page_number,
            "page_size": page_size,
            "first_page_url": link(0, None),
            "previous_page_url": previous_url,
            "url": str(request.url),
            "next_page_url": next_url,
            "key": key,
        },
    }


def encode_token(sid: str) -> str:
    return "PT" + base64.urlsafe_b64encode(sid.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    if not token.startswith("PT"):
        raise TwilioError(400, 21481, "Invalid PageToken")
    data = token[2:]
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise TwilioError(400, 21481, "Invalid PageToken") from None
