"""How many requests to keep in flight: an estimate of the account's cap, from the answers. Pure.

Twilio refuses (429 / 20429) a request that finds the account with its cap of requests already
in flight, and answers at once. So a 429 says where the cap is: below what was in flight when it
came back. :class:`CapEstimator` keeps that number, the *ceiling*, and sets the permits to it,
rather than halving blindly (which spends most of a run well under the cap).

- **Slow start.** Until the first 429 nothing is known: the permits start at
  :attr:`~conversations_async.LimiterSettings.start_permits` and every ``grow_after`` successes
  add one (with the default 2 they grow by half every round trip), up to ``max_permits``.
- **A 429** sets the ceiling to one less than this limiter's requests in flight when it came
  back, or to its ``Twilio-Concurrent-Requests`` when that is lower (the limiter's own count
  runs ahead of the server's while answers wait to be read, as on a loaded machine). Every
  429 can only lower it, except the one that ends a probe (below). Several 429s from one
  window of requests in flight together make one *reduction*: the slot remembers the
  number of reductions when it was granted, and only a 429 on a request granted after the
  latest one counts as new; the rest of the window only tightens the ceiling (each of its 429s
  comes back with fewer in flight). After a reduction the limiter waits ``probe_interval``.
- **Probes.** The cap may rise, or another client of the account may stop. While callers wait
  for a permit, the limiter tries ``probe_step`` permits above the ceiling. A success of a
  request sent above the ceiling raises it (up to the probe); once the whole probe is accepted
  the next one starts at once, twice as large, so a cap that rose is reached in a few round
  trips. A 429 ends a probe: the ceiling is taken from that 429 (anywhere up to the probe), the
  step goes back to 1 and the wait before the next try doubles, up to ``probe_interval_max``:
  a cap that holds still costs one 429 every ``probe_interval_max`` seconds. Only a probe
  raises the ceiling: at other times a request still counted in flight here while another is
  being refused would make a level look accepted that is not.
- **``Twilio-Concurrent-Requests``** (the account's requests in flight, on Twilio's answers),
  when the server sends it, tells how many of the account's requests are not this limiter's
  (*others*: the header less what this limiter has in flight; on a success, less at least the
  permits, as this limiter's answers may be on their way back). When others grow after the
  latest 429 (another client started), the permits shrink by as many, before any 429; when
  they fall back, the permits return to the ceiling. The header never raises the ceiling: the
  header and this limiter's count are taken a network hop apart, and a permit handed out on
  a count that is one too low only earns a 429. For the same reason *others* rises at once but
  falls only once a round of answers (as many as the permits, about a round trip), to the most
  seen in that round.
- **Starved.** A 429 with no more than ``min_permits`` in flight while callers wait means the
  account is full with others' requests: sending the next at once would be refused at once, in
  a loop. The limiter then holds every caller until the next probe time (the wait doubling as
  for a refused probe).

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
        "others_base",
        "others_seen",
        "permits",
        "probe_at",
        "probe_step",
        "probe_to",
        "probe_wait",
        "round_left",
        "run",
        "settings",
    )

    def __init__(self, settings: LimiterSettings) -> None:
        self.settings = settings
        self.permits = settings.start_permits
        """How many of this limiter's requests may be in flight now."""
        self.ceiling: int | None = None
        """The most of this limiter's requests the account is known to take (None: no 429 yet)."""
        self.probe_to = 0
        """The level being tried above the ceiling (0: no probe under way)."""
        self.probe_step = 1
        self.probe_wait = settings.probe_interval
        self.probe_at = 0.0
        """No probe starts before this time (set by every reduction)."""
        self.epoch = 0
        """How many reductions so far (a slot granted before the latest is of an old window)."""
        self.run = 0
        """Successes towards the next permit, in slow start."""
        self.others = 0
        """The account's requests in flight that are not this limiter's (from the header)."""
        self.others_base = 0
        """``others`` at the latest 429: only more than this takes permits off the ceiling."""
        self.others_seen = 0
        """The most ``others`` seen in this round of answers."""
        self.round_left = 0
        """Answers left in this round."""

    def succeeded(
        self, now: float, sent_with: int, in_flight: int, concurrent: int | None, saturated: bool
    ) -> None:
        """A request that was granted with ``sent_with`` in flight (itself included) got an
        answer other than 429, now that ``in_flight`` are (itself still included).

        ``concurrent`` is the answer's ``Twilio-Concurrent-Requests`` (None without one);
        ``saturated``: callers are waiting for a permit (only then is a probe worth making).
        ``now`` is read only once a 429 set the ceiling (the limiter passes 0 before).
        """
        if concurrent is not None:
            # Ours as the server may have seen them: up to the permits. The header left the
            # server a hop before ``in_flight`` was taken, and answers received in between
            # (ours, not sent again yet) would pass for other clients' requests; they did, and
            # shrinking the permits made more such gaps, round after round.
            self._count_others(concurrent - max(in_flight, sent_with, self.permits))
        ceiling = self.ceiling
        settings = self.settings
        if ceiling is None:
            self.run += 1
            if self.run >= settings.grow_after:
                self.run = 0
                if self.permits < settings.max_permits:
                    self.permits += 1
            return
        if self.probe_to and sent_with > ceiling:
            self.ceiling = ceiling = min(sent_with, self.probe_to)
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
            and ceiling < settings.max_permits
        ):
            self.probe_to = ceiling + self.probe_step
        self._settle()

    def throttled(
        self, now: float, in_flight: int, concurrent: int | None, epoch: int, saturated: bool
    ) -> float | None:
        """A request granted at reduction count ``epoch`` was answered 429 (for concurrency),
        now that ``in_flight`` are (itself still included).

        Returns when to send again when callers are waiting (``saturated``) and the account
        takes fewer of this limiter's requests than ``min_permits`` (it is full with others'):
        sending the next one now would only be refused at once, again and again. ``None``
        otherwise."""
        bound = max(0, in_flight - 1)
        if concurrent is not None:
            self._count_others(concurrent - in_flight)
            if concurrent > 0:
                # The server refused this one with ``concurrent`` of the account's requests in
                # flight (this one counted or not), so the cap is at most that. The lower bound
                # when our own count runs ahead of the server's (answers not read yet).
                bound = min(bound, concurrent)
        if epoch == self.epoch and self.probe_to:
            # The probe went too far. Where the cap is between the ceiling and the probe, the
            # rest of this window's 429s tell (each seeing fewer in flight), not its successes:
            # those come back later, after the probe has ended.
            self.ceiling = min(bound, self.probe_to - 1)
        elif self.ceiling is None or bound < self.ceiling:
            self.ceiling = bound
        settings = self.settings
        starved = saturated and self.ceiling < settings.min_permits
        if epoch == self.epoch:
            self.epoch += 1
            if self.probe_to or starved:
                self.probe_wait = min(2 * self.probe_wait, settings.probe_interval_max)
            self.probe_to = 0
            self.probe_step = 1
            self.probe_at = now + self.probe_wait
            self.run = 0
        self.others_base = self.others
        self._settle()
        return self.probe_at if starved else None

    def _count_others(self, seen: int) -> None:
        # Up at once, down once a round, to the most seen in it.
        seen = max(0, seen)
        if seen > self.others:
            self.others = seen
        if seen > self.others_seen:
            self.others_seen = seen
        self.round_left -= 1
        if self.round_left <= 0:
            self.others = self.others_seen
            self.others_seen = 0
            self.round_left = self.permits
        if self.ceiling is not None:
            self._settle()

    def _settle(self) -> None:
        assert self.ceiling is not None
        settings = self.settings
        level = max(self.ceiling, self.probe_to) - max(0, self.others - self.others_base)
        self.permits = max(settings.min_permits, min(settings.max_permits, level))
