-- schedule-complete.lua: forgets entries whose append succeeded (or that the log refused for
-- good). Completing what is not pending does nothing, so a repeated call is harmless.
--
-- KEYS[1] entries hash, KEYS[2] untaken zset, KEYS[3] taken zset, KEYS[4] pending zset
-- ARGV the ids
--
-- Reply: the next due time after it (as schedule-next.lua answers it, '' for none)
local entries, untaken, taken, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
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
for i = 1, #ARGV, CHUNK do
  local j = math.min(i + CHUNK - 1, #ARGV)
  redis.call('HDEL', entries, unpack(ARGV, i, j))
  redis.call('ZREM', taken, unpack(ARGV, i, j))
  redis.call('ZREM', untaken, unpack(ARGV, i, j))
  redis.call('ZREM', pending, unpack(ARGV, i, j))
end
return nextDue()
