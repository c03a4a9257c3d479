"""What came back: a 2xx answer's JSON, the typed error of any other, ``Retry-After``, the
items of a list page. Pure."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Final, NamedTuple, cast

from .._text import excerpt, short_text
from .._types import JSON
from ..errors import APIStatusError, RateLimitError, ResponseValidationError, error_class_for


class RawResponse(NamedTuple):
    """An answer as it came: its status (2xx, or a 3xx redirect), headers and whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (relative to ``now``, a Unix time)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


CONCURRENT_REQUESTS_HEADER = "Twilio-Concurrent-Requests"
_MOST_CONCURRENT = 1_000_000  # beyond any account's cap: a larger value is not believed


def concurrent_requests(headers: Mapping[str, str]) -> int | None:
    """``Twilio-Concurrent-Requests``: the account's requests in flight when the answer was
    made (API-FACTS 4.1), or ``None`` when absent or not a plausible count."""
    value = headers.get(CONCURRENT_REQUESTS_HEADER)
    if value is None:
        return None
    value = value.strip()
    # ASCII digits only: no sign, no spaces, no "1_000", no other scripts' digits.
    if not (value.isascii() and value.isdigit()) or len(value) > 7:
        return None
    count = int(value)
    return count if count <= _MOST_CONCURRENT else None


_fast_decode: Callable[[bytes], Any] | None
try:
    import msgspec
except ImportError:  # the default install: json alone
    _fast_decode = None
    _FAST_ERRORS: tuple[type[Exception], ...] = ()
else:
    _fast_decode = msgspec.json.Decoder().decode
    _FAST_ERRORS = (msgspec.MsgspecError, RecursionError)

# json.loads' own scanner and whitespace (json.decoder's WHITESPACE), which typeshed omits.
_scan: Final[Callable[[str, int], tuple[Any, int]]] = cast(Any, json.JSONDecoder()).scan_once
_SPACE: Final = re.compile(r"[ \t\n\r]*", re.VERBOSE | re.MULTILINE | re.DOTALL)


def _space_end(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    assert match is not None  # "*" matches anywhere, if only the empty string
    return match.end()


def _decode_json(text: str) -> JSON:
    """``json.loads(text)`` (for text without a BOM), without its per-call option checks and
    regular expressions: a third of its cost on a record's body."""
    start = 0 if text[:1] not in " \t\n\r" else _space_end(text, 0)  # "" is "in": 0 too
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:  # what json's scanner raises for "no value here"
        raise json.JSONDecodeError("Expecting value", text, stop.value) from None
    if end != len(text) and _space_end(text, end) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def decode_body(body: bytes) -> JSON:
    """The body as JSON, or ``None`` when empty (a 204).

    JSON between systems is UTF-8 (RFC 8259), so other bytes are refused rather than guessed
    at (``json.loads`` would sniff UTF-16 or UTF-32). Every failure is a :class:`ValueError`:
    bytes that are not UTF-8, text that is not JSON, and JSON nested deeper than Python's parser
    can recurse (which ``json.loads`` reports as a :class:`RecursionError`).

    With the ``fast-json`` extra (msgspec) installed, msgspec reads the body first; whatever it
    refuses (NaN, 1e400, an escaped lone surrogate, a BOM, broken JSON) goes to ``json``, so
    the value or error is always ``json``'s.
    """
    # isspace() stops at the first other byte, where strip() would copy the whole body.
    if not body or body.isspace():
        return None
    if _fast_decode is not None:
        try:
            return _fast_decode(body)
        except _FAST_ERRORS:
            pass  # json decides, below
    return decode_body_stdlib(body)


def decode_body_stdlib(body: bytes) -> JSON:
    """:func:`decode_body` with the standard library's ``json`` only, for a non-blank body."""
    text = body.decode("utf-8")
    if text[0] == "\ufeff":
        text = text[1:]
    try:
        return _decode_json(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to decode") from None


def decode_success(status: int, body: bytes) -> JSON:
    """The JSON of a 2xx answer (``None`` for an empty one); a body that is not JSON raises
    :class:`~conversations_async.errors.ResponseValidationError` carrying it."""
    try:
        return decode_body(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep to parse
        raise ResponseValidationError(
            f"HTTP {status} answer is not JSON", body=body, errors=[short_text(str(exc))]
        ) from exc


def _first_text(payload: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = payload.get(name)
        if isinstance(value, str) and value.strip():
            return short_text(value)
    return None


def status_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str = "",
    url: str = "",
) -> APIStatusError:
    """The typed error for a non-2xx answer, from Twilio's JSON error body when there is one."""
    payload: Any
    try:
        payload = decode_body(body)
    except ValueError:
        payload = None
    code: int | None = None
    more_info: str | None = None
    details: JSON = None
    if isinstance(payload, dict):
        raw_code = payload.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        # Only text, and only a line of it: a hostile body's "message" may be a megabyte, a
        # nested array, or carry newlines that would forge log lines.
        message = _first_text(payload, "message", "detail") or f"HTTP {status}"
        more_info = _first_text(payload, "more_info")
        details = payload.get("details")
        raw: JSON = payload
    else:
        # A proxy's HTML page or plain text: keep a short excerpt, never the whole page.
        text = body.decode("utf-8", "replace").strip()
        shown = short_text(text)
        message = f"non-JSON error body: {shown}" if shown else "empty error body"
        raw = text
    cls = error_class_for(status)
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "message": message,
        "more_info": more_info,
        "details": details,
        "headers": headers,
        "body": raw,
        "method": method,
        "url": url,
    }
    if cls is RateLimitError:
        return RateLimitError(retry_after=parse_retry_after(headers.get("Retry-After")), **common)
    return cls(**common)


def page_items(payload: JSON, default_key: str) -> tuple[Mapping[str, JSON], str, list[JSON]]:
    """A list page's ``meta`` object, its items key and the items array under that key.

    The key is ``meta.key``, or ``default_key`` when ``meta`` names none. A page that is not an
    object, has no ``meta`` object, or lacks the items array raises
    :class:`~conversations_async.errors.ResponseValidationError`: reading it as empty would
    silently end the list early.
    """
    if not isinstance(payload, dict):
        raise ResponseValidationError(
            "a list page is not a JSON object", body=excerpt(payload), errors=[]
        )
    meta = payload.get("meta")
    if not isinstance(meta, dict):
        raise ResponseValidationError(
            "a list page has no meta object",
            body=excerpt(payload),
            errors=[f"meta is {type(meta).__name__}"],
        )
    key = meta.get("key")
    if key is None:
        key = default_key
    if not isinstance(key, str) or not key:
        raise ResponseValidationError(
            "a list page does not name its items key",
            body=excerpt(meta),
            errors=[f"meta.key is {excerpt(key)}"],
        )
    items = payload.get(key)
    if not isinstance(items, list):
        raise ResponseValidationError(
            f"a list page has no {short_text(key, 60)!r} array",
            body=excerpt(payload),
            errors=[f"{short_text(key, 60)} is {type(items).__name__}"],
        )
    return meta, key, items
