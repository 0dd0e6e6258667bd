-- redrive.lua: puts dead letters back to be delivered again at once, their counts reset.
--
-- KEYS[1] due zset, KEYS[2] counts hash, KEYS[3] tokens hash, KEYS[4] errors hash,
-- KEYS[5] dead zset, KEYS[6] dead info hash
-- ARGV    the positions to redrive (none: every dead letter)
--
-- Reply: how many were redriven
local due, counts, tokens, errors, dead, deadInfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local positions = ARGV
if #positions == 0 then positions = redis.call('ZRANGE', dead, 0, -1) end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local count = 0
for _, position in ipairs(positions) do
  if redis.call('ZREM', dead, position) == 1 then
    redis.call('HDEL', deadInfo, position)
    redis.call('HSET', counts, position, 0)
    redis.call('HDEL', tokens, position)
    redis.call('HDEL', errors, position)
    redis.call('ZADD', due, now, position)
    count = count + 1
  end
end
return count
