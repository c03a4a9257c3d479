"""Every error the library raises. Catch :class:`ConversationsError` to catch them all.

::

    ConversationsError
    ├── InvalidArgumentError (also a ValueError): bad input, raised before anything is sent
    ├── APIConnectionError: the request did not get an HTTP answer
    │   └── APITimeoutError
    ├── APIStatusError: Twilio answered with an error status
    │   ├── BadRequestError 400 · AuthenticationError 401 · PermissionDeniedError 403
    │   ├── NotFoundError 404 · ConflictError 409 · RateLimitError 429 · ServerError >= 500
    ├── ResponseValidationError: a 2xx body that could not be read as the expected record
    ├── SessionClosedError (also a RuntimeError)
    └── SessionLoopError (also a RuntimeError): used from another event loop than its own
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from multidict import CIMultiDict

from ._text import short_text
from ._types import JSON

PARTICIPANT_ALREADY_EXISTS: Final = 50433
"""A participant with this identity is already in the conversation."""
GROUP_PARTICIPANT_ALREADY_EXISTS: Final = 50437
"""A participant with this address pair (or identity + projected address) is already in it."""
ALREADY_IN_CONVERSATION_CODES: Final = frozenset(
    {PARTICIPANT_ALREADY_EXISTS, GROUP_PARTICIPANT_ALREADY_EXISTS}
)
"""Both: the participant is already in the conversation (a bulk job's ``existed``)."""


class ConversationsError(Exception):
    """Base class of every error raised by conversations_async."""


class InvalidArgumentError(ConversationsError, ValueError):
    """An argument was rejected before any request was sent. ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class SessionClosedError(ConversationsError, RuntimeError):
    """The Session was closed (or its borrowed ``http_session`` was); open a new one."""


class SessionLoopError(ConversationsError, RuntimeError):
    """A Session or limiter was used from an event loop other than the one it belongs to.

    Its connections and futures are bound to the loop that first used it: open one Session per
    event loop (for example one per ``asyncio.run``).
    """


class APIConnectionError(ConversationsError):
    """The request got no HTTP answer (DNS, refused, reset, cut mid-answer).

    ``sent`` tells whether the request may have reached the server: when ``False`` it certainly
    did not (the connection was never made), so retrying cannot duplicate anything.
    """

    def __init__(self, message: str, *, method: str, url: str, sent: bool = True) -> None:
        self.method = method
        self.url = url
        self.sent = sent
        super().__init__(f"{message} ({method} {url})")


class APITimeoutError(APIConnectionError):
    """No complete answer arrived within the Session's timeout."""


class APIStatusError(ConversationsError):
    """Twilio answered with an error status.

    ``code`` is Twilio's error code (e.g. 50433) when the body carried one, ``more_info`` the
    link to its documentation, ``body`` the raw body (decoded JSON, or text when it was not JSON).
    """

    def __init__(
        self,
        *,
        status: int,
        code: int | None,
        message: str,
        more_info: str | None = None,
        details: JSON = None,
        headers: Mapping[str, str] | None = None,
        body: JSON = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        self.details = details
        # Case-insensitive, as HTTP header names are (HTTP/2 sends them in lower case).
        self.headers: Mapping[str, str] = CIMultiDict(headers or {})
        self.body = body
        self.method = method
        self.url = url
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"HTTP {self.status}"
        if self.code is not None:
            text += f" (Twilio code {self.code})"
        text += f": {self.message}"
        if self.more_info:
            text += f" [{self.more_info}]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code}, message={self.message!r})"

    @property
    def already_in_conversation(self) -> bool:
        """True for 50433 / 50437: the participant is already present (not a real failure)."""
        return self.code in ALREADY_IN_CONVERSATION_CODES

    @property
    def request_id(self) -> str | None:
        """Twilio's ``Twilio-Request-Id`` header, to quote to Twilio support."""
        return self.headers.get("Twilio-Request-Id")


class BadRequestError(APIStatusError):
    """HTTP 400: Twilio rejected a parameter."""


class AuthenticationError(APIStatusError):
    """HTTP 401: wrong credentials (Twilio code 20003)."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404: no such conversation, participant or path.

    Twilio is seen to answer its generic 20404 for all of them; 50350 (conversation) and 50432
    (participant) exist too. Branch on the class or the status, not on the code.
    """


class ConflictError(APIStatusError):
    """HTTP 409: the thing already exists (e.g. 50433 participant, 50353 unique name)."""


class RateLimitError(APIStatusError):
    """HTTP 429 (Twilio code 20429): too many requests; never processed, safe to retry.

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(self, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)  # type: ignore[arg-type]


class ServerError(APIStatusError):
    """HTTP 5xx: Twilio failed. For a create, the change may or may not have been applied."""


_MAX_DETAIL: Final = 1000  # characters of problems shown in a ResponseValidationError


class ResponseValidationError(ConversationsError):
    """A successful answer whose body could not be read as the expected record.

    ``body`` is the raw body; ``errors`` the list of problems cattrs found.
    """

    def __init__(self, message: str, *, body: bytes | str, errors: list[str] | None = None) -> None:
        self.body = body
        self.errors = errors or []
        # Bounded: the problems may quote what a hostile server sent.
        detail = short_text("; ".join(self.errors), _MAX_DETAIL)
        super().__init__(f"{message}: {detail}" if detail else message)


_STATUS_CLASSES: Final[Mapping[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


__all__ = [
    "ALREADY_IN_CONVERSATION_CODES",
    "GROUP_PARTICIPANT_ALREADY_EXISTS",
    "PARTICIPANT_ALREADY_EXISTS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConversationsError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "SessionClosedError",
    "SessionLoopError",
    "error_class_for",
]
