"""``X-Twilio-Signature``: HMAC-SHA1 over the URL and the sorted POST parameters.

Pure functions (no I/O, no aiohttp): the ``bodySHA256`` variant for JSON bodies, the
default-port quirk and auth-token rotation. The auth token is never put in an exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeAlias
from urllib.parse import parse_qs, urlsplit

SIGNATURE_HEADER: Final = "X-Twilio-Signature"  # documented in __init__.py

Params: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""POST parameters: a mapping (a ``MultiDict`` keeps repeated keys) or ``(key, value)`` pairs."""

AuthTokens: TypeAlias = str | Sequence[str]
"""One auth token, or several during a rotation (a request is valid if any of them signed it)."""


def _token_keys(auth_token: AuthTokens) -> list[bytes]:
    tokens = [auth_token] if isinstance(auth_token, str) else list(auth_token)
    if not tokens:
        raise ValueError("at least one auth token is required")
    keys = []
    for token in tokens:
        if not isinstance(token, str) or not token:
            raise ValueError("every auth token must be a non-empty string")
        try:
            keys.append(token.encode("utf-8"))
        except UnicodeEncodeError:
            # The exception object would carry the whole token: never chain it.
            raise ValueError("an auth token is not encodable as UTF-8") from None
    return keys


def _pairs(params: Params | None) -> Iterable[tuple[str, str]]:
    if params is None:
        return ()
    if isinstance(params, Mapping):
        # MultiDict/MultiDictProxy.items() yields every value of a repeated key.
        return params.items()
    return params


def _params_text(params: Params | None) -> str:
    # Sort names case-sensitively; a repeated name contributes each *distinct* value once, in
    # sorted order, exactly as twilio-python's RequestValidator does.
    grouped: dict[str, set[str]] = {}
    for key, value in _pairs(params):
        grouped.setdefault(key, set()).add(value)
    return "".join(key + value for key in sorted(grouped) for value in sorted(grouped[key]))


def _sign(key: bytes, payload: bytes) -> bytes:
    return base64.b64encode(hmac.new(key, payload, hashlib.sha1).digest())


def compute_signature(url: str, params: Params | None, auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a POST of *params* to exactly *url*.

    *url* is used as given (no port is added or removed). For a JSON body, sign the URL that
    carries ``bodySHA256`` (see :func:`body_sha256`) with ``params=None``.
    """
    (key,) = _token_keys(auth_token)
    return _sign(key, (url + _params_text(params)).encode("utf-8")).decode("ascii")


def body_sha256(body: bytes | str) -> str:
    """Hex SHA-256 of a raw request body, the value Twilio puts in the ``bodySHA256`` query."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(raw).hexdigest()


_NETLOC_END = re.compile(r"[/?#]")


def _url_variants(url: str) -> list[str]:
    """*url* without a port and with one (the scheme's default when none is given).

    Twilio signs some callbacks with the port and some without, so both are tried, as
    twilio-python does. URL credentials (``user:pass@``) are tried both kept and dropped.
    Only the authority is rewritten: path, query and fragment stay byte for byte as given.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return [url]
    match = _NETLOC_END.search(rest)
    netloc, tail = (rest[: match.start()], rest[match.start() :]) if match else (rest, "")
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]") + 1
        host, port = hostport[:end], hostport[end:].removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    default = "443" if scheme.lower() == "https" else "80"
    prefixes = [f"{userinfo}{at}", ""] if at else [""]
    return [
        f"{scheme}://{prefix}{authority}{tail}"
        for prefix in prefixes
        for authority in (host, f"{host}:{port or default}")
    ]


def _compare(expected: bytes, signature: str) -> bool:
    # compare_digest refuses non-ASCII str, so compare bytes; "?" never occurs in base64.
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def validate_signature(
    url: str,
    params_or_body: Params | bytes | str | None,
    signature: str | None,
    auth_token: AuthTokens,
) -> bool:
    """Whether *signature* (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    *url* is the full URL Twilio requested (scheme to end of query string; see
    :func:`signed_url`). *params_or_body* is either the form parameters (a mapping, a
    ``MultiDict`` or ``(key, value)`` pairs) or, for a JSON webhook, the raw body as ``bytes`` or
    ``str``: then *url* must carry ``bodySHA256`` and both the body hash and the signature over
    the URL alone must match (a body without ``bodySHA256`` in the URL is never valid).

    The URL is tried with and without its port. With several tokens (rotation), any one that
    matches is enough. Comparisons are constant-time. A missing signature is simply invalid;
    an empty or missing auth token raises :class:`ValueError` (a configuration error).
    """
    keys = _token_keys(auth_token)
    if not signature:
        return False
    params: Params | None
    if isinstance(params_or_body, str | bytes):
        claimed = parse_qs(urlsplit(url).query).get("bodySHA256")
        if not claimed:
            return False
        if not _compare(body_sha256(params_or_body).encode("ascii"), claimed[0]):
            return False
        params = None
    else:
        params = params_or_body
    suffix = _params_text(params)
    payloads = [(variant + suffix).encode("utf-8") for variant in _url_variants(url)]
    # Evaluate every candidate: which token or URL form matched is not revealed by timing.
    results = [_compare(_sign(key, payload), signature) for key in keys for payload in payloads]
    return any(results)
