-- pull.lua: claims up to `max` deliveries for one member of a consumer group, which is a Redis
-- consumer group on the events stream (consumer ARGV[5]) plus Herald's keys for what a PEL cannot
-- hold. In this order:
--   1. due redeliveries of the due zset (nacked with a delay, redriven, or their lease from such a
--      redelivery expired), by position; at maxDeliveries they become dead letters instead, and
--      one whose type the group does not take (its patterns changed) is forgotten. Each
--      gets a fresh serial token and a lease in the due zset (due again ackWaitMs later);
--   2. expired leases of the PEL: XAUTOCLAIM (min-idle ackWaitMs) from the group hash's `claim`
--      cursor; the delivery count is XPENDING's (XAUTOCLAIM raised it). One at maxDeliveries is
--      XACKed and dead-lettered ("not acked within N ms"), one whose type the group does not take
--      (its patterns changed) is XACKed; ids deleted from the stream are dropped by XAUTOCLAIM;
--   3. in mode 'scan' only, new events: XREADGROUP ... STREAMS events >, entries whose type does
--      not match the group's patterns (NATS rules) XACKed at once. In mode 'client' the caller
--      runs XREADGROUP itself, before or after this script: entries passed
--      through Lua cost the server about twice a plain XREADGROUP, so scanning here is only for
--      groups whose types are sparse in the stream.
-- At most ARGV[2] entries are examined in steps 2 and 3 (a script never holds the server long).
-- A group whose hash is gone (the server lost its data) is created again from ARGV with its Redis
-- group at the loss (meta `lost`, else `last`); a Redis group that is missing (NOGROUP) likewise.
--
-- KEYS[1] group hash (options JSON, origin, serial, claim)  KEYS[2] due zset (position -> due ms)
-- KEYS[3] counts hash (position -> deliveries)              KEYS[4] tokens hash (position -> token)
-- KEYS[5] errors hash (position -> last error)              KEYS[6] dead zset (position -> position)
-- KEYS[7] dead info hash (position -> JSON)                 KEYS[8] events stream
-- KEYS[9] meta hash                                         KEYS[10] groups set
-- ARGV[1] max deliveries to claim, ARGV[2] most entries to examine in this call,
-- ARGV[3] the group's options JSON (used only to re-create it), ARGV[4] the group's name,
-- ARGV[5] the Redis consumer name, ARGV[6] mode: 'client' or 'scan'
--
-- Reply: { nextDueMs (-1: nothing pending; only computed when nothing is delivered),
--          more (1: a scan stopped early), recreated (0/1),
--          { position, deliveryCount, token, fields, ... } (redeliveries: token 0 for a PEL
--            delivery, whose token is its delivery count),
--          { { entryId, fields }, ... } (new events, mode 'scan': delivery count 1, in the PEL),
--          entries examined by step 3 }
local group, due, counts, tokens, errors, dead, deadInfo, events, meta, groups =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local max, scanLimit, name, consumer = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4], ARGV[5]
local scan = ARGV[6] == 'scan'

local state = redis.call('HMGET', group, 'options', 'claim', 'claimAt')
local recreated = 0

-- After a data loss, start at the loss: every event written since is delivered. A group hash
-- from before Redis groups were used keeps its `cursor`: the Redis group starts there.
local function createRedisGroup(cursor)
  local at = (cursor or redis.call('HGET', meta, 'lost') or redis.call('HGET', meta, 'last') or '0') .. '-0'
  local created = redis.pcall('XGROUP', 'CREATE', events, name, at, 'MKSTREAM')
  if type(created) == 'table' and created.err then redis.call('XGROUP', 'SETID', events, name, at) end
  redis.call('HDEL', group, 'cursor', 'claim', 'claimAt')
  recreated = 1
end

if not state[1] then
  local last = redis.call('HGET', meta, 'lost') or redis.call('HGET', meta, 'last') or '0'
  redis.call('HSET', group, 'options', ARGV[3], 'origin', last, 'serial', 0)
  redis.call('SADD', groups, name)
  createRedisGroup(last)
  state = { ARGV[3], false, false }
end

local function isNoGroup(reply)
  return type(reply) == 'table' and reply.err and string.find(reply.err, 'NOGROUP', 1, true) ~= nil
end
-- A group command, run again after creating the Redis group when it is missing.
local function groupCall(...)
  local reply = redis.pcall(...)
  if isNoGroup(reply) then
    createRedisGroup(redis.call('HGET', group, 'cursor'))
    reply = redis.pcall(...)
  end
  if type(reply) == 'table' and reply.err then return redis.error_reply(reply.err) end
  return reply
end

