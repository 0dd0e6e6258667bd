-- ack.lua: marks deliveries of one group handled: XACK for those in the group's PEL, and the due
-- zset's bookkeeping for those redelivered from it (a position is in one or the other). Acking a
-- stale delivery (one redelivered since) still acks: the handler did the work. Acking what is not
-- pending does nothing, nor does acking in a group Redis no longer has (XACK answers 0). All
-- positions go out in one command per key (XACK, ZREM, then HDEL of counts, tokens and errors).
--
-- KEYS[1] due zset, KEYS[2] counts hash, KEYS[3] tokens hash, KEYS[4] errors hash,
-- KEYS[5] events stream
-- ARGV[1] the group's name, then the entry ids (<position>-0) to ack
--
-- Reply: how many were pending
local due, counts, tokens, errors, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local name = ARGV[1]
-- Commands taking many arguments go out in chunks: Lua's unpack has a limit (about 8,000).
local CHUNK = 4000
local acked = 0
for i = 2, #ARGV, CHUNK do
  acked = acked + redis.call('XACK', events, name, unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))
end
-- The due zset is empty unless something was nacked with a delay or redriven: its keys (and the
-- positions they are keyed by) are only touched when it exists.
if redis.call('EXISTS', due) == 1 then
  local positions = {}
  for i = 2, #ARGV do positions[i - 1] = string.match(ARGV[i], '^(%d+)') end
  for i = 1, #positions, CHUNK do
    local j = math.min(i + CHUNK - 1, #positions)
    acked = acked + redis.call('ZREM', due, unpack(positions, i, j))
    redis.call('HDEL', counts, unpack(positions, i, j))
    redis.call('HDEL', tokens, unpack(positions, i, j))
    redis.call('HDEL', errors, unpack(positions, i, j))
  end
end
return acked
