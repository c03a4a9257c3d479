"""Everything a Session is configured with, checked once at construction: credentials, host,
timeout, a borrowed pool; and the fixed headers that carry the credentials, hidden from reprs.

Pure apart from reading package metadata; each check raises
:class:`~conversations_async.errors.InvalidArgumentError` naming the option, and none shows a
credential.
"""

from __future__ import annotations

import ipaddress
import platform
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Final, NamedTuple

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from ._checks import check_int, check_number, is_encodable
from ._limits import Limiter
from ._retry import RetryPolicy
from .errors import InvalidArgumentError

DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=30, connect=10)
DEFAULT_MAX_CONCURRENCY: Final = 50
DEFAULT_WRITES_PER_SECOND: Final = 30.0
"""Twilio's limit on participant writes per conversation and conversation writes per service."""

try:
    __version__ = version("conversations-async")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

Sleep = Callable[[float], Awaitable[None]]


def user_agent() -> str:
    """``conversations-async/X (Linux x86_64) Python/3.11.7 aiohttp/3.x``, like Twilio's SDKs."""
    python = ".".join(map(str, sys.version_info[:3]))
    return (
        f"conversations-async/{__version__} ({platform.system()} {platform.machine()}) "
        f"Python/{python} aiohttp/{aiohttp.__version__}"
    )


def twilio_host(edge: str | None, region: str | None) -> str:
    """Twilio's host name for an edge and region (an edge alone implies region ``us1``)."""
    if edge:
        return f"conversations.{edge}.{region or 'us1'}.twilio.com"
    if region:
        return f"conversations.{region}.twilio.com"
    return "conversations.twilio.com"


def media_host(region: str | None) -> str:
    """The Media Content Service's host for a region (``mcs.us1.twilio.com`` by default).

    Twilio's edge locations do not serve the Media REST API, so an edge changes nothing here.
    """
    return f"mcs.{region or 'us1'}.twilio.com"


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic auth (Latin-1, else UTF-8, as browsers
    do). Text UTF-8 cannot encode raises InvalidArgumentError, which never shows the text."""
    import base64

    raw = f"{username}:{password}"
    encoded = credential_bytes(raw)
    if encoded is None:
        # Raised here, outside the ``except``: a UnicodeEncodeError holds the whole secret
        # (``.object``) and would ride along as ``__context__``.
        raise InvalidArgumentError("credentials", "hold a lone surrogate (not shown), not text")
    return "Basic " + base64.b64encode(encoded).decode("ascii")


def credential_bytes(raw: str) -> bytes | None:
    if raw.isascii():
        return raw.encode("ascii")
    for encoding in ("latin1", "utf-8"):
        try:
            return raw.encode(encoding)
        except UnicodeEncodeError:
            continue
    return None


def check_credential(field: str, value: object) -> str | None:
    """A credential: ``None`` or text. Messages name the field and never show the value."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
    if not is_encodable(value):
        raise InvalidArgumentError(
            field, "holds a lone surrogate (its value is not shown), so it is not text"
        )
    return value


_HOST_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
"""An edge or region goes into the host name: one DNS label (``sydney``, ``au1``), nothing that
could end the host (``/``, ``@``, ``.``) and send the credentials elsewhere."""


def check_host_label(field: str, value: object) -> str | None:
    if value is None or value == "":  # empty, as from_env reads an unset variable: not given
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, not {type(value).__name__}")
    if not _HOST_LABEL.fullmatch(value):
        raise InvalidArgumentError(
            field, f"{value!r} is not a Twilio {field} name such as 'sydney' or 'au1'"
        )
    return value


