"""Argument checks shared by the Session, the retry policy and the limiters.

Each raises :class:`~conversations_async.errors.InvalidArgumentError` naming the field; none
shows more of a value than its type, so they are safe for credentials too.
"""

from __future__ import annotations

import math

from .errors import InvalidArgumentError


def is_encodable(text: str) -> bool:
    """Whether UTF-8 can encode ``text``: false only for a lone surrogate such as ``"\\ud800"``
    (which ``os.environ`` holds for bytes that are not UTF-8, and ``json.loads`` can produce)."""
    if text.isascii():  # the common case, and much cheaper than encoding
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def first_surrogate(text: str) -> int:
    """The index of the first lone surrogate in ``text`` (for error messages), or -1."""
    return next((i for i, char in enumerate(text) if "\ud800" <= char <= "\udfff"), -1)


def check_int(field: str, value: object, *, minimum: int) -> int:
    """An ``int`` (``True`` is not a count) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(field, f"must be an integer, not {type(value).__name__}")
    if value < minimum:
        raise InvalidArgumentError(field, f"must be at least {minimum}, not {_shown(value)}")
    return value


def check_number(
    field: str,
    value: object,
    *,
    minimum: float = 0.0,
    exclusive: bool = False,
    maximum: float | None = None,
) -> float:
    """A finite ``int`` or ``float`` (not a bool, NaN or infinity) of at least ``minimum``
    (more than it when ``exclusive``) and at most ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(field, f"must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise InvalidArgumentError(field, f"must be a finite number, not {_shown(value)}")
    if number < minimum or (exclusive and number == minimum):
        bound = f"more than {minimum:g}" if exclusive else f"at least {minimum:g}"
        raise InvalidArgumentError(field, f"must be {bound}, not {_shown(value)}")
    if maximum is not None and number > maximum:
        raise InvalidArgumentError(field, f"must be at most {maximum:g}, not {_shown(value)}")
    return number


def _shown(value: float) -> str:
    # str() of an int over 4300 digits raises ValueError; such a number needs no quoting anyway.
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    return repr(value)
