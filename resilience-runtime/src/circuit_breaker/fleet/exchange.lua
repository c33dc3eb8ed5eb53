-- One exchange of one process with a fleet breaker's shared state, atomic on the server:
-- a manual action, the process's outcomes since its last exchange, its trial verdict; then
-- the fleet's decision by the breaker's rules, and the shared state as it now is.
--
-- KEYS[1] the state (a hash), KEYS[2] the window's one-second slices, oldest first (a list),
-- KEYS[3] the window's buckets and totals (a hash). All three share one hash tag.
--
-- ARGV: 1 process id · 2 calls, 3 failed, 4 slow since the last exchange · 5 the process's
-- current run of failures · 6 manual action (0 none, 1 force open, 2 close, 3 reset,
-- 4 open for ARGV[7] ms, 5 half-open, 6 disable, 7 metrics only) · 8 trial verdict (0 none,
-- 1 closed, 2 reopened) for generation 9 · 10 failure threshold · 11 failure rate (0: the
-- consecutive model) · 12 slow-call rate (0: not tracked) · 13 minimum calls · 14 window
-- (0 calls, 1 seconds, 2 none) of size 15 · 16 recovery ms, 17 backoff factor (0: none),
-- 18 longest open ms · 19 trial lease ms · 20 expiry ms.
--
-- Returns {state, generation, open ms left, 1 if this process holds the trial lease, streak,
-- cause, cause a, cause b, cause c, window calls, window failed, window slow}.
-- States: 0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled, 5 metrics only.
-- Causes: 1 consecutive failures (a), 2 failure rate (a failed of b calls, c percent),
-- 3 slow-call rate (a slow of b calls, c percent), 4 recovery timeout (a ms), 5 trial closed,
-- 6 trial reopened, 7 trial lease expired, 8 manual action (a).

local state_key, slices_key, buckets_key = KEYS[1], KEYS[2], KEYS[3]
local pid = ARGV[1]
local calls, failed, slow = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local run_now = tonumber(ARGV[5])
local action, action_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local verdict, verdict_generation = tonumber(ARGV[8]), tonumber(ARGV[9])
local threshold, failure_rate = tonumber(ARGV[10]), tonumber(ARGV[11])
local slow_rate, minimum = tonumber(ARGV[12]), tonumber(ARGV[13])
local window_kind, window_size = tonumber(ARGV[14]), tonumber(ARGV[15])
local recovery, backoff, longest = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
local lease_ms, expiry = tonumber(ARGV[19]), tonumber(ARGV[20])

local CLOSED, OPEN, HALF_OPEN, FORCED_OPEN, DISABLED, METRICS_ONLY = 0, 1, 2, 3, 4, 5

-- The server's clock, so that processes need not agree on time.
local time = redis.call('TIME')
local slice = tonumber(time[1])
local now = slice * 1000 + math.floor(tonumber(time[2]) / 1000)

local s = redis.call('HMGET', state_key, 'state', 'generation', 'opened_at', 'open_ms',
  'streak', 'lease', 'lease_until', 'run', 'cause', 'cause_a', 'cause_b', 'cause_c')
local state = tonumber(s[1]) or CLOSED
local generation = tonumber(s[2]) or 0
local opened_at = tonumber(s[3]) or 0
local open_ms = tonumber(s[4]) or 0
local streak = tonumber(s[5]) or 0
local lease = s[6] or ''
local lease_until = tonumber(s[7]) or 0
local run = tonumber(s[8]) or 0
local cause = tonumber(s[9]) or 0
local cause_a, cause_b, cause_c = tonumber(s[10]) or 0, tonumber(s[11]) or 0, tonumber(s[12]) or 0

local t = redis.call('HMGET', buckets_key, 'calls', 'failed', 'slow')
local total_calls, total_failed, total_slow = tonumber(t[1]) or 0, tonumber(t[2]) or 0,
  tonumber(t[3]) or 0

local function clear_window()
  redis.call('DEL', slices_key, buckets_key)
  total_calls, total_failed, total_slow, run = 0, 0, 0, 0
end

local function move(to, why, a, b, c)
  state = to
  generation = generation + 1
  cause, cause_a, cause_b, cause_c = why, a or 0, b or 0, c or 0
end

-- The open wait after `k` failed recoveries: grown by the backoff, capped.
local function open_length(k)
  if backoff <= 1 then
    return recovery
  end
  local grown = recovery * backoff ^ k
  if grown > longest then
    return longest
  end
  return math.floor(grown)
end

local function open(k, why, a, b, c)
  streak = math.min(k, 255)
  opened_at = now
  open_ms = open_length(streak)
  lease = ''
  clear_window()
  move(OPEN, why, a, b, c)
end

local function grant_lease(why, a)
  lease = pid
  lease_until = now + lease_ms
  move(HALF_OPEN, why, a)
end

-- 1. A manual action, as the breaker's own manual transitions do.
if action == 1 then
  if state ~= FORCED_OPEN then move(FORCED_OPEN, 8, action) end
elseif action == 2 then
  if state ~= CLOSED then clear_window(); move(CLOSED, 8, action) end
elseif action == 3 then
  clear_window(); streak = 0; move(CLOSED, 8, action)
elseif action == 4 then
  clear_window(); streak = 0; opened_at = now; open_ms = action_ms; lease = ''
  move(OPEN, 8, action)