local options = cjson.decode(state[1])
local ackWait, maxDeliveries = tonumber(options.ackWaitMs), tonumber(options.maxDeliveries)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- The patterns are compiled at the first entry to match (the fast path matches none here).
local all, patterns
local function split(s)
  local t = {}
  for token in string.gmatch(s, '[^.]+') do t[#t + 1] = token end
  return t
end
local function test(type)
  local st = split(type)
  for _, pt in ipairs(patterns) do
    local ok = true
    for i = 1, #pt do
      local p = pt[i]
      if p == '>' then ok = #st >= i; break end
      if i > #st or (p ~= '*' and p ~= st[i]) then ok = false; break end
      if i == #pt and #st ~= #pt then ok = false end
    end
    if ok then return true end
  end
  return false
end
-- Types repeat: each is tested once per call.
local known = {}
local function matches(fields)
  if patterns == nil then
    all, patterns = false, {}
    for i, p in ipairs(options.types) do
      if p == '>' then all = true end
      patterns[i] = split(p)
    end
  end
  if all then return true end
  local type = ''
  for i = 1, #fields, 2 do if fields[i] == 'type' then type = fields[i + 1]; break end end
  local m = known[type]
  if m == nil then
    m = test(type)
    known[type] = m
  end
  return m
end

-- Commands taking many arguments go out in chunks: Lua's unpack has a limit (about 8,000).
local CHUNK = 4000
local function many(command, key, list)
  for i = 1, #list, CHUNK do
    redis.call(command, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end
local function xack(ids)
  for i = 1, #ids, CHUNK do
    redis.call('XACK', events, name, unpack(ids, i, math.min(i + CHUNK - 1, #ids)))
  end
end

local function forget(position)
  redis.call('ZREM', due, position)
  redis.call('HDEL', counts, position)
  redis.call('HDEL', tokens, position)
  redis.call('HDEL', errors, position)
end

local function bury(position, count, err, fields)
  redis.call('HSET', deadInfo, position, cjson.encode({ deliveries = count, error = err, at = now, fields = fields }))
  redis.call('ZADD', dead, position, position)
end

local expiredError = 'not acked within ' .. ackWait .. ' ms'
local redeliveries = {}
local delivered = 0
local more = 0

-- 1. Due redeliveries of the due zset. Their bookkeeping is collected, then written with one
-- command per key: tokens serial+1.. (one HINCRBY), counts and tokens one HSET each, one ZADD.
local fromZset = {}
local duePositions = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, 1000)
if #duePositions > 0 then
  table.sort(duePositions, function(x, y) return tonumber(x) < tonumber(y) end)
  for _, position in ipairs(duePositions) do
    if delivered >= max then break end
    local entry = redis.call('XRANGE', events, position .. '-0', position .. '-0')[1]
    local count = tonumber(redis.call('HGET', counts, position) or '0')
    if entry == nil then
      forget(position) -- deleted by retention or a stream delete: nothing left to deliver
    elseif not matches(entry[2]) then
      forget(position) -- no longer the group's: it leaves as if acked
    elseif count >= maxDeliveries then
      bury(position, count, expiredError, entry[2])
      forget(position)
    else
      fromZset[#fromZset + 1] = { tonumber(position), count + 1, entry[2] }
      delivered = delivered + 1
    end
  end
  if #fromZset > 0 then
    local serial = redis.call('HINCRBY', group, 'serial', #fromZset) - #fromZset
    local countPairs, tokenPairs, duePairs = {}, {}, {}
    for i, d in ipairs(fromZset) do
      countPairs[#countPairs + 1] = d[1]
      countPairs[#countPairs + 1] = d[2]
      tokenPairs[#tokenPairs + 1] = d[1]
      tokenPairs[#tokenPairs + 1] = serial + i
      duePairs[#duePairs + 1] = now + ackWait
      duePairs[#duePairs + 1] = d[1]
      local o = #redeliveries
      redeliveries[o + 1], redeliveries[o + 2] = d[1], d[2]
      redeliveries[o + 3], redeliveries[o + 4] = serial + i, d[3]
    end
    many('HSET', counts, countPairs)
    many('HSET', tokens, tokenPairs)
    many('ZADD', due, duePairs)
  end
end

-- 2. Expired leases of the PEL. XAUTOCLAIM looks at each PEL entry it passes (about 1 us each),
-- so it runs only when a lease may have expired: the hash's `claimAt` is a time before which none
-- can (every lease then in the PEL started after claimAt - ackWait; leases started later expire
-- later still). A sweep goes from the `claim` cursor to the end of the PEL over as many calls as
-- the scan limit needs; once it is complete, XPENDING's IDLE filter (a plain walk of the PEL)
-- tells how far off the next expiry is, and sets claimAt: ackWait ahead when the PEL is empty,
-- half of it when no lease is half expired, else from the first lease idle for 7/8 of it (so an
-- expiry is seen at most ackWait/8 late), else ackWait/8 ahead.
local examined = 0
local claimAt = tonumber(state[3]) or 0
local cursor = state[2] or '0-0'
if delivered < max and (cursor ~= '0-0' or now >= claimAt) then
  local start = cursor
  local buried, skipped = {}, {}
  repeat
    local want = max - delivered
    local reply = groupCall('XAUTOCLAIM', events, name, consumer, ackWait, cursor, 'COUNT', want)
    cursor = reply[1]
    examined = examined + want * 10 -- XAUTOCLAIM looks at up to COUNT * 10 PEL entries
    for _, entry in ipairs(reply[2]) do
      local id = entry[1]
      local position = tonumber(string.match(id, '^(%d+)'))
      local count = tonumber(redis.call('XPENDING', events, name, id, id, 1)[1][4])
      if not matches(entry[2]) then
        skipped[#skipped + 1] = id
      elseif count - 1 >= maxDeliveries then
        bury(position, count - 1, expiredError, entry[2])
        buried[#buried + 1] = id
      else
        local o = #redeliveries
        redeliveries[o + 1], redeliveries[o + 2], redeliveries[o + 3], redeliveries[o + 4] =
          position, count, 0, entry[2]
        delivered = delivered + 1
      end
    end
  until cursor == '0-0' or delivered >= max or examined >= scanLimit
  if #buried > 0 then xack(buried) end
  if #skipped > 0 then xack(skipped) end
  if cursor ~= start then redis.call('HSET', group, 'claim', cursor) end
  if cursor ~= '0-0' then
    if delivered < max then more = 1 end
  elseif delivered < max then
    local half = math.floor(ackWait / 2)
    claimAt = now + ackWait - half
    if redis.call('XPENDING', events, name)[1] == 0 then
      claimAt = now + ackWait -- every lease from now on starts now or later
    elseif redis.call('XPENDING', events, name, 'IDLE', half, '-', '+', 1)[1] then
      local late = redis.call('XPENDING', events, name, 'IDLE', ackWait - math.floor(ackWait / 8), '-', '+', 1)[1]
      if late then claimAt = now + math.max(0, ackWait - tonumber(late[3])) else claimAt = now + math.floor(ackWait / 8) end
    end
    redis.call('HSET', group, 'claimAt', claimAt)
  end
end

-- 3. New events (mode 'scan'). With patterns other than `>`, the entries after the last one read are looked at
-- first (XRANGE) so that XREADGROUP reads exactly up to the `max`-th match: the group's
-- last-delivered-id then stays at the last delivery, and the rest are still new for the next pull.
local fresh = {}
local lastId
local claimed = examined
if scan then matches({}) end -- compiles the patterns: `all` is known from here on
while scan and delivered < max and examined < scanLimit do
  local count = max - delivered
  if not all and lastId then
    local ahead = redis.call('XRANGE', events, '(' .. lastId, '+', 'COUNT', math.min(100, scanLimit - examined))
    if #ahead == 0 then break end
    local found = 0
    count = #ahead
    for i, entry in ipairs(ahead) do
      if matches(entry[2]) then
        found = found + 1
        if found == max - delivered then count = i; break end
      end
    end
  end
  local reply = groupCall('XREADGROUP', 'GROUP', name, consumer, 'COUNT', count, 'STREAMS', events, '>')
  if not reply then break end
  local entries = reply[1][2]
  if #entries == 0 then break end
  examined = examined + #entries
  lastId = entries[#entries][1]
  if all then
    if #fresh == 0 then fresh = entries else for _, e in ipairs(entries) do fresh[#fresh + 1] = e end end
    delivered = delivered + #entries
    if #entries < count then break end
  else
    local skipped = {}
    for _, entry in ipairs(entries) do
      if matches(entry[2]) then
        fresh[#fresh + 1] = entry
        delivered = delivered + 1
      else
        skipped[#skipped + 1] = entry[1]
      end
    end
    if #skipped > 0 then xack(skipped) end
  end
end
if examined >= scanLimit and delivered < max then more = 1 end

local nextDue = -1
if delivered == 0 then
  local next = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  if next[2] then nextDue = math.max(0, tonumber(next[2]) - now) end
  -- At least 1 ms: a waiting pull never spins on a lease that is about to expire.
  local pel = redis.pcall('XPENDING', events, name)
  if not pel.err and pel[1] > 0 then
    local expiry = math.max(1, claimAt - now)
    if nextDue < 0 or expiry < nextDue then nextDue = expiry end
  end
end
return { nextDue, more, recreated, redeliveries, fresh, examined - claimed }
