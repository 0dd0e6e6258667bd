-- purge.lua: deletes dead letters for good.
--
-- KEYS[1] dead zset, KEYS[2] dead info hash
-- ARGV    the positions to purge (none: every dead letter)
--
-- Reply: how many were purged
local dead, deadInfo = KEYS[1], KEYS[2]
if #ARGV == 0 then
  local count = redis.call('ZCARD', dead)
  redis.call('DEL', dead, deadInfo)
  return count
end
local count = 0
for _, position in ipairs(ARGV) do
  if redis.call('ZREM', dead, position) == 1 then
    redis.call('HDEL', deadInfo, position)
    count = count + 1
  end
end
return count
