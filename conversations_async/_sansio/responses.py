"""What came back: a 2xx answer's JSON, the typed error of any other, ``Retry-After``. Pure."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from .._types import JSON
from ..errors import APIStatusError, RateLimitError, ResponseValidationError, error_class_for


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


def decode_body(body: bytes) -> JSON:
    """The body as JSON, or ``None`` when empty (a 204)."""
    if not body.strip():
        return None
    return json.loads(body)


def decode_success(status: int, body: bytes) -> JSON:
    """The JSON of a 2xx answer (``None`` for an empty one); a body that is not JSON raises
    :class:`~conversations_async.errors.ResponseValidationError` carrying it."""
    try:
        return decode_body(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep to parse
        raise ResponseValidationError(
            f"HTTP {status} answer is not JSON", body=body, errors=[str(exc)]
        ) from exc


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
        payload = json.loads(body) if body else None
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to parse
        payload = None
    code: int | None = None
    more_info: str | None = None
    details: JSON = None
    if isinstance(payload, dict):
        raw_code = payload.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        message = str(payload.get("message") or payload.get("detail") or f"HTTP {status}")
        more_info = payload.get("more_info") if isinstance(payload.get("more_info"), str) else None
        details = payload.get("details")
        raw: JSON = payload
    else:
        # A proxy's HTML page or plain text: keep a short excerpt, never the whole page.
        text = body.decode("utf-8", "replace").strip()
        excerpt = " ".join(text.split())[:200]
        message = f"non-JSON error body: {excerpt}" if excerpt else "empty error body"
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


def item_key(payload: JSON, default: str) -> Sequence[JSON]:
    """The items of a list page: the array named by ``meta.key`` (falling back to ``default``)."""
    if not isinstance(payload, dict):
        return []
    meta = payload.get("meta")
    key = meta.get("key") if isinstance(meta, dict) else None
    items = payload.get(key or default)
    return items if isinstance(items, list) else []
