"""The Lua estimate of the shared limiter follows the same rules as the Python one.

The RedisLimiter's scripts embed ``_redis_scripts.ESTIMATOR``; here it runs in a real redis-server
behind a small harness script that takes the time as an argument, and every event goes to both
it and :class:`~conversations_async._limits_estimator.CapEstimator`: their states must agree
after each one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations_async import LimiterSettings
from conversations_async._limits_estimator import CapEstimator
from conversations_async._redis_scripts import ESTIMATOR

# KEYS: a state hash.  ARGV: event, now ms, sent_with, in_flight, concurrent ('' for none),
# saturated ('1'/'0'), epoch, max, min, grow_after, start, probe_interval ms, probe_max ms.
HARNESS = (
    ESTIMATOR
    + """
local cfg = {max = tonumber(ARGV[8]), min = tonumber(ARGV[9]), grow_after = tonumber(ARGV[10]),
             start = tonumber(ARGV[11]), probe_interval = tonumber(ARGV[12]),
             probe_max = tonumber(ARGV[13])}
local s = est_load(KEYS[1], cfg)
local now = tonumber(ARGV[2])
local concurrent = tonumber(ARGV[5])
local held = -1
if ARGV[1] == 'ok' then
  est_succeeded(s, cfg, now, tonumber(ARGV[3]), tonumber(ARGV[4]), concurrent, ARGV[6] == '1')
else
  held = est_throttled(s, cfg, now, tonumber(ARGV[4]), concurrent, tonumber(ARGV[7]),
                       ARGV[6] == '1') or -1
end
est_store(KEYS[1], s)
return {tostring(held), s.permits, s.ceiling or -1, s.probe_to, s.probe_step, tostring(s.probe_wait),
        tostring(s.probe_at), s.epoch, s.run, s.others, s.others_base, s.others_seen,
        s.round_left}
"""
)


@pytest.fixture(scope="module")
def harness(redis_url: str) -> Iterator[Any]:
    client = redis.Redis.from_url(redis_url)
    try:
        yield client.register_script(HARNESS)
    finally:
        client.close()


def python_state(est: CapEstimator) -> tuple[Any, ...]:
    return (
        est.permits,
        -1 if est.ceiling is None else est.ceiling,
        est.probe_to,
        est.probe_step,
        pytest.approx(est.probe_wait * 1000),
        pytest.approx(est.probe_at * 1000),
        est.epoch,
        est.run,
        est.others,
        est.others_base,
        est.others_seen,
        est.round_left,
    )


def lua_state(reply: list[Any]) -> tuple[Any, ...]:
    numbers = [float(v.decode()) if isinstance(v, bytes) else float(v) for v in reply]
    return tuple(int(n) if i not in (4, 5) else n for i, n in enumerate(numbers))


events = st.lists(
    st.tuples(
        st.sampled_from(["ok", "ok", "ok", "throttled"]),
        st.integers(min_value=0, max_value=1500),  # ms since the previous event
        st.integers(min_value=1, max_value=60),  # in flight
        st.one_of(st.none(), st.integers(min_value=0, max_value=80)),  # the header
        st.booleans(),  # saturated
        st.booleans(),  # granted in the current window (else the one before)
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    events=events,
    max_permits=st.integers(min_value=1, max_value=60),
    min_permits=st.integers(min_value=1, max_value=3),
    grow_after=st.integers(min_value=1, max_value=3),
)
def test_lua_and_python_agree_event_by_event(
    harness: Any,
    events: list[tuple[str, int, int, int | None, bool, bool]],
    max_permits: int,
    min_permits: int,
    grow_after: int,
) -> None:
    min_permits = min(min_permits, max_permits)
    limits = LimiterSettings(
        max_permits=max_permits,
        min_permits=min_permits,
        grow_after=grow_after,
        probe_interval=0.25,
        probe_interval_max=1.0,
    )
    est = CapEstimator(limits)
    key = f"estimator-test:{uuid.uuid4().hex}"
    now_ms = 1_000
    for kind, gap, in_flight, concurrent, saturated, current in events:
        now_ms += gap
        sent_with = max(1, min(in_flight, est.permits))
        epoch = est.epoch if current or est.epoch == 0 else est.epoch - 1
        held: float | None = None
        if kind == "ok":
            est.succeeded(now_ms / 1000, sent_with, in_flight, concurrent, saturated)
        else:
            held = est.throttled(now_ms / 1000, in_flight, concurrent, epoch, saturated)
        reply = harness(
            keys=[key],
            args=[
                kind,
                now_ms,
                sent_with,
                in_flight,
                "" if concurrent is None else concurrent,
                "1" if saturated else "0",
                epoch,
                limits.max_permits,
                limits.min_permits,
                limits.grow_after,
                limits.start_permits,
                limits.probe_interval * 1000,
                limits.probe_interval_max * 1000,
            ],
        )
        lua_held, *lua = reply
        assert lua_state(lua) == python_state(est), (kind, now_ms)
        assert float(lua_held) == (-1 if held is None else pytest.approx(held * 1000))
