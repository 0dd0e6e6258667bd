-- schedule-cancel.lua: removes a pending entry no mover has taken. A taken entry is not
-- cancelled: it will be appended, or was.
--
-- KEYS[1] entries hash, KEYS[2] untaken zset, KEYS[3] pending zset
-- KEYS[4] this call's own key, kept ARGV[2] ms when it cancelled: a retried call (its reply was
--         lost) answers 1 again
-- ARGV[1] the id, ARGV[2] how long to keep KEYS[4] (ms)
--
-- Reply: 1 when it was untaken and is now gone, else 0
local entries, untaken, pending, callKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id = ARGV[1]
if redis.call('EXISTS', callKey) == 1 then return 1 end
if redis.call('ZREM', untaken, id) == 0 then return 0 end
redis.call('HDEL', entries, id)
redis.call('ZREM', pending, id)
redis.call('SET', callKey, '1', 'PX', ARGV[2])
return 1
