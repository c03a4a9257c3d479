"""How many requests to keep in flight: an estimate of the account's cap, from the answers. Pure.

Twilio refuses (429 / 20429) a request that finds the account with its cap of requests already
in flight, and answers at once. So a 429 says where the cap is: below what was in flight when it
came back. :class:`CapEstimator` keeps that number, the *ceiling*, and sets the permits to it,
rather than halving blindly (which spends most of a run well under the cap).

- **Slow start.** Until the first 429 nothing is known: the permits start at
  :attr:`~conversations_async.LimiterSettings.start_permits` and every ``grow_after`` successes
  add one (with the default 1 they double every round trip), up to ``max_permits``.
- **A 429** sets the ceiling to one less than the requests in flight when it came back (every
  429 can only lower it). Several 429s from one window of requests in flight together make one
  *reduction*: the slot remembers the number of reductions when it was granted, and only a 429
  on a request granted after the latest one counts as new. After a reduction the limiter waits
  ``probe_interval`` before probing.
- **Probes.** The cap may rise, or another client of the account may stop. While callers wait
  for a permit, the limiter tries ``probe_step`` permits above the ceiling. A success at a level
  above the ceiling during a probe raises it (up to the probe); once the whole probe is accepted, the next one starts at once
  with a step twice as large (so a cap that rose is reached in a few round trips). A 429 ends a
  probe: the step goes back to 1 and the wait before the next one doubles, up to
  ``probe_interval_max``, so a cap that holds still costs one 429 every few seconds.
- **``Twilio-Concurrent-Requests``** (the account's requests in flight, on Twilio's answers),
  when the server sends it, makes every level account-wide: the header's value is the level,
  and requests of the account that are not this limiter's (*others*: the header less what this
  limiter has in flight) are taken off the ceiling, so the permits shrink when another client
  starts and grow back when it stops, without waiting for a 429 or a probe. Without the header
  the levels are this limiter's own requests in flight.

The :class:`~conversations_async.redis_limiter.RedisLimiter` runs the same rules in Lua, over
the leases of every worker (``_redis_scripts.ESTIMATOR``); a test drives both with the same
events. Times are seconds of any monotonic clock.
"""

from __future__ import annotations

from ._limits_settings import LimiterSettings


class CapEstimator:
    """The permits of an adaptive limiter, and the estimate of the cap behind them."""

    __slots__ = (
        "ceiling",
        "epoch",
        "others",
        "permits",
        "probe_at",
        "probe_step",
        "probe_to",
        "probe_wait",
        "run",
        "settings",
    )

    def __init__(self, settings: LimiterSettings) -> None:
        self.settings = settings
        self.permits = settings.start_permits
        """How many of this limiter's requests may be in flight now."""
        self.ceiling: int | None = None
        """The most requests the account is known to take in flight (None: no 429 yet)."""
        self.others = 0
        """The account's requests in flight that are not this limiter's (from the header)."""
        self.probe_to = 0
        """The account-wide level being tried above the ceiling (0: no probe under way)."""
        self.probe_step = 1
        self.probe_wait = settings.probe_interval
        self.probe_at = 0.0
        """No probe starts before this time (set by every reduction)."""
        self.epoch = 0
        """How many reductions so far (a slot granted before the latest one is of an old
        window)."""
        self.run = 0
        """Successes towards the next permit, in slow start."""

    def succeeded(
        self, now: float, sent_with: int, in_flight: int, concurrent: int | None, saturated: bool
    ) -> None:
        """A request that was granted with ``sent_with`` in flight (itself included) got an
        answer other than 429, now that ``in_flight`` are (itself still included).

        ``concurrent`` is the answer's ``Twilio-Concurrent-Requests`` (None without one);
        ``saturated``: callers are waiting for a permit (only then is a probe worth making).
        """
        if concurrent is not None:
            self.others = max(0, concurrent - in_flight)
            level = concurrent
        else:
            level = sent_with + self.others
        ceiling = self.ceiling
        settings = self.settings
        if ceiling is None:
            self.run += 1
            if self.run >= settings.grow_after:
                self.run = 0
                if self.permits < settings.max_permits:
                    self.permits += 1
            return
        if self.probe_to and level > ceiling:
            # Accepted above the ceiling during a probe: the cap is higher, up to the probe.
            # Only a probe raises it: at other times a request still counted in flight here
            # (or at the server) while it is being refused would make a level look accepted.
            self.ceiling = ceiling = min(level, self.probe_to)
        if self.probe_to and ceiling >= self.probe_to:
            # The whole probe was accepted: try twice as far, at once.
            self.probe_step = min(2 * self.probe_step, settings.max_permits)
            self.probe_wait = settings.probe_interval
            self.probe_to = 0
            self.probe_at = now
        if (
            not self.probe_to
            and saturated
            and now >= self.probe_at
            and ceiling - self.others < settings.max_permits
        ):
            self.probe_to = ceiling + self.probe_step
        self._settle()

    def throttled(self, now: float, in_flight: int, concurrent: int | None, epoch: int) -> None:
        """A request granted at reduction count ``epoch`` was answered 429 (for concurrency),
        now that ``in_flight`` are (itself still included)."""
        if concurrent is not None:
            self.others = max(0, concurrent - in_flight)
            level = concurrent
        else:
            level = in_flight + self.others
        bound = max(0, level - 1)
        if self.ceiling is None or bound < self.ceiling:
            self.ceiling = bound
        if epoch == self.epoch:
            # The first 429 of this window: a reduction. The rest of the window (sent before
            # it) still tightens the ceiling, but starts no new wait.
            self.epoch += 1
            if self.probe_to:
                self.probe_wait = min(2 * self.probe_wait, self.settings.probe_interval_max)
            self.probe_to = 0
            self.probe_step = 1
            self.probe_at = now + self.probe_wait
            self.run = 0
        self._settle()

    def _settle(self) -> None:
        assert self.ceiling is not None
        settings = self.settings
        level = max(self.ceiling, self.probe_to) - self.others
        self.permits = max(settings.min_permits, min(settings.max_permits, level))
