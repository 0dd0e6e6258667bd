-- schedule-complete.lua: forgets entries whose append succeeded (or that the log refused for
-- good). Completing what is not pending does nothing, so a repeated call is harmless.
--
-- KEYS[1] entries hash, KEYS[2] untaken zset, KEYS[3] taken zset, KEYS[4] pending zset
-- ARGV the ids
--
-- Reply: how many were pending
local entries, untaken, taken, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local CHUNK = 2000
local removed = 0
for i = 1, #ARGV, CHUNK do
  local j = math.min(i + CHUNK - 1, #ARGV)
  removed = removed + redis.call('HDEL', entries, unpack(ARGV, i, j))
  redis.call('ZREM', taken, unpack(ARGV, i, j))
  redis.call('ZREM', untaken, unpack(ARGV, i, j))
  redis.call('ZREM', pending, unpack(ARGV, i, j))
end
return removed
