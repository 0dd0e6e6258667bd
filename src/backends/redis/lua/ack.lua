-- ack.lua: marks deliveries of one group handled. Acking a stale delivery (one redelivered since)
-- still acks: the handler did the work. Acking what is not pending does nothing.
--
-- KEYS[1] due zset, KEYS[2] counts hash, KEYS[3] tokens hash, KEYS[4] errors hash
-- ARGV    the positions to ack
--
-- Reply: how many were pending
local due, counts, tokens, errors = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local acked = 0
for _, position in ipairs(ARGV) do
  acked = acked + redis.call('ZREM', due, position)
  redis.call('HDEL', counts, position)
  redis.call('HDEL', tokens, position)
  redis.call('HDEL', errors, position)
end
return acked
