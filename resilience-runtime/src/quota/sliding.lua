-- A sliding window's decision: one call counted, or refused, never more than the limit in
-- any span of one period.
--
-- KEYS[1]  the quota's buckets: a hash of bucket number -> calls counted in it
-- ARGV[1]  the limit: calls per period (at least 1)
-- ARGV[2]  the period, in microseconds
--
-- Time is cut into buckets of ceil(period / 31); a call counted in bucket b counts until
-- (b + 1) * width + period, as in process (`sliding.rs`). Buckets that no longer count are
-- deleted on each call, so the hash holds at most 32 fields; it expires when its newest
-- call stops counting.
--
-- Returns {admitted (1 or 0), the calls that count after the decision, microseconds until
-- the oldest of them stops counting}.

local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local width = math.ceil(period / 31)

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local bucket = math.floor(now / width)
-- The first bucket that still counts at `now`.
local first = math.floor((now - period) / width)

local function frees(b)
  return (b + 1) * width + period
end

local fields = redis.call('HGETALL', KEYS[1])
local total = 0
local oldest = nil
local stale = {}
for i = 1, #fields, 2 do
  local b = tonumber(fields[i])
  if b < first then
    stale[#stale + 1] = fields[i]
  else
    total = total + tonumber(fields[i + 1])
    if oldest == nil or b < oldest then
      oldest = b
    end
  end
end
if #stale > 0 then
  redis.call('HDEL', KEYS[1], unpack(stale))
end

if total >= limit then
  local wait = period
  if oldest ~= nil then
    wait = frees(oldest) - now
  end
  return {0, total, wait}
end
redis.call('HINCRBY', KEYS[1], string.format('%.0f', bucket), 1)
redis.call('PEXPIREAT', KEYS[1], math.ceil(frees(bucket) / 1000))
if oldest == nil then
  oldest = bucket
end
return {1, total + 1, frees(oldest) - now}
