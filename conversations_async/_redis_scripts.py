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

# Every lease of one worker carries the same expiry: granting one extends the worker's other
# leases to it, and a renewal moves them all together. So a worker that dies loses all its
# permits at one instant, lease_seconds after it last acquired or renewed, never one by one.
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
"""

# KEYS: leases, state.  ARGV: lease id, lease ms, max permits, worker prefix, initial permits
# (the shared permits while the state key does not exist).
# -> {granted, wait ms (until the pause ends or the first lease expires), permits, epoch, pause ms}
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
  return {0, tostring(pause), permits, epoch, tostring(pause)}
end
if redis.call('ZCARD', KEYS[1]) < permits then
  local lease_ms = tonumber(ARGV[2])
  local expiry = now + lease_ms
  extend_worker(KEYS[1], ARGV[4], expiry)
  redis.call('ZADD', KEYS[1], expiry, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(lease_ms * 2))
  return {1, '0', permits, epoch, '0'}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(first[2]) - now), permits, epoch, '0'}
"""
)

# KEYS: leases, state.  ARGV: lease id, outcome (''|'ok'|'throttled'), epoch of the lease,
# retry-after ms, max permits, min permits, grow after, state ttl ms, initial permits.
# The outcome '' returns the lease without a report (the state is left as it is).
# -> {permits, epoch, pause ms}
RELEASE: Final = (
    _NOW
    + """
local now = now_ms()
redis.call('ZREM', KEYS[1], ARGV[1])
local max_permits = tonumber(ARGV[5])
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until')
local permits = tonumber(st[1]) or tonumber(ARGV[9])
local epoch = tonumber(st[2]) or 0
local pause_until = tonumber(st[3]) or 0
if ARGV[2] == 'ok' then
  redis.call('HINCRBY', KEYS[2], 'succeeded', 1)
  if redis.call('HINCRBY', KEYS[2], 'run', 1) >= tonumber(ARGV[7]) then
    redis.call('HSET', KEYS[2], 'run', 0)
    if permits < max_permits then
      permits = permits + 1
      redis.call('HSET', KEYS[2], 'permits', permits)
    end
  end
elseif ARGV[2] == 'throttled' then
  redis.call('HINCRBY', KEYS[2], 'throttled', 1)
  redis.call('HSET', KEYS[2], 'run', 0)
  if tonumber(ARGV[3]) == epoch then
    permits = math.max(tonumber(ARGV[6]), math.floor(permits / 2))
    epoch = epoch + 1
    redis.call('HSET', KEYS[2], 'permits', permits, 'epoch', epoch)
  end
  local retry_after = tonumber(ARGV[4])
  if retry_after > 0 and now + retry_after > pause_until then
    pause_until = now + retry_after
    redis.call('HSET', KEYS[2], 'pause_until', tostring(pause_until))
  end
end
if ARGV[2] ~= '' then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return {permits, epoch, tostring(math.max(0, pause_until - now))}
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

# GCRA on one key. KEYS: bucket.  ARGV: interval ms, tolerance ms, catch-up ms.
# -> '0' when a token was taken, else the ms until the next one
TAKE_TOKEN: Final = (
    _NOW
    + """
local now = now_ms()
local interval = tonumber(ARGV[1])
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

# KEYS: leases, state.  ARGV: none.
# -> {held, permits (false while the state key does not exist), epoch, pause ms, throttled,
#     succeeded}
SHARED: Final = (
    _NOW
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local st = redis.call('HMGET', KEYS[2], 'permits', 'epoch', 'pause_until', 'throttled', 'succeeded')
return {redis.call('ZCARD', KEYS[1]), st[1] or false, tonumber(st[2]) or 0,
        tostring(math.max(0, (tonumber(st[3]) or 0) - now)), tonumber(st[4]) or 0,
        tonumber(st[5]) or 0}
"""
)