def check_timeout(timeout: object) -> aiohttp.ClientTimeout:
    """A number of seconds, or an ``aiohttp.ClientTimeout`` that bounds every call.

    The rule, so that no call can hang: ``total`` must be set. It is the only field that
    bounds a whole call: ``connect`` ends once connected, and ``sock_read`` restarts with
    every chunk, so a server sending a byte now and then would hold a call open for ever.
    Every field that is set must be a finite number > 0: aiohttp reads 0 as "no limit".
    """
    if isinstance(timeout, aiohttp.ClientTimeout):
        for name in ("total", "connect", "sock_read", "sock_connect"):
            value = getattr(timeout, name)
            if value is not None:
                check_number(f"timeout.{name}", value, exclusive=True)
        if timeout.ceil_threshold is not None:
            check_number("timeout.ceil_threshold", timeout.ceil_threshold)
        if timeout.total is None:
            raise InvalidArgumentError(
                "timeout.total",
                "must be set: it is the only aiohttp timeout that bounds a whole call "
                "(sock_read restarts with every chunk read)",
            )
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise InvalidArgumentError(
            "timeout",
            f"must be seconds or an aiohttp.ClientTimeout, not {type(timeout).__name__}",
        )
    seconds = check_number("timeout", timeout, exclusive=True)
    return aiohttp.ClientTimeout(total=seconds, connect=min(10.0, seconds))


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: object, field: str = "base_url") -> URL:
    if not isinstance(base_url, str | URL):
        raise InvalidArgumentError(
            field, f"must be a string or a yarl.URL, not {type(base_url).__name__}"
        )
    text = str(base_url)
    if not is_encodable(text):
        # yarl would silently drop a lone surrogate from the path.
        raise InvalidArgumentError(field, "holds a lone surrogate, so it is not text")
    url, problem = parse_url(text)
    if url is None:
        raise InvalidArgumentError(field, f"is not a valid URL ({problem})")
    if not url.absolute or url.scheme not in {"http", "https"}:
        raise InvalidArgumentError(field, f"must be an absolute http(s) URL, got {str(url)!r}")
    if url.scheme == "http" and not is_loopback(url.host):
        raise InvalidArgumentError(
            field, "plain http:// is only allowed for loopback hosts; use https://"
        )
    if url.query_string or url.fragment or url.user or url.password:
        raise InvalidArgumentError(field, "must be a service root, without query or credentials")
    if url.explicit_port == 0:
        raise InvalidArgumentError(field, "port 0 cannot be connected to; give 1-65535")
    return url


def parse_url(text: str) -> tuple[URL | None, str]:
    # yarl checks the port, IPv6 brackets and IDNA host names (a ValueError or UnicodeError);
    # the URL's host is parsed once more so that a lazily raised error surfaces here too.
    try:
        url = URL(text)
        _ = url.host, url.port
    except ValueError as exc:
        return None, str(exc)
    return url, ""


def check_borrowed(http_session: aiohttp.ClientSession) -> None:
    """Refuse a ClientSession whose settings no request can override.

    The rest of a borrowed session's settings are overridden on each request: our timeout,
    ``raise_for_status=False``, no redirects, and our headers over its default ones.
    """
    if not isinstance(http_session, aiohttp.ClientSession):
        raise InvalidArgumentError("http_session", "must be an aiohttp.ClientSession")
    if http_session.closed:
        raise InvalidArgumentError("http_session", "is already closed")
    if http_session.auth is not None:
        # aiohttp raises ValueError for a request that has both session-level auth and an
        # Authorization header, and auth=None on a request means "use the session's".
        raise InvalidArgumentError(
            "http_session",
            "has its own auth=; the Session sends its own credentials, "
            "so pass a ClientSession without auth",
        )


BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})


class FixedHeaders(CIMultiDict[str]):
    """The headers every request sends; its repr hides the credentials they carry.

    A ``CIMultiDict``, aiohttp's own kind: it takes one as it is, where it copies a dict into
    a new one first, on every request (about 500 ns of a create)."""

    def __repr__(self) -> str:
        return repr({k: "***" if k.lower() == "authorization" else v for k, v in self.items()})


