-- schedule-claim.lua: takes up to `max` entries for a mover: first those whose lease ran out (a
-- mover took them and died before completing), then due untaken ones in (due, id) order (a
-- sorted set orders equal scores by member). Taken entries leave the untaken zset for the taken
-- zset, scored by the end of their lease. Both ranges are indexed: the cost depends on what is
-- taken, not on how many are pending.
--
-- KEYS[1] entries hash, KEYS[2] untaken zset, KEYS[3] taken zset (id scored by lease end)
-- KEYS[4] this call's own key (the ids it took), kept ARGV[4] ms: a retried call (its reply
--         was lost) hands over the same entries instead of leaving them to their lease's end
-- ARGV[1] now (ms), ARGV[2] max, ARGV[3] lease (ms), ARGV[4] how long to keep KEYS[4] (ms)
--
-- Reply: the next due time after this claim (as schedule-next.lua answers it, '' for none), then
-- the JSON of each entry taken
local entries, untaken, taken, callKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, max, leaseMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local CHUNK = 2000

-- The earliest time a claim could take something now (see schedule-next.lua), or '' when nothing
-- is pending: the mover's next look, answered here to save it a round trip.
local function nextDue()
  local best
  for _, key in ipairs({ untaken, taken }) do
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if first[2] then
      local score = tonumber(first[2])
      if best == nil or score < best then best = score end
    end
  end
  if best == nil then return '' end
  return string.format('%d', best)
end

local function hmget(list)
  local values = {}
  for i = 1, #list, CHUNK do
    local part = redis.call('HMGET', entries, unpack(list, i, math.min(i + CHUNK - 1, #list)))
    for j = 1, #part do values[i + j - 1] = part[j] end
  end
  return values
end

local ids
local prior = redis.call('GET', callKey)
if prior then
  ids = cjson.decode(prior)
else
  ids = redis.call('ZRANGEBYSCORE', taken, '-inf', now, 'LIMIT', 0, max)
  if #ids < max then
    local fresh = redis.call('ZRANGEBYSCORE', untaken, '-inf', now, 'LIMIT', 0, max - #ids)
    for i = 1, #fresh, CHUNK do
      redis.call('ZREM', untaken, unpack(fresh, i, math.min(i + CHUNK - 1, #fresh)))
    end
    for i = 1, #fresh do ids[#ids + 1] = fresh[i] end
  end
  if #ids == 0 then return { nextDue() } end
  local until_ = now + leaseMs
  local scored = {}
  for i = 1, #ids do
    scored[#scored + 1] = until_
    scored[#scored + 1] = ids[i]
  end
  for i = 1, #scored, CHUNK * 2 do
    redis.call('ZADD', taken, unpack(scored, i, math.min(i + CHUNK * 2 - 1, #scored)))
  end
  redis.call('SET', callKey, cjson.encode(ids), 'PX', ARGV[4])
end

local jsons = hmget(ids)
local out = { '' }
for i = 1, #ids do
  if jsons[i] then
    out[#out + 1] = jsons[i]
  else
    -- Completed meanwhile (a retried call), or its entry is gone: nothing to hand over.
    redis.call('ZREM', taken, ids[i])
  end
end
out[1] = nextDue()
return out
