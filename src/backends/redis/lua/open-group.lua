-- open-group.lua: creates a consumer group unless it exists, atomically with its start cursor.
--
-- KEYS[1] group hash, KEYS[2] groups set, KEYS[3] meta hash
-- ARGV[1] the group's name, ARGV[2] options JSON, ARGV[3] start cursor: the position before the
-- first event the group takes, or 'end' for the last position assigned now
--
-- Reply: { created (0/1), options JSON as stored }
local group, groups, meta = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', group) == 1 then
  return { 0, redis.call('HGET', group, 'options') }
end
local cursor = ARGV[3]
if cursor == 'end' then cursor = redis.call('HGET', meta, 'last') or '0' end
redis.call('HSET', group, 'options', ARGV[2], 'cursor', cursor, 'origin', cursor, 'serial', 0)
redis.call('SADD', groups, ARGV[1])
return { 1, ARGV[2] }
