-- pull.lua: claims up to `max` deliveries for one member of a consumer group: due redeliveries
-- first (by position; those at maxDeliveries become dead letters instead), then new events after
-- the group's cursor whose type matches the group's patterns (NATS rules). Each delivery gets a
-- fresh token (so a stale nack is recognised) and is due again ackWaitMs later. A group whose
-- hash is gone (the server lost its data) is created again from ARGV, its cursor at the loss.
--
-- KEYS[1] group hash (options JSON, cursor, origin, serial)   KEYS[2] due zset (position -> due ms)
-- KEYS[3] counts hash (position -> deliveries)                KEYS[4] tokens hash (position -> token)
-- KEYS[5] errors hash (position -> last error)                KEYS[6] dead zset (position -> position)
-- KEYS[7] dead info hash (position -> JSON)                   KEYS[8] events stream
-- KEYS[9] meta hash                                           KEYS[10] groups set
-- ARGV[1] max deliveries to claim, ARGV[2] most new entries to examine in this call,
-- ARGV[3] the group's options JSON (used only to re-create it), ARGV[4] the group's name
--
-- Reply: { nextDueMs (-1: nothing pending), more (1: the scan stopped early), recreated (0/1),
--          { position, deliveryCount, token, fields }, ... }
local group, due, counts, tokens, errors, dead, deadInfo, events, meta, groups =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local max, scanLimit = tonumber(ARGV[1]), tonumber(ARGV[2])

local recreated = 0
if redis.call('EXISTS', group) == 0 then
  -- After a data loss, start at the loss: every event written since is delivered.
  local last = redis.call('HGET', meta, 'lost') or redis.call('HGET', meta, 'last') or '0'
  redis.call('HSET', group, 'options', ARGV[3], 'cursor', last, 'origin', last, 'serial', 0)
  redis.call('SADD', groups, ARGV[4])
  recreated = 1
end

local options = cjson.decode(redis.call('HGET', group, 'options'))
local ackWait, maxDeliveries = tonumber(options.ackWaitMs), tonumber(options.maxDeliveries)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function split(s)
  local t = {}
  for token in string.gmatch(s, '[^.]+') do t[#t + 1] = token end
  return t
end
local patterns = {}
for i, p in ipairs(options.types) do patterns[i] = split(p) end
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
local function matches(type)
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

local function forget(position)
  redis.call('ZREM', due, position)
  redis.call('HDEL', counts, position)
  redis.call('HDEL', tokens, position)
  redis.call('HDEL', errors, position)
end

-- Deliveries are collected, then written with one command per key for the whole call: tokens
-- are serial+1.. in delivery order (one HINCRBY), counts and tokens one HSET each, due one ZADD.
local out = { 0, 0, recreated }
local delivered = {}
local function deliver(position, count, fields)
  delivered[#delivered + 1] = { position, count, fields }
end

local duePositions = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, 1000)
table.sort(duePositions, function(x, y) return tonumber(x) < tonumber(y) end)
for _, position in ipairs(duePositions) do
  if #delivered >= max then break end
  local entry = redis.call('XRANGE', events, position .. '-0', position .. '-0')[1]
  local count = tonumber(redis.call('HGET', counts, position) or '0')
  if entry == nil then
    forget(position) -- deleted by retention or a stream delete: nothing left to deliver
  elseif count >= maxDeliveries then
    local err = 'not acked within ' .. ackWait .. ' ms'
    redis.call('HSET', deadInfo, position, cjson.encode({ deliveries = count, error = err, at = now, fields = entry[2] }))
    redis.call('ZADD', dead, position, position)
    forget(position)
  else
    deliver(position, count + 1, entry[2])
  end
end

local cursor = tonumber(redis.call('HGET', group, 'cursor'))
local scanned = 0
while #delivered < max and scanned < scanLimit do
  local batch = redis.call('XRANGE', events, (cursor + 1) .. '-0', '+', 'COUNT', math.min(100, scanLimit - scanned))
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    cursor = tonumber(string.match(entry[1], '^(%d+)'))
    scanned = scanned + 1
    local f = entry[2]
    local type
    for i = 1, #f, 2 do if f[i] == 'type' then type = f[i + 1] end end
    if matches(type) then deliver(cursor, 1, f) end
    if #delivered >= max then break end
  end
end
redis.call('HSET', group, 'cursor', cursor)

if #delivered > 0 then
  local serial = redis.call('HINCRBY', group, 'serial', #delivered) - #delivered
  local countPairs, tokenPairs, duePairs = {}, {}, {}
  local dueAt = now + ackWait
  for i, d in ipairs(delivered) do
    local position, count, token = d[1], d[2], serial + i
    countPairs[#countPairs + 1] = position
    countPairs[#countPairs + 1] = count
    tokenPairs[#tokenPairs + 1] = position
    tokenPairs[#tokenPairs + 1] = token
    out[#out + 1] = { position, count, token, d[3] }
  end
  -- Highest position first: with one score for all, a small sorted set (a listpack) then puts each
  -- member at its head instead of comparing it with every member before its place.
  for i = #delivered, 1, -1 do
    duePairs[#duePairs + 1] = dueAt
    duePairs[#duePairs + 1] = delivered[i][1]
  end
  many('HSET', counts, countPairs)
  many('HSET', tokens, tokenPairs)
  many('ZADD', due, duePairs)
end
if scanned >= scanLimit then out[2] = 1 end

local next = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
if next[2] then out[1] = math.max(0, tonumber(next[2]) - now) else out[1] = -1 end
return out