class Secret:
    """Holds a credential so that no repr, log line or traceback shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def credentials(
    account_sid: object, auth_token: object, api_key: object, api_secret: object
) -> tuple[str | None, str, str]:
    """``(account_sid, username, password)`` of HTTP Basic auth: an API key pair (recommended
    by Twilio) or the Account SID with its Auth Token. No value is ever shown in an error."""
    account = check_credential("account_sid", account_sid)
    token = check_credential("auth_token", auth_token)
    key = check_credential("api_key", api_key)
    secret = check_credential("api_secret", api_secret)
    if key is not None or secret is not None:
        if not key or not secret:
            raise InvalidArgumentError("api_key", "api_key and api_secret go together")
        username_field, username, password = "api_key", key, secret
    elif account and token:
        username_field, username, password = "account_sid", account, token
    else:
        raise InvalidArgumentError(
            "account_sid", "give account_sid with auth_token, or api_key with api_secret"
        )
    if ":" in username:  # HTTP Basic auth ends the user name at the first colon
        raise InvalidArgumentError(username_field, "must not contain ':' (value not shown)")
    return account, username, password


ENVIRONMENT_VARIABLES: Final = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY",
    "TWILIO_API_SECRET",
    "TWILIO_CONVERSATIONS_BASE_URL",
    "TWILIO_EDGE",
    "TWILIO_REGION",
)
"""Every variable a Session reads (see :func:`from_environment`)."""


class Located(NamedTuple):
    """The credential and host options, after the environment filled in what was not given."""

    account_sid: object
    auth_token: object
    api_key: object
    api_secret: object
    base_url: object
    edge: object
    region: object
    media_base_url: object


def from_environment(
    environ: Mapping[str, str],
    *,
    account_sid: object,
    auth_token: object,
    api_key: object,
    api_secret: object,
    base_url: object,
    edge: object,
    region: object,
    media_base_url: object = None,
) -> Located:
    """The Session's credential and host arguments (``None``: not given), completed from
    ``environ`` group by group. Empty variables count as unset.

    - ``account_sid``: the argument, else ``TWILIO_ACCOUNT_SID``.
    - The secret: when any of ``auth_token``, ``api_key``, ``api_secret`` is given, those
      alone (an explicit token never pairs with the environment's key). Otherwise
      ``TWILIO_API_KEY`` + ``TWILIO_API_SECRET`` when ``TWILIO_API_KEY`` is set, else
      ``TWILIO_AUTH_TOKEN``.
    - The host: when any of ``base_url``, ``edge``, ``region`` is given, those alone.
      Otherwise ``TWILIO_CONVERSATIONS_BASE_URL`` when set, else ``TWILIO_EDGE`` and
      ``TWILIO_REGION``.
    - The media host: ``media_base_url``, else ``TWILIO_CONVERSATIONS_MEDIA_BASE_URL`` (else
      it follows the region).
    """

    def env(name: str) -> str | None:
        return environ.get(name) or None

    if account_sid is None:
        account_sid = env("TWILIO_ACCOUNT_SID")
    if auth_token is None and api_key is None and api_secret is None:
        if env("TWILIO_API_KEY"):
            api_key, api_secret = env("TWILIO_API_KEY"), env("TWILIO_API_SECRET")
        else:
            auth_token = env("TWILIO_AUTH_TOKEN")
    if base_url is None and edge is None and region is None:
        base_url = env("TWILIO_CONVERSATIONS_BASE_URL")
        if base_url is None:
            edge, region = env("TWILIO_EDGE"), env("TWILIO_REGION")
    if media_base_url is None:
        media_base_url = env("TWILIO_CONVERSATIONS_MEDIA_BASE_URL")
    return Located(
        account_sid, auth_token, api_key, api_secret, base_url, edge, region, media_base_url
    )


def check_retry(retry: object) -> RetryPolicy:
    if not isinstance(retry, RetryPolicy):
        raise InvalidArgumentError("retry", f"must be a RetryPolicy, not {type(retry).__name__}")
    return retry


def check_options(
    *,
    max_concurrency: object,
    writes_per_second: object,
    retry: object,
    limiter: object,
    http_session: object,
    sleep: object,
) -> None:
    """The Session's other options: counts, rates and the objects it is given."""
    check_int("max_concurrency", max_concurrency, minimum=1)
    if writes_per_second is not None:
        check_number("writes_per_second", writes_per_second, exclusive=True)
    check_retry(retry)
    if limiter is not None and not isinstance(limiter, Limiter):
        raise InvalidArgumentError(
            "limiter", f"needs slot() and state (see Limiter), not {type(limiter).__name__}"
        )
    if http_session is not None:
        if not isinstance(http_session, aiohttp.ClientSession):
            raise InvalidArgumentError(
                "http_session",
                f"must be an aiohttp.ClientSession, not {type(http_session).__name__}",
            )
        check_borrowed(http_session)
    if sleep is not None and not callable(sleep):
        raise InvalidArgumentError("sleep", f"must be callable, not {type(sleep).__name__}")
