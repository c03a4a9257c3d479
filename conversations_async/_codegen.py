"""Functions written out once at run time, for the hot path: a record's structurer
(``_convert``), a declaration's encoder (``_sansio.params``) and an operation's request builder
(``_sansio.operation``). Each is compiled from the declaration it serves, the first time it is
needed."""

from __future__ import annotations

import itertools
import linecache
from typing import Any

_numbers = itertools.count(1)


def define(source: str, label: str, namespace: dict[str, Any], name: str) -> Any:
    """The function ``name`` that ``source`` defines, its globals ``namespace``. Its lines are
    kept in :mod:`linecache` (as attrs does for its own), so a traceback through it shows them;
    ``label`` names it there (``<encode NewParticipant #3>``)."""
    filename = f"<{label} #{next(_numbers)}>"
    exec(compile(source, filename, "exec"), namespace)
    # A None mtime: linecache.checkcache() never drops an entry that has no file behind it.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return namespace[name]
