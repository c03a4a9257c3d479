"""What goes wrong on purpose: the :class:`Faults` settings, scripted faults, write windows."""

from __future__ import annotations

import collections
import fnmatch
import random
from collections.abc import Mapping

import attrs

from ._state import TwilioError


@attrs.define(kw_only=True)
class Faults:
    """What goes wrong, and how often. Change the attributes at any time; ``seed`` makes it
    reproducible (each fault draws from its own seeded random stream)."""

    latency: float = 0.0
    """Seconds added before every answer."""
    max_in_flight: int | None = None
    """More concurrent requests than this are answered 429 / 20429."""
    retry_after: float | None = None
    """``Retry-After`` seconds sent with the 429s of ``max_in_flight`` (none when None)."""
    writes_per_second: float | None = None
    """Writes allowed per conversation (participant create/update/delete, conversation update)
    and per service (conversation create/delete) in any one-second window; more → 429."""
    write_limit_code: int = 50063
    """The Twilio code of the 429 for a spent write budget: 50063 (the default) or 50074, the
    codes Twilio documents for actions per second, or 20429 for a server that answers both
    limits alike."""
    concurrent_requests_header: bool = True
    """Send ``Twilio-Concurrent-Requests`` (the requests in flight, this one included) on every
    answer, as Twilio does; False leaves it out."""
    server_error_rate: float = 0.0
    """Fraction of requests answered 500 before anything is done."""
    server_error_after_commit_rate: float = 0.0
    """Fraction of writes that are applied and then answered 500 (an ambiguous failure)."""
    disconnect_after_commit_rate: float = 0.0
    """Fraction of writes that are applied and then answered by cutting the connection."""
    seed: int = 0


@attrs.define(kw_only=True)
class ScriptedFault:
    method: str
    path_glob: str
    status: int
    code: int
    message: str
    headers: Mapping[str, str]
    times: int
    body: str | None = None
    disconnect: bool = False


class WriteWindows:
    """Writes accepted per key in the last second (a sliding window, as strict as can be)."""

    def __init__(self) -> None:
        self._times: dict[str, collections.deque[float]] = {}

    def allow(self, key: str, limit: float, now: float) -> bool:
        times = self._times.setdefault(key, collections.deque())
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True


class FaultState:
    """The moving parts behind a :class:`Faults`: scripted faults still to fire, the write
    windows, and the random streams (restarted whenever ``faults`` or its seed is replaced)."""

    def __init__(self) -> None:
        self.scripted: list[ScriptedFault] = []
        self._windows = WriteWindows()
        self._seeded_for: tuple[Faults, int] | None = None
        self._rng_error = random.Random()
        self._rng_commit = random.Random()

    def take_scripted(self, method: str, path: str) -> ScriptedFault | None:
        """The first scripted fault for this request, used up once it has fired ``times``."""
        for fault in self.scripted:
            if fault.method == method and fnmatch.fnmatchcase(path, fault.path_glob):
                fault.times -= 1
                if fault.times <= 0:
                    self.scripted.remove(fault)
                return fault
        return None

    def spend_write(self, faults: Faults, key: str, now: float) -> None:
        """Enforce the per-second write budget of ``key`` (raises a 429 answer when spent)."""
        limit = faults.writes_per_second
        if limit is not None and not self._windows.allow(key, limit, now):
            raise TwilioError(
                429, faults.write_limit_code, "Too many requests: actions per second limit reached"
            )

    def server_error(self, faults: Faults) -> bool:
        """Whether this request is answered 500 before anything is done."""
        self.reseed(faults)
        return (
            bool(faults.server_error_rate) and self._rng_error.random() < faults.server_error_rate
        )

    def commit_roll(self, faults: Faults) -> float:
        """One draw in [0, 1) for an applied write (compared with the after-commit rates)."""
        self.reseed(faults)
        return self._rng_commit.random()

    def reseed(self, faults: Faults) -> None:
        if self._seeded_for is None or (
            self._seeded_for[0] is not faults or self._seeded_for[1] != faults.seed
        ):
            self._seeded_for = (faults, faults.seed)
            self._rng_error.seed(faults.seed)
            self._rng_commit.seed(faults.seed + 1)
