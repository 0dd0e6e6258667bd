-- nack.lua: hands a delivery back: due again after a delay, or a dead letter (asked for, or at
-- maxDeliveries) keeping the last error. A nack whose token is not the current one belongs to a
-- member whose delivery was redelivered since: it is ignored.
--
-- KEYS[1] group hash, KEYS[2] due zset, KEYS[3] counts hash, KEYS[4] tokens hash,
-- KEYS[5] errors hash, KEYS[6] dead zset, KEYS[7] dead info hash, KEYS[8] events stream
-- ARGV[1] position, ARGV[2] token, ARGV[3] delay ms, ARGV[4] '1' when ARGV[5] is an error,
-- ARGV[5] the error text, ARGV[6] '1' to dead-letter now
--
-- Reply: 0 ignored (stale or not pending), 1 due again after the delay, 2 dead-lettered
local group, due, counts, tokens, errors, dead, deadInfo, events =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local position = ARGV[1]
if redis.call('HGET', tokens, position) ~= ARGV[2] then return 0 end
if ARGV[4] == '1' then redis.call('HSET', errors, position, ARGV[5]) end
local options = cjson.decode(redis.call('HGET', group, 'options'))
local count = tonumber(redis.call('HGET', counts, position) or '0')
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
redis.call('ZADD', due, now + tonumber(ARGV[3]), position)
return 1
