"""The Lua scripts of the shared limiter (:mod:`conversations_async.redis_limiter`).

Each runs atomically in Redis and reads the time from Redis (``TIME``), so the hosts' clocks do
not matter. Times and durations are milliseconds; numbers that may be fractional are returned as
strings, since Redis truncates a Lua number to an integer reply.
"""

from __future__ import annotations

from typing import Final

_NOW: Final = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
"""

# Every lease of one worker carries the same expiry, and a renewal moves them all together. A
# new lease joins its siblings' expiry (``sibling``: one of the worker's leases, '' when none)
# while at least half a lease of it is left; else it extends all of them to a full lease from
# now. So a worker that dies loses all its permits at one instant, at most lease_seconds after it
# last acquired or renewed, never one by one; and most grants cost O(1), not one ZADD per lease.
_EXTEND_WORKER: Final = """
local function extend_worker(leases, prefix, expiry)
  local n = 0
  local members = redis.call('ZRANGE', leases, 0, -1)
  for i = 1, #members do
    if string.sub(members[i], 1, #prefix) == prefix then
      redis.call('ZADD', leases, expiry, members[i])
      n = n + 1
    end
  end
  return n
end

local function grant_lease(leases, prefix, id, sibling, now, lease_ms)
  local expiry = sibling ~= '' and tonumber(redis.call('ZSCORE', leases, sibling))
  if not expiry or expiry - now < lease_ms / 2 then
    expiry = now + lease_ms
    extend_worker(leases, prefix, expiry)
  end
  redis.call('ZADD', leases, expiry, id)
  redis.call('PEXPIRE', leases, math.ceil(lease_ms * 2))
end
"""

# The estimate of the account's cap (conversations_async._limits_estimator.CapEstimator, the
# same rules, line for line; a test drives both with the same events). The state is a table of
# the state hash's fields; times are milliseconds. cfg: max, min, grow_after, probe_interval,
# probe_max (ms), start (the permits while the hash has none).
ESTIMATOR: Final = """
local EST_FIELDS = {'permits', 'ceiling', 'probe_to', 'probe_step', 'probe_wait', 'probe_at',
                    'epoch', 'run', 'others', 'others_base', 'others_seen', 'round_left'}

local function est_load(key, cfg)
  local f = redis.call('HMGET', key, unpack(EST_FIELDS))
  return {permits = math.min(tonumber(f[1]) or cfg.start, cfg.max), ceiling = tonumber(f[2]),
          probe_to = tonumber(f[3]) or 0, probe_step = tonumber(f[4]) or 1,
          probe_wait = tonumber(f[5]) or cfg.probe_interval, probe_at = tonumber(f[6]) or 0,
          epoch = tonumber(f[7]) or 0, run = tonumber(f[8]) or 0, others = tonumber(f[9]) or 0,
          others_base = tonumber(f[10]) or 0, others_seen = tonumber(f[11]) or 0,
          round_left = tonumber(f[12]) or 0}
end

local function est_store(key, s)
  local args = {}
  for _, name in ipairs(EST_FIELDS) do
    if s[name] ~= nil then
      table.insert(args, name)
      table.insert(args, tostring(s[name]))
    end
  end
  redis.call('HSET', key, unpack(args))
end

local function est_settle(s, cfg)
  local level = math.max(s.ceiling, s.probe_to) - math.max(0, s.others - s.others_base)
  s.permits = math.max(cfg.min, math.min(cfg.max, level))
end

local function est_count_others(s, cfg, seen)
  seen = math.max(0, seen)
  if seen > s.others then
    s.others = seen
  end
  if seen > s.others_seen then
    s.others_seen = seen
  end
  s.round_left = s.round_left - 1
  if s.round_left <= 0 then
    s.others = s.others_seen
    s.others_seen = 0
    s.round_left = s.permits
  end
  if s.ceiling ~= nil then
    est_settle(s, cfg)
  end
end

local function est_succeeded(s, cfg, now, sent_with, in_flight, concurrent, saturated)
  if concurrent then
    est_count_others(s, cfg, concurrent - math.max(in_flight, sent_with, s.permits))
  end
  if s.ceiling == nil then
    s.run = s.run + 1
    if s.run >= cfg.grow_after then
      s.run = 0
      if s.permits < cfg.max then
        s.permits = s.permits + 1
      end
    end
    return
  end
  if s.probe_to > 0 and sent_with > s.ceiling then
    s.ceiling = math.min(sent_with, s.probe_to)
  end
  if s.probe_to > 0 and s.ceiling >= s.probe_to then
    s.probe_step = math.min(2 * s.probe_step, cfg.max)
    s.probe_wait = cfg.probe_interval
    s.probe_to = 0
    s.probe_at = now
  end
  if s.probe_to == 0 and saturated and now >= s.probe_at and s.ceiling < cfg.max then
    s.probe_to = s.ceiling + s.probe_step
  end
  est_settle(s, cfg)
end

local function est_throttled(s, cfg, now, in_flight, concurrent, epoch, saturated)
  local bound = math.max(0, in_flight - 1)
  if concurrent then
    est_count_others(s, cfg, concurrent - in_flight)
    if concurrent > 0 then
      bound = math.min(bound, concurrent)
    end
  end
  if epoch == s.epoch and s.probe_to > 0 then
    s.ceiling = math.min(bound, s.probe_to - 1)
  elseif s.ceiling == nil or bound < s.ceiling then
    s.ceiling = bound
  end
  local starved = saturated and s.ceiling < cfg.min
  if epoch == s.epoch then
    s.epoch = s.epoch + 1
    if s.probe_to > 0 or starved then
      s.probe_wait = math.min(2 * s.probe_wait, cfg.probe_max)
    end
    s.probe_to = 0
    s.probe_step = 1
    s.probe_at = now + s.probe_wait
    s.run = 0
  end
  s.others_base = s.others
  est_settle(s, cfg)
  if starved then
    return s.probe_at
  end
  return nil
end
"""

# KEYS: leases, state.  ARGV: lease id, lease ms, max permits, worker prefix, initial permits
# (the shared permits while the state key does not exist), a lease the worker holds ('' if none).
# -> {granted, wait ms (until the pause ends or the first lease expires), permits, epoch, pause ms,
#     leases held once this one is granted (0 when not granted)}
ACQUIRE: Final = (
    _NOW
    + _EXTEND_WORKER
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until')
local max_permits = tonumber(ARGV[3])
local permits = math.min(tonumber(st[1]) or tonumber(ARGV[5]), max_permits)
local epoch = tonumber(st[2]) or 0
local pause = (tonumber(st[3]) or 0) - now
if pause > 0 then
  return {0, tostring(pause), permits, epoch, tostring(pause), 0}
end
local held = redis.call('ZCARD', KEYS[1])
if held < permits then
  grant_lease(KEYS[1], ARGV[4], ARGV[1], ARGV[6], now, tonumber(ARGV[2]))
  return {1, '0', permits, epoch, '0', held + 1}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(first[2]) - now), permits, epoch, '0', 0}
"""
)

