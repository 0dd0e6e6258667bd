-- locate-time.lua: the first position recorded at or after a time. `recorded` never decreases
-- along the events stream (append.lua holds it at the last value), so a binary search over
-- positions finds it; deleted positions are skipped by taking the next stored entry.
--
-- KEYS[1] events stream
-- ARGV[1] time in Unix ms
--
-- Reply: the position, or 0 when no stored event was recorded at or after the time
local events, ms = KEYS[1], tonumber(ARGV[1])

local function recordedAt(entry)
  local f = entry[2]
  for i = 1, #f, 2 do if f[i] == 'recorded' then return tonumber(f[i + 1]) end end
  return 0
end

local function positionOf(entry) return tonumber(string.match(entry[1], '^(%d+)')) end

local lastEntry = redis.call('XREVRANGE', events, '+', '-', 'COUNT', 1)[1]
if lastEntry == nil or recordedAt(lastEntry) < ms then return 0 end
local lo = positionOf(redis.call('XRANGE', events, '-', '+', 'COUNT', 1)[1])
local hi = positionOf(lastEntry)
-- Invariant: the answer is the first stored entry at or after some position in [lo, hi].
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local entry = redis.call('XRANGE', events, mid .. '-0', '+', 'COUNT', 1)[1]
  if recordedAt(entry) >= ms then hi = mid else lo = positionOf(entry) + 1 end
end
return positionOf(redis.call('XRANGE', events, lo .. '-0', '+', 'COUNT', 1)[1])