elseif action == 5 then
  streak = 0; grant_lease(8, action)
elseif action == 6 then
  if state ~= DISABLED then move(DISABLED, 8, action) end
elseif action == 7 then
  if state ~= METRICS_ONLY then clear_window(); move(METRICS_ONLY, 8, action) end
end

-- 2. The outcomes, into the window of a recording state (others drop them, as a local
-- breaker does with outcomes of an earlier period).
local recording = state == CLOSED or state == METRICS_ONLY
if recording and calls > 0 then
  if failure_rate == 0 then
    -- Any success in the batch ends the fleet's run: what is left is this process's run
    -- since its last success; a batch of failures only lengthens the run.
    if calls > failed then run = run_now else run = run + failed end
  end
  if window_kind ~= 2 then
    local newest = tonumber(redis.call('LINDEX', slices_key, -1))
    if newest ~= slice then redis.call('RPUSH', slices_key, slice) end
    redis.call('HINCRBY', buckets_key, 'c' .. slice, calls)
    redis.call('HINCRBY', buckets_key, 'f' .. slice, failed)
    redis.call('HINCRBY', buckets_key, 's' .. slice, slow)
    total_calls, total_failed, total_slow = total_calls + calls, total_failed + failed,
      total_slow + slow
  end
end

local function bucket(id)
  local b = redis.call('HMGET', buckets_key, 'c' .. id, 'f' .. id, 's' .. id)
  return tonumber(b[1]) or 0, tonumber(b[2]) or 0, tonumber(b[3]) or 0
end

local function drop_oldest(id)
  local c, f, w = bucket(id)
  redis.call('LPOP', slices_key)
  redis.call('HDEL', buckets_key, 'c' .. id, 'f' .. id, 's' .. id)
  total_calls, total_failed, total_slow = total_calls - c, total_failed - f, total_slow - w
end

-- 3. The window slides: a time window keeps its last `window_size` seconds; a count window
-- keeps the newest slices that hold at least `window_size` calls.
if window_kind == 1 then
  while true do
    local oldest = tonumber(redis.call('LINDEX', slices_key, 0))
    if not oldest or oldest > slice - window_size then break end
    drop_oldest(oldest)
  end
elseif window_kind == 0 then
  while redis.call('LLEN', slices_key) > 1 do
    local oldest = tonumber(redis.call('LINDEX', slices_key, 0))
    local c = bucket(oldest)
    if total_calls - c < window_size then break end
    drop_oldest(oldest)
  end
end

-- The judged counts: a count window's oldest slice counts only in part, pro rata, so that
-- the window holds exactly `window_size` calls.
local judged_calls, judged_failed, judged_slow = total_calls, total_failed, total_slow
if window_kind == 0 and total_calls > window_size then
  local oldest = tonumber(redis.call('LINDEX', slices_key, 0))
  local c, f, w = bucket(oldest)
  local excess = total_calls - window_size
  if c > 0 then
    judged_failed = total_failed - math.floor(f * excess / c)
    judged_slow = total_slow - math.floor(w * excess / c)
  end
  judged_calls = window_size
end
redis.call('HSET', buckets_key, 'calls', total_calls, 'failed', total_failed, 'slow', total_slow)

-- 4. The decision, by the breaker's rules over the fleet's counts: `minimum_calls` counts
-- the fleet's calls.
if state == CLOSED and calls > 0 then
  if failure_rate == 0 and run >= threshold then
    open(0, 1, run)
  elseif judged_calls > 0 and judged_calls >= minimum then
    if failure_rate > 0 and judged_failed * 100 >= failure_rate * judged_calls then
      open(0, 2, judged_failed, judged_calls, failure_rate)
    elseif slow_rate > 0 and judged_slow * 100 >= slow_rate * judged_calls then
      open(0, 3, judged_slow, judged_calls, slow_rate)
    end
  end
end

-- 5. The trial: only the lease holder's verdict on its own lease counts.
if verdict > 0 and state == HALF_OPEN and lease == pid and generation == verdict_generation then
  if verdict == 1 then
    clear_window(); streak = 0; lease = ''; move(CLOSED, 5)
  else
    open(streak + 1, 6)
  end
end

-- 6. Time: an open wait that is over hands the trial to the first process to ask; a lease
-- its holder let expire goes to the next one.
if state == OPEN and now >= opened_at + open_ms then
  grant_lease(4, open_ms)
elseif state == HALF_OPEN and lease ~= pid and now >= lease_until then
  grant_lease(7)
end

redis.call('HSET', state_key, 'state', state, 'generation', generation, 'opened_at', opened_at,
  'open_ms', open_ms, 'streak', streak, 'lease', lease, 'lease_until', lease_until, 'run', run,
  'cause', cause, 'cause_a', cause_a, 'cause_b', cause_b, 'cause_c', cause_c)
redis.call('PEXPIRE', state_key, expiry)
redis.call('PEXPIRE', slices_key, expiry)
redis.call('PEXPIRE', buckets_key, expiry)

local left = 0
if state == OPEN then left = math.max(0, opened_at + open_ms - now) end
local mine = 0
if state == HALF_OPEN and lease == pid then mine = 1 end
return {state, generation, left, mine, streak, cause, cause_a, cause_b, cause_c,
  judged_calls, judged_failed, judged_slow}
