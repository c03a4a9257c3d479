"""Access tokens for Twilio's client SDKs: a JWT with a Chat grant, signed with an API key.

A browser or mobile app using the Conversations SDK needs a token minted by its backend::

    from conversations_async.tokens import AccessTokenIssuer

    issuer = AccessTokenIssuer(
        account_sid="AC…", api_key="SK…", api_secret="…", chat_service_sid="IS…"
    )
    token = issuer.chat_token("alice")  # a str to hand to the browser

The token is what Twilio's own SDKs produce (``twilio.jwt.access_token.AccessToken`` with a
``ChatGrant``): header ``{"cty": "twilio-fpa;v=1", "typ": "JWT", "alg": "HS256"}``; claims
``jti`` (``SK…-<issued at>``), ``iss`` (the API key), ``sub`` (the account), ``nbf`` and ``exp``,
and ``grants`` with the ``identity`` and the ``chat`` grant (``service_sid``, and where given
``endpoint_id``, ``push_credential_sid``). It is signed with HS256 by PyJWT. The API secret is
never shown: not in a repr, a log line or an error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import jwt

from ._checks import check_int, is_encodable
from ._options import Secret, check_credential, check_host_label
from .errors import InvalidArgumentError

__all__ = ["DEFAULT_TTL", "MAX_TTL", "AccessTokenIssuer"]

DEFAULT_TTL: Final = 3600
"""An hour, as Twilio's SDKs default to."""
MAX_TTL: Final = 86_400
"""Twilio accepts access tokens valid for at most 24 hours."""
_MIN_SECRET_BYTES: Final = 32
"""An API key secret is 32 characters; HS256 wants a key of at least 32 bytes (RFC 7518)."""
_SID: Final = {
    prefix: re.compile(rf"{prefix}[0-9a-fA-F]{{32}}") for prefix in ("AC", "SK", "IS", "CR")
}
_CONTENT_TYPE: Final = "twilio-fpa;v=1"

Clock = Callable[[], float]


