-- A fixed window's decision: one call counted in the current window, or refused.
--
-- KEYS[1]  the quota's count key without its window: the window's start, in microseconds
--          since the Unix epoch, is appended (hash-tagged, so every window of one count lies
--          on the node of KEYS[1])
-- ARGV[1]  the limit: calls per window (at least 1)
-- ARGV[2]  the period, in microseconds
--
-- Returns {admitted (1 or 0), the window's count after the decision, microseconds until
-- the window ends}. The server's clock fixes the windows, so every process agrees on them.
-- Checked before counting, so a full window is never counted past its limit.

local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local start = now - now % period
local ends = start + period
local key = KEYS[1] .. ':' .. string.format('%.0f', start)

local count = tonumber(redis.call('GET', key) or '0')
if count >= limit then
  return {0, count, ends - now}
end
count = redis.call('INCR', key)
if count == 1 then
  -- Gone when the window ends: a later window is another key.
  redis.call('PEXPIREAT', key, math.ceil(ends / 1000))
end
return {1, count, ends - now}
