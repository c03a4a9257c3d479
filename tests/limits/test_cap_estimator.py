"""The estimate of the account's cap (``_limits_estimator.CapEstimator``), driven by hand.

Pure: every call gets its time, nothing sleeps. The last tests run it against a simulated
server (a cap, a latency, a queue of callers) on a virtual clock of their own.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any

import attrs
import pytest

from conversations_async import LimiterSettings
from conversations_async._limits_estimator import CapEstimator

SETTINGS = LimiterSettings(max_permits=50, probe_interval=1.0, probe_interval_max=4.0)


def estimator(**changes: Any) -> CapEstimator:
    return CapEstimator(attrs.evolve(SETTINGS, **changes))


def refused(est: CapEstimator, now: float, in_flight: int, concurrent: int | None = None) -> None:
    """A 429 on a request granted in the current window."""
    est.throttled(now, in_flight, concurrent, est.epoch, False)


# -- slow start ------------------------------------------------------------------------------


@pytest.mark.parametrize(("grow_after", "after_a_round"), [(2, 37), (1, 50)])
def test_slow_start_grows_per_success_up_to_max(grow_after: int, after_a_round: int) -> None:
    est = estimator(grow_after=grow_after, max_permits=100)
    assert (est.permits, est.ceiling) == (25, None)
    for _ in range(25):  # a round trip's worth of successes
        est.succeeded(0.0, sent_with=25, in_flight=25, concurrent=None, saturated=True)
    assert est.permits == after_a_round
    for _ in range(200):
        est.succeeded(0.0, sent_with=50, in_flight=50, concurrent=None, saturated=True)
    assert est.permits == 100


def test_grow_after_slows_the_slow_start() -> None:
    est = estimator(grow_after=3, initial_permits=4)
    for expected in (4, 4, 5, 5, 5, 6):
        est.succeeded(0.0, sent_with=1, in_flight=1, concurrent=None, saturated=True)
        assert est.permits == expected


# -- 429s --------------------------------------------------------------------------------------


def test_a_429_sets_the_permits_below_what_was_in_flight() -> None:
    est = estimator()
    refused(est, 5.0, in_flight=17)
    assert (est.permits, est.ceiling, est.epoch) == (16, 16, 1)
    assert est.probe_at == 6.0  # probe_interval after the reduction


def test_the_429s_of_one_window_tighten_but_reduce_once() -> None:
    # 20 sent at once against a cap of 12: the 8 refused come back one by one, each seeing one
    # fewer in flight, all granted in window 0.
    est = estimator()
    for in_flight in range(20, 12, -1):
        est.throttled(1.0, in_flight, None, 0, True)
    assert (est.ceiling, est.permits, est.epoch) == (12, 12, 1)
    assert est.probe_at == 2.0  # one wait, started by the first
    # A 429 granted after the reduction, with fewer in flight, is new evidence.
    refused(est, 3.0, in_flight=9)
    assert (est.ceiling, est.epoch, est.probe_at) == (8, 2, 4.0)


def test_a_429_never_raises_the_ceiling() -> None:
    est = estimator()
    refused(est, 0.0, in_flight=10)
    refused(est, 1.0, in_flight=30)  # e.g. a straggler of an old burst
    assert est.ceiling == 9


def test_permits_stay_within_min_and_max() -> None:
    est = estimator(min_permits=3, max_permits=8, initial_permits=8)
    refused(est, 0.0, in_flight=1)
    assert (est.ceiling, est.permits) == (0, 3)
    est = estimator(max_permits=8, initial_permits=8)
    for _ in range(30):
        est.succeeded(0.0, 8, 8, None, True)
    assert est.permits == 8


# -- probes ------------------------------------------------------------------------------------


def at_ceiling(ceiling: int = 10) -> CapEstimator:
    est = estimator()
    refused(est, 0.0, in_flight=ceiling + 1)
    assert est.permits == ceiling
    return est


def ok(est: CapEstimator, now: float, sent_with: int, *, saturated: bool = True) -> None:
    est.succeeded(now, sent_with, sent_with, None, saturated)


def test_no_probe_before_the_interval_or_without_waiting_callers() -> None:
    est = at_ceiling()
    ok(est, 0.5, 10)
    assert est.permits == 10  # too early
    ok(est, 1.5, 10, saturated=False)
    assert est.permits == 10  # nobody waits: a probe would learn nothing
    ok(est, 1.5, 10)
    assert (est.permits, est.probe_to) == (11, 11)


def test_accepted_probes_double_their_step_refused_ones_double_the_wait() -> None:
    est = at_ceiling()
    ok(est, 1.0, 10)
    assert est.permits == 11
    # Accepted at 11: the cap is higher; the next probe starts at once, twice as far.
    ok(est, 1.1, 11)
    assert (est.ceiling, est.permits, est.probe_step) == (11, 13, 2)
    ok(est, 1.2, 12)  # partly accepted: the ceiling follows, the probe goes on
    assert (est.ceiling, est.permits) == (12, 13)
    ok(est, 1.2, 13)
    assert (est.ceiling, est.permits, est.probe_step) == (13, 17, 4)
    # Refused with 17 in flight: the probe ends, the ceiling is taken from the 429 (up to one
    # below the probe), the step goes back to 1 and the next try waits longer.
    refused(est, 1.3, in_flight=17)
    assert (est.ceiling, est.permits, est.probe_step, est.probe_wait) == (16, 16, 1, 2.0)
    assert est.probe_at == pytest.approx(3.3)
    # The rest of that window's 429s come back with fewer in flight: where the cap is.
    window = est.epoch - 1
    est.throttled(1.3, 15, None, window, True)
    assert (est.ceiling, est.permits, est.epoch, est.probe_at) == (14, 14, window + 1, 3.3)
    ok(est, 3.3, 14)
    assert est.permits == 15
    refused(est, 3.4, in_flight=15)
    assert (est.ceiling, est.probe_wait) == (14, 4.0)  # probe_interval_max
    ok(est, 7.4, 14)
    refused(est, 7.5, in_flight=15)
    assert est.probe_wait == 4.0
    assert est.probe_at == pytest.approx(11.5)
    # An accepted probe resets the wait.
    ok(est, 11.5, 14)
    ok(est, 11.6, 15)
    assert (est.ceiling, est.probe_wait, est.probe_step) == (15, 1.0, 2)


def test_outside_a_probe_a_success_does_not_raise_the_ceiling() -> None:
    # A request still counted here while another was being refused looks like 11 in flight.
    est = at_ceiling()
    ok(est, 0.5, 11)
    assert (est.ceiling, est.permits) == (10, 10)


def test_no_probe_at_max_permits() -> None:
    est = estimator(max_permits=10, initial_permits=10)
    refused(est, 0.0, in_flight=11)
    ok(est, 5.0, 10)
    assert (est.permits, est.probe_to) == (10, 0)


# -- Twilio-Concurrent-Requests ----------------------------------------------------------------


def test_others_starting_take_permits_off_at_once_and_give_them_back() -> None:
    est = estimator()
    refused(est, 0.0, in_flight=21, concurrent=21)  # alone on the account: a cap of 20
    assert (est.ceiling, est.permits) == (20, 20)
    # Another client starts: the account holds 8 more than ours, before any 429.
    est.succeeded(0.1, 20, 20, 28, True)
    assert (est.others, est.permits) == (8, 12)
    # One quieter answer does not hand a permit out again...
    est.succeeded(0.11, 12, 12, 12, True)
    assert est.permits == 12
    # ...but once the other client is gone for a round of answers, the permits come back.
    answers = 0
    while est.permits < 20:
        est.succeeded(0.2, 12, 12, 12, False)
        answers += 1
        assert answers <= 2 * 20
    assert est.ceiling == 20


def test_the_header_never_raises_the_ceiling() -> None:
    est = estimator()
    # Refused with 11 of ours in flight and 19 of others': our ceiling is 10.
    refused(est, 0.0, in_flight=11, concurrent=30)
    assert (est.ceiling, est.others, est.permits) == (10, 19, 10)
    for _ in range(50):  # the others are gone
        est.succeeded(0.1, 10, 10, 10, False)
    assert (est.others, est.permits) == (0, 10)  # only a probe tries above the ceiling


def test_a_header_below_our_own_count_means_no_others_and_bounds_the_ceiling() -> None:
    # Ours counted here run ahead of the server's count (answers waiting to be read, requests
    # on their way): the server refused this one holding 11, so the cap is at most 11.
    est = estimator()
    refused(est, 0.0, in_flight=15, concurrent=11)
    assert (est.ceiling, est.others, est.permits) == (11, 0, 11)
    # Either reading of the header (the refused request counted or not) keeps the usual bound
    # when the counts agree: refused with 21 of ours and nobody else's, the cap is 20.
    for concurrent in (20, 21):
        est = estimator()
        refused(est, 0.0, in_flight=21, concurrent=concurrent)
        assert (est.ceiling, est.permits) == (20, 20)
    # A header of 0 says nothing (it cannot hold for a refusal): the count is used.
    est = estimator()
    refused(est, 0.0, in_flight=15, concurrent=0)
    assert est.ceiling == 14


def test_answers_on_their_way_back_are_not_taken_for_others() -> None:
    # The header counted 20 of ours at the server. By the time its answer is read, three more
    # of ours have been answered and not sent again yet (two of them when this one was sent).
    est = estimator()
    refused(est, 0.0, in_flight=21, concurrent=21)
    assert est.permits == 20
    for _ in range(100):
        est.succeeded(0.1, 18, 17, 20, True)
    assert (est.others, est.permits) == (0, 20)


# -- starved ----------------------------------------------------------------------------------


def test_refused_with_callers_waiting_and_none_in_flight_holds_them() -> None:
    est = estimator()
    # As for a refused probe, the wait doubles (from probe_interval 1 s).
    assert est.throttled(3.0, 1, None, 0, True) == 5.0
    assert (est.ceiling, est.permits) == (0, 1)
    # Refused again once the hold is over: twice as long (probe_interval_max is 4 s here).
    assert est.throttled(5.0, 1, None, est.epoch, True) == 9.0
    # Nobody waiting: nothing to hold.
    assert estimator().throttled(3.0, 1, None, 0, False) is None
    # Others of ours in flight: the account takes some of ours.
    assert estimator().throttled(3.0, 4, None, 0, True) is None


# -- against a simulated server ----------------------------------------------------------------


@attrs.define
class Run:
    sent: int = 0
    refused: int = 0
    samples: list[tuple[float, int, int]] = attrs.Factory(list)
    """(time, permits, cap) after each answer."""


def simulate(
    *,
    n: int,
    latency: float,
    caps: list[tuple[float, int]],
    header: bool,
    settings: LimiterSettings,
    retry_wait: float = 0.25,
) -> Run:
    """``n`` callers that each need one accepted request, against a server that refuses (at
    once) a request finding ``cap`` in flight and answers the others after ``latency``.
    ``caps``: (from time, cap). The limiter grants in FIFO order; a refused caller queues again
    after ``retry_wait``, as the Session's backoff would. A discrete-event loop, no asyncio."""
    est = CapEstimator(settings)
    run = Run()
    clock = 0.0
    waiting: list[int] = list(range(n))
    # (time, seq, kind, (caller, sent with, epoch))
    events: list[tuple[float, int, str, tuple[int, int, int]]] = []
    seq = itertools.count()
    ours = server = done = 0

    def cap_at(t: float) -> int:
        return [c for since, c in caps if since <= t][-1]

    def grant() -> None:
        nonlocal ours, server
        while waiting and ours < est.permits:
            caller = waiting.pop(0)
            ours += 1
            run.sent += 1
            sent = (caller, ours, est.epoch)
            if server >= cap_at(clock):
                heapq.heappush(events, (clock + 0.001, next(seq), "429", sent))
            else:
                server += 1
                heapq.heappush(events, (clock + latency, next(seq), "ok", sent))

    grant()
    while done < n:
        clock, _, kind, (caller, sent_with, epoch) = heapq.heappop(events)
        if kind == "retry":
            waiting.append(caller)
        elif kind == "ok":
            concurrent = server if header else None
            est.succeeded(clock, sent_with, ours, concurrent, bool(waiting))
            server -= 1
            ours -= 1
            done += 1
        else:
            run.refused += 1
            held = est.throttled(clock, ours, server + 1 if header else None, epoch, True)
            assert held is None  # never starved here: the only client of the account
            ours -= 1
            heapq.heappush(events, (clock + retry_wait, next(seq), "retry", (caller, 0, 0)))
        run.samples.append((clock, est.permits, cap_at(clock)))
        grant()
    return run


