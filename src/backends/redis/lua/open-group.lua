-- open-group.lua: creates a consumer group unless it exists: Herald's group hash and, atomically
-- with it, the Redis consumer group on the events stream (XGROUP CREATE ... MKSTREAM) whose
-- last-delivered-id is the start cursor. A Redis group of that name made outside Herald is taken
-- over (XGROUP SETID to the cursor). For a group hash that exists without its Redis group (a hash
-- from before Herald used Redis groups, or a group destroyed from outside), the Redis group is
-- created at the hash's old `cursor`, else at the last position assigned.
--
-- KEYS[1] group hash, KEYS[2] groups set, KEYS[3] meta hash, KEYS[4] events stream
-- ARGV[1] the group's name, ARGV[2] options JSON, ARGV[3] start cursor: the position before the
-- first event the group takes, or 'end' for the last position assigned now
--
-- Reply: { created (0/1), options JSON as stored }
local group, groups, meta, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name = ARGV[1]

local function redisGroup(cursor, takeOver)
  local created = redis.pcall('XGROUP', 'CREATE', events, name, cursor .. '-0', 'MKSTREAM')
  if type(created) == 'table' and created.err and takeOver then
    redis.call('XGROUP', 'SETID', events, name, cursor .. '-0')
  end
end

local last = redis.call('HGET', meta, 'last') or '0'
if redis.call('EXISTS', group) == 1 then
  redisGroup(redis.call('HGET', group, 'cursor') or last, false) -- BUSYGROUP: it exists, as it should
  redis.call('HDEL', group, 'cursor')
  return { 0, redis.call('HGET', group, 'options') }
end
local cursor = ARGV[3]
if cursor == 'end' then cursor = last end
redisGroup(cursor, true)
redis.call('HSET', group, 'options', ARGV[2], 'origin', cursor, 'serial', 0)
redis.call('SADD', groups, name)
return { 1, ARGV[2] }
