-- schedule-list.lua: one page of the pending entries (taken or not) in (due, id) order after a
-- cursor. The pending zset is scored by due time and orders equal scores by member bytes, so the
-- page starts at a rank: the entries due before the cursor's time (ZCOUNT), plus a binary search
-- among those due at the same time for the first id after the cursor's (byte order, as Redis
-- orders members; Lua's `<` on strings follows the server's locale). O(log N) per page and
-- O(limit) for its entries, whatever N.
--
-- KEYS[1] pending zset, KEYS[2] entries hash
-- ARGV[1] limit, ARGV[2] the cursor's due ms ('' for the first page), ARGV[3] the cursor's id
--
-- Reply: the JSON of each entry of the page
local pending, entries = KEYS[1], KEYS[2]
local limit, afterDue, afterId = tonumber(ARGV[1]), ARGV[2], ARGV[3]

local function greater(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end

local start = 0
if afterDue ~= '' then
  local lo = redis.call('ZCOUNT', pending, '-inf', '(' .. afterDue)
  local hi = lo + redis.call('ZCOUNT', pending, afterDue, afterDue)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if greater(redis.call('ZRANGE', pending, mid, mid)[1], afterId) then hi = mid else lo = mid + 1 end
  end
  start = lo
end
local ids = redis.call('ZRANGE', pending, start, start + limit - 1)
if #ids == 0 then return {} end
local jsons = redis.call('HMGET', entries, unpack(ids))
local out = {}
for i = 1, #ids do
  if jsons[i] then out[#out + 1] = jsons[i] end
end
return out