@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
@pytest.mark.parametrize("cap", [10, 20, 50])
@pytest.mark.parametrize("max_permits", [50, 200])
def test_uses_the_cap_with_few_429s(header: bool, cap: int, max_permits: int) -> None:
    latency = 0.05
    n = 2000
    run = simulate(
        n=n,
        latency=latency,
        caps=[(0.0, cap)],
        header=header,
        settings=LimiterSettings(max_permits=max_permits),
    )
    assert run.refused / run.sent <= 0.02
    # After the first round trips, permits sit at the cap (or within a probe of it).
    settled = [p for t, p, _ in run.samples if t > 10 * latency]
    target = min(cap, max_permits)
    assert sorted(settled)[len(settled) // 2] == target
    assert min(settled) >= target - 1
    assert max(settled) <= target + 1


@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
def test_follows_a_cap_that_moves(header: bool) -> None:
    # 20 -> 10 -> 30, each for 8 s; probes at most 2 s apart (the defaults).
    run = simulate(
        n=9000,
        latency=0.05,
        caps=[(0.0, 20), (8.0, 10), (16.0, 30)],
        header=header,
        settings=LimiterSettings(max_permits=50),
    )
    assert run.refused / run.sent <= 0.02
    for since, until, cap in [(3.0, 8.0, 20), (8.5, 16.0, 10), (19.0, 24.0, 30)]:
        window = [p for t, p, _ in run.samples if since <= t < until]
        assert window, (since, until)
        assert cap - 1 <= min(window) and max(window) <= cap + 1, (since, cap)
    # The drop is followed within a few round trips, the rise within a few seconds.
    assert all(p <= 11 for t, p, _ in run.samples if 8.3 <= t < 16.0)
    assert max(p for t, p, _ in run.samples if 16.0 <= t < 19.0) >= 29
