-- schedule-add.lua: stores scheduled entries, all in one call (all or none: a script runs alone
-- and these commands cannot fail half-way). An id already pending (untaken or taken) is not
-- stored again: its reply is the due time of the entry that is. Then PUBLISHes a wake-up for the
-- movers of other processes.
--
-- KEYS[1] entries hash (id -> JSON { dueAt, event, stream })
-- KEYS[2] untaken zset (id scored by due ms)
-- KEYS[3] pending zset (every pending id scored by due ms: `scheduled()` pages it)
-- KEYS[4] this call's own key, kept ARGV[3] ms: a retried call (its reply was lost with the
--         connection) answers what the first run did, so an entry it stored is not reported as
--         a duplicate of itself
-- ARGV[1] the wake-up channel
-- ARGV[2] the adding store's token (its own movers ignore the wake-up: they know already)
-- ARGV[3] how long to keep KEYS[4] (ms)
-- ARGV[4] number of entries n, then n times: id, due ms, JSON
--
-- Reply: one string per entry: '' when stored, else the due ms of the pending entry with its id
local entries, untaken, pending, callKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local n = tonumber(ARGV[4])

local prior = redis.call('GET', callKey)
if prior then
  if prior == '*' then
    local reply = {}
    for i = 1, n do reply[i] = '' end
    return reply
  end
  return cjson.decode(prior)
end

-- Commands taking many arguments go out in chunks: Lua's unpack has a limit (about 8,000).
local CHUNK = 2000
local ids = {}
for i = 1, n do ids[i] = ARGV[2 + i * 3] end
local found = {}
for i = 1, n, CHUNK do
  local part = redis.call('ZMSCORE', pending, unpack(ids, i, math.min(i + CHUNK - 1, n)))
  for j = 1, #part do found[i + j - 1] = part[j] end
end

local reply = {}
local seen = {}
local fields, scored = {}, {}
local earliest
local duplicates = false
for i = 1, n do
  local id, due, json = ids[i], ARGV[3 + i * 3], ARGV[4 + i * 3]
  local existing = found[i] or seen[id]
  if existing then
    reply[i] = existing
    duplicates = true
  else
    reply[i] = ''
    seen[id] = due
    fields[#fields + 1] = id
    fields[#fields + 1] = json
    scored[#scored + 1] = due
    scored[#scored + 1] = id
    local d = tonumber(due)
    if earliest == nil or d < earliest then earliest = d end
  end
end
for i = 1, #fields, CHUNK * 2 do
  local j = math.min(i + CHUNK * 2 - 1, #fields)
  redis.call('HSET', entries, unpack(fields, i, j))
  redis.call('ZADD', untaken, unpack(scored, i, j))
  redis.call('ZADD', pending, unpack(scored, i, j))
end
redis.call('SET', callKey, duplicates and cjson.encode(reply) or '*', 'PX', ARGV[3])
if earliest ~= nil then
  redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. string.format('%d', earliest))
end
return reply
