-- Returns a reservation a caller will not use, if no later reservation was made since.
--
-- KEYS[1]: the limit's TAT. ARGV: the TAT the reservation stored, the TAT before it.
-- Returns 1 if the reservation was given back.
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) ~= tonumber(ARGV[1]) then
  return 0
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local before = tonumber(ARGV[2])
if before > now then
  redis.call('SET', KEYS[1], string.format('%.0f', before), 'PX', math.floor((before - now) / 1000) + 1)
else
  redis.call('DEL', KEYS[1])
end
return 1
