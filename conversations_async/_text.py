"""Short, printable excerpts of what a server sent, for error messages and logs.

A body we did not write may be megabytes long, hold control characters that forge log lines,
or be JSON nested far deeper than ``repr`` can recurse: nothing here can raise on any of them.
"""

from __future__ import annotations

import reprlib
from typing import Final

MAX_EXCERPT: Final = 300
"""The longest excerpt put in an error message."""


def short_text(text: str, limit: int = MAX_EXCERPT) -> str:
    """*text* on one line, non-printable characters as ``?``, cut to *limit* with ``…``."""
    # Only the head is ever shown: do not scan a megabyte page to show 300 characters of it.
    head = " ".join(text[: limit * 4].split())
    printable = "".join(c if c.isprintable() else "?" for c in head[: limit + 1])
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


_REPR: Final = reprlib.Repr()
# Bounded in depth and breadth, so a value nested 100,000 deep is shown as "[[[[...]]]]".
_REPR.maxlevel = 4
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 8
_REPR.maxstring = _REPR.maxother = 80


def excerpt(value: object, limit: int = MAX_EXCERPT) -> str:
    """A short description of a decoded JSON value (or bytes) for an error message."""
    if isinstance(value, bytes | bytearray):
        return short_text(bytes(value[: limit * 4]).decode("utf-8", "replace"), limit)
    if isinstance(value, str):
        return short_text(value, limit)
    return short_text(_REPR.repr(value), limit)
