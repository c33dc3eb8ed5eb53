-- One GCRA decision, run atomically on the server (the same algorithm as the in-process
-- limiter). Times are the server's, in microseconds, so that every client agrees on them.
--
-- KEYS[1]: the limit's theoretical arrival time (TAT).
-- KEYS[2]: the holes: reservations given back while later ones were waiting behind them,
--          as a sorted set of the TAT each was made at (see give_back.lua).
-- ARGV: emission interval, burst tolerance, longest acceptable wait (microseconds), and the
--       most calls that may already be waiting (-1: no bound).
-- Returns {admitted (1 or 0), wait, TAT before, TAT after}; TAT after is -1 for a reservation
-- that took a hole (the TAT did not move).
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local max_queue = tonumber(ARGV[4])
-- A hole whose time has come and gone is lost, as an unused permit is; the earliest one still
-- ahead is given to this call, so the schedule keeps its spacing and abandoned reservations
-- never push later callers back.
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%.0f', now + tolerance))
  local hole = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if hole[1] then
    local before = tonumber(hole[2])
    local wait = before - tolerance - now
    if wait <= max_wait then
      redis.call('ZREM', KEYS[2], hole[1])
      return {1, wait, before, -1}
    end
  end
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local wait = tat - tolerance - now
if wait < 0 then
  wait = 0
end
if wait > max_wait then
  return {0, wait, 0, 0}
end
-- Reservations still waiting: those whose time is after now.
if wait > 0 and max_queue >= 0 and math.ceil(wait / interval) - 1 >= max_queue then
  return {0, wait, 0, 0}
end
local after = tat + interval
-- The key expires when the limit has fully recovered: from then on a missing key and the
-- stored state mean the same, so nothing is lost and idle keys cost no memory.
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.floor((after - now) / 1000) + 1)
return {1, wait, tat, after}
