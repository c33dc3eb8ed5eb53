-- Returns a reservation a caller will not use.
--
-- KEYS[1]: the limit's TAT. KEYS[2]: its holes (see gcra.lua).
-- ARGV: the TAT the reservation stored (-1 for one that took a hole), the TAT it was made at,
--       the burst tolerance (microseconds).
-- The newest reservation moves the TAT back. One that later reservations wait behind leaves a
-- hole at its time, which the next call takes; a reservation whose time has passed is not
-- given back. Returns 1 if the reservation was given back.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local after = tonumber(ARGV[1])
local before = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if after >= 0 and current == after then
  if before > now then
    redis.call('SET', KEYS[1], string.format('%.0f', before), 'PX', math.floor((before - now) / 1000) + 1)
  else
    redis.call('DEL', KEYS[1])
  end
  return 1
end
if before - tolerance <= now or current < before then
  return 0
end
redis.call('ZADD', KEYS[2], before, string.format('%.0f', before))
-- Every hole lies before the TAT: the set outlives none of them.
redis.call('PEXPIRE', KEYS[2], math.floor((current - now) / 1000) + 1)
return 1
