-- nack.lua: hands a delivery back: due again after a delay, or a dead letter (asked for, or at
-- maxDeliveries) keeping the last error. A delivery from the group's PEL (token 0) leaves it
-- (XACK) for the due zset, which holds each entry's own due time (a PEL cannot: XCLAIM clamps
-- a future TIME to now). A nack of a stale delivery is ignored: for a PEL delivery, when XPENDING
-- no longer shows the id with the delivery count it was handed out with (it was reclaimed, acked
-- or nacked since); for a due-zset delivery, when its token is not the current one.
--
-- KEYS[1] group hash, KEYS[2] due zset, KEYS[3] counts hash, KEYS[4] tokens hash,
-- KEYS[5] errors hash, KEYS[6] dead zset, KEYS[7] dead info hash, KEYS[8] events stream
-- ARGV[1] position, ARGV[2] token (0: a PEL delivery), ARGV[3] delay ms, ARGV[4] '1' when ARGV[5]
-- is an error, ARGV[5] the error text, ARGV[6] '1' to dead-letter now, ARGV[7] the group's name,
-- ARGV[8] the delivery's count
--
-- Reply: 0 ignored (stale or not pending), 1 due again after the delay, 2 dead-lettered
local group, due, counts, tokens, errors, dead, deadInfo, events =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local position, token, name = ARGV[1], ARGV[2], ARGV[7]
local count
if token == '0' then
  local id = position .. '-0'
  local pending = redis.pcall('XPENDING', events, name, id, id, 1)
  if pending.err or pending[1] == nil or tonumber(pending[1][4]) ~= tonumber(ARGV[8]) then return 0 end
  redis.call('XACK', events, name, id)
  count = tonumber(ARGV[8])
else
  if redis.call('HGET', tokens, position) ~= token then return 0 end
  count = tonumber(redis.call('HGET', counts, position) or '0')
end
if ARGV[4] == '1' then redis.call('HSET', errors, position, ARGV[5]) end
local options = cjson.decode(redis.call('HGET', group, 'options'))
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ARGV[6] == '1' or count >= tonumber(options.maxDeliveries) then
  local entry = redis.call('XRANGE', events, position .. '-0', position .. '-0')[1]
  if entry then
    local info = { deliveries = count, at = now, fields = entry[2] }
    info.error = redis.call('HGET', errors, position) or nil
    redis.call('HSET', deadInfo, position, cjson.encode(info))
    redis.call('ZADD', dead, position, position)
  end
  redis.call('ZREM', due, position)
  redis.call('HDEL', counts, position)
  redis.call('HDEL', tokens, position)
  redis.call('HDEL', errors, position)
  return 2
end
if token == '0' then redis.call('HSET', counts, position, count) end
redis.call('ZADD', due, now + tonumber(ARGV[3]), position)
return 1