class AccessTokenIssuer:
    """Mints access tokens with a Chat grant (for the Conversations client SDKs).

    Build one at start-up with the account SID and an API key pair (``SK…`` and its secret:
    Twilio signs tokens with API keys, never with the Auth Token), then call
    :meth:`chat_token` for each user. ``chat_service_sid`` (``IS…``) and
    ``push_credential_sid`` (``CR…``) are the defaults of every token; ``ttl`` is seconds (or a
    ``timedelta``), 1 to 86400. ``region`` adds Twilio's ``twr`` header for a non-US1 region.
    ``clock`` gives the time (Unix seconds) for tests. Every argument is checked here: a bad one
    raises :class:`~conversations_async.errors.InvalidArgumentError` naming it.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        api_key: str,
        api_secret: str,
        chat_service_sid: str | None = None,
        push_credential_sid: str | None = None,
        ttl: int | timedelta = DEFAULT_TTL,
        region: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.account_sid = _check_sid("account_sid", account_sid, "AC")
        self.api_key = _check_sid("api_key", api_key, "SK")
        secret = check_credential("api_secret", api_secret)
        if secret is None or len(secret.encode("utf-8")) < _MIN_SECRET_BYTES:
            raise InvalidArgumentError(
                "api_secret",
                f"must be the API key's secret, at least {_MIN_SECRET_BYTES} bytes "
                "(Twilio's are 32 characters; the value is not shown)",
            )
        self._secret = Secret(secret)
        self.chat_service_sid = _optional_sid("chat_service_sid", chat_service_sid, "IS")
        self.push_credential_sid = _optional_sid("push_credential_sid", push_credential_sid, "CR")
        self.ttl = _check_ttl("ttl", ttl)
        self.region = check_host_label("region", region)
        if not callable(clock):
            raise InvalidArgumentError("clock", f"must be callable, not {type(clock).__name__}")
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"<AccessTokenIssuer account_sid={self.account_sid!r} api_key={self.api_key!r} "
            f"chat_service_sid={self.chat_service_sid!r}>"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> AccessTokenIssuer:
        """An issuer from ``TWILIO_ACCOUNT_SID``, ``TWILIO_API_KEY``, ``TWILIO_API_SECRET``
        and, when set, ``TWILIO_CONVERSATIONS_SERVICE_SID`` and ``TWILIO_REGION``; keyword
        arguments override them."""
        import os

        env = os.environ if environ is None else environ
        options: dict[str, Any] = {
            "account_sid": env.get("TWILIO_ACCOUNT_SID"),
            "api_key": env.get("TWILIO_API_KEY"),
            "api_secret": env.get("TWILIO_API_SECRET"),
            "chat_service_sid": env.get("TWILIO_CONVERSATIONS_SERVICE_SID") or None,
            "region": env.get("TWILIO_REGION") or None,
        }
        options.update(kwargs)
        return cls(**options)

    def chat_token(
        self,
        identity: str,
        *,
        ttl: int | timedelta | None = None,
        chat_service_sid: str | None = None,
        push_credential_sid: str | None = None,
        endpoint_id: str | None = None,
        not_before: datetime | None = None,
    ) -> str:
        """A signed JWT letting ``identity`` use the Conversations SDK.

        ``ttl``, ``chat_service_sid`` and ``push_credential_sid`` default to the issuer's.
        ``endpoint_id`` names the user's device for Twilio's push notifications. ``not_before``
        (a timezone-aware datetime) delays when the token starts to work; by default it works
        from now, as Twilio's SDKs do.
        """
        identity = _check_text("identity", identity)
        lifetime = self.ttl if ttl is None else _check_ttl("ttl", ttl)
        grant: dict[str, str] = {}
        service = _optional_sid("chat_service_sid", chat_service_sid, "IS")
        if service or self.chat_service_sid:
            grant["service_sid"] = service or self.chat_service_sid or ""
        if endpoint_id is not None:
            grant["endpoint_id"] = _check_text("endpoint_id", endpoint_id)
        push = _optional_sid("push_credential_sid", push_credential_sid, "CR")
        if push or self.push_credential_sid:
            grant["push_credential_sid"] = push or self.push_credential_sid or ""
        now = int(self._clock())
        nbf = now if not_before is None else _check_time("not_before", not_before)
        # Twilio's SDK's claim order, so that the same inputs give the very same token.
        claims = {
            "jti": f"{self.api_key}-{now}",
            "grants": {"chat": grant, "identity": identity},
            "iss": self.api_key,
            "exp": now + lifetime,
            "nbf": nbf,
            "sub": self.account_sid,
        }
        headers = {"cty": _CONTENT_TYPE, "typ": "JWT", "alg": "HS256"}
        if self.region is not None:
            headers["twr"] = self.region
        return jwt.encode(claims, self._secret.reveal(), algorithm="HS256", headers=headers)


def _check_sid(field: str, value: object, prefix: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
    if not _SID[prefix].fullmatch(value):
        raise InvalidArgumentError(field, f"must be a {prefix} SID ({prefix} + 32 hex digits)")
    return value


def _optional_sid(field: str, value: object, prefix: str) -> str | None:
    return None if value is None else _check_sid(field, value, prefix)


def _check_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
    if not value or not is_encodable(value):
        raise InvalidArgumentError(field, "must be non-empty text (no lone surrogates)")
    return value


def _check_ttl(field: str, value: object) -> int:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds != int(seconds):
            raise InvalidArgumentError(field, "must be whole seconds")
        value = int(seconds)
    seconds = check_int(field, value, minimum=1)
    if seconds > MAX_TTL:
        raise InvalidArgumentError(field, f"must be at most {MAX_TTL} seconds (24 hours)")
    return seconds


def _check_time(field: str, value: object) -> int:
    if not isinstance(value, datetime):
        raise InvalidArgumentError(field, f"must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        raise InvalidArgumentError(field, "must be timezone-aware (e.g. datetime.now(UTC))")
    return int(value.timestamp())
