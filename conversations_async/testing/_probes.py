"""What the emulator lets a test read about the requests it received."""

from __future__ import annotations

import collections
from collections.abc import Mapping

import attrs


@attrs.define
class Counters:
    """What the emulator saw: readable by tests, resettable with :meth:`conversations_async.testing.Emulator.reset_counters`."""

    requests: int = 0
    by_status: collections.Counter[int] = attrs.field(factory=collections.Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    throttled: int = 0
    """429 answers, for any reason."""
    disconnects: int = 0
    """Connections cut without an answer (after commit, or scripted)."""
    server_errors: int = 0
    creates: int = 0
    """Writes that created a conversation or participant (whatever the client was answered)."""


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request as the emulator received it (the Authorization header is never kept)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    username: str | None

    @property
    def form_dict(self) -> dict[str, str]:
        return dict(self.form)
