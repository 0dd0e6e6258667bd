-- ack.lua: marks deliveries of one group handled. Acking a stale delivery (one redelivered since)
-- still acks: the handler did the work. Acking what is not pending does nothing. All positions go
-- out in one command per key (ZREM, then HDEL of counts, tokens and errors).
--
-- KEYS[1] due zset, KEYS[2] counts hash, KEYS[3] tokens hash, KEYS[4] errors hash
-- ARGV    the positions to ack
--
-- Reply: how many were pending
local due, counts, tokens, errors = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- Commands taking many arguments go out in chunks: Lua's unpack has a limit (about 8,000).
local CHUNK = 4000
local acked = 0
for i = 1, #ARGV, CHUNK do
  local j = math.min(i + CHUNK - 1, #ARGV)
  acked = acked + redis.call('ZREM', due, unpack(ARGV, i, j))
  redis.call('HDEL', counts, unpack(ARGV, i, j))
  redis.call('HDEL', tokens, unpack(ARGV, i, j))
  redis.call('HDEL', errors, unpack(ARGV, i, j))
end
return acked