# KEYS: leases, state.  ARGV: lease id, outcome (''|'ok'|'throttled'|'aps'), epoch of the lease,
# retry-after ms, max permits, min permits, grow after, state ttl ms, initial permits, leases held
# when it was granted (itself included), Twilio-Concurrent-Requests ('' when none), saturated
# ('1' when the worker has callers waiting), probe interval ms, probe interval max ms.
# '' returns the lease without a report (the state is left as it is); 'aps' (too many actions per
# second on a write key, slowed by SLOW_KEY) only counts the 429.
# -> {permits, epoch, pause ms, ceiling (-1 before the first 429)}
RELEASE: Final = (
    _NOW
    + ESTIMATOR
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREM', KEYS[1], ARGV[1])
-- In flight when the answer came: every worker's leases, this one included.
local in_flight = redis.call('ZCARD', KEYS[1]) + 1
local cfg = {max = tonumber(ARGV[5]), min = tonumber(ARGV[6]), grow_after = tonumber(ARGV[7]),
             start = tonumber(ARGV[9]), probe_interval = tonumber(ARGV[13]),
             probe_max = tonumber(ARGV[14])}
local s = est_load(KEYS[2], cfg)
local pause_until = tonumber(redis.call('HGET', KEYS[2], 'pause_until')) or 0
local outcome = ARGV[2]
local concurrent = tonumber(ARGV[11])
if outcome == 'ok' then
  redis.call('HINCRBY', KEYS[2], 'succeeded', 1)
  est_succeeded(s, cfg, now, tonumber(ARGV[10]), in_flight, concurrent, ARGV[12] == '1')
  est_store(KEYS[2], s)
elseif outcome == 'throttled' then
  redis.call('HINCRBY', KEYS[2], 'throttled', 1)
  local starved_until = est_throttled(s, cfg, now, in_flight, concurrent, tonumber(ARGV[3]),
                                      ARGV[12] == '1')
  est_store(KEYS[2], s)
  local hold = math.max(now + tonumber(ARGV[4]), starved_until or 0)
  if hold > now and hold > pause_until then
    pause_until = hold
    redis.call('HSET', KEYS[2], 'pause_until', tostring(pause_until))
  end
elseif outcome == 'aps' then
  redis.call('HINCRBY', KEYS[2], 'throttled', 1)
end
if outcome ~= '' then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return {s.permits, s.epoch, tostring(math.max(0, pause_until - now)), s.ceiling or -1}
"""
)

# KEYS: leases.  ARGV: lease ms, worker prefix.  -> how many of the worker's leases were renewed
RENEW: Final = (
    _NOW
    + _EXTEND_WORKER
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local renewed = extend_worker(KEYS[1], ARGV[2], now + tonumber(ARGV[1]))
if renewed > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1]) * 2))
end
return renewed
"""
)

# GCRA on one key. KEYS: bucket, its slowdown (a hash written by SLOW_KEY; the same hash tag).
# ARGV: interval ms, tolerance ms, catch-up ms.
# -> '0' when a token was taken, else the ms until the next one
TAKE_TOKEN: Final = (
    _NOW
    + """
local now = now_ms()
local interval = tonumber(ARGV[1]) * (tonumber(redis.call('HGET', KEYS[2], 'slowdown')) or 1)
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now - tonumber(ARGV[3]))
local early = tat - tonumber(ARGV[2]) - now
if early > 0 then
  return tostring(early)
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return '0'
"""
)

# Too many actions per second on one key (a 429 with code 50063 / 50074): slow that key alone,
# as _limits_buckets.Bucket.slow_down does. KEYS: bucket, its slowdown.  ARGV: interval ms,
# retry-after ms, most slowdown, memory ms, window ms.  -> the slowdown now
SLOW_KEY: Final = (
    _NOW
    + """
local now = now_ms()
local st = redis.call('HMGET', KEYS[2], 'slowdown', 'slowed_at')
local slowdown = tonumber(st[1]) or 1
local slowed_at = tonumber(st[2])
if slowed_at == nil or now >= slowed_at + tonumber(ARGV[5]) then
  -- At most once per window (the hash expires APS_MEMORY after the latest refusal, which ends
  -- the slowdown).
  slowdown = math.min(2 * slowdown, tonumber(ARGV[3]))
  redis.call('HSET', KEYS[2], 'slowdown', slowdown, 'slowed_at', tostring(now))
end
redis.call('PEXPIRE', KEYS[2], math.ceil(tonumber(ARGV[4])))
local hold = math.max(tonumber(ARGV[1]) * slowdown, tonumber(ARGV[2]))
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now + hold)
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil(tat - now) + 1000)
return slowdown
"""
)

# KEYS: leases, state.  ARGV: none.
# -> {held, permits (false while the state key does not exist), epoch, pause ms, throttled,
#     succeeded, ceiling (-1 before the first 429)}
SHARED: Final = (
    _NOW
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until', 'throttled', 'succeeded',
                      'ceiling')
return {redis.call('ZCARD', KEYS[1]), st[1] or false, tonumber(st[2]) or 0,
        tostring(math.max(0, (tonumber(st[3]) or 0) - now)), tonumber(st[4]) or 0,
        tonumber(st[5]) or 0, tonumber(st[6]) or -1}
"""
)
