-- append.lua: appends several batches (one per concurrent caller) in one call, each batch on its
-- own: duplicate ids, the expected stream version and the writes of one batch never depend on
-- another batch's outcome. Runs atomically, so positions follow the order of XADD.
--
-- KEYS[1] meta hash (last, recorded, created, lost)
-- KEYS[2] events stream (entry id <position>-0)
-- KEYS[3] ids hash (event id -> position)
-- KEYS[4] this round's key: "first,last" of the positions it wrote, kept ARGV[#ARGV] ms, so a
--         retried call (its reply was lost with the connection) knows its own events from
--         duplicates: a caller's first attempt is never reported as a duplicate of itself
-- ARGV[1] key prefix of the per-stream indexes ("<prefix>:s:")
-- ARGV[2] floor: the highest position the caller has seen; used only when the meta hash is gone
--         (the server lost its data), so positions are never handed out twice to that caller
-- ARGV[3] number of batches; then per batch: stream ('' for none), expected version ('any',
--         'no_stream', 'stream_exists' or a number), event count n, then n times: id, type, json;
--         last, how long to keep KEYS[4] (ms)
--
-- Reply: { lost, last, recordedMs, batch1, batch2, ... }
--   lost: 0, or the highest position lost when this call found the data gone (a reset)
--   each batch: { 2, firstPos, firstVersion } when every event was new (event i at firstPos + i,
--   version firstVersion + i in a stream, 0 outside one), else { 1, pos, version, stream, dup, ... }
--   (4 per event, dup 0/1, version 0 and stream '' outside a stream), or { 0, actualVersion } on a
--   version conflict
local meta, events, ids, roundKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local streamPrefix = ARGV[1]

-- Positions an earlier run of this very call wrote (its reply never reached the caller).
local ownFirst, ownLast = 1, 0
do
  local prior = redis.call('GET', roundKey)
  if prior then
    local comma = string.find(prior, ',', 1, true)
    ownFirst = tonumber(string.sub(prior, 1, comma - 1))
    ownLast = tonumber(string.sub(prior, comma + 1))
  end
end

local lost = 0
if redis.call('EXISTS', meta) == 0 then
  local floor = tonumber(ARGV[2])
  if floor > 0 then
    lost = floor
    redis.call('HSET', meta, 'last', floor, 'lost', floor)
  end
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local recorded = math.max(now, tonumber(redis.call('HGET', meta, 'recorded') or '0'))

local function original(position)
  local entry = redis.call('XRANGE', events, position .. '-0', position .. '-0')[1]
  local stream, version = '', 0
  if entry then
    local f = entry[2]
    for i = 1, #f, 2 do
      if f[i] == 'stream' then stream = f[i + 1] elseif f[i] == 'version' then version = tonumber(f[i + 1]) end
    end
  end
  return stream, version
end

local function satisfies(expected, actual)
  if expected == 'any' then return true end
  if expected == 'no_stream' then return actual == 0 end
  if expected == 'stream_exists' then return actual > 0 end
  return actual == tonumber(expected)
end

-- Commands taking many arguments go out in chunks: Lua's unpack has a limit (about 8,000).
local CHUNK = 4000
local function many(command, key, list)
  for i = 1, #list, CHUNK do
    redis.call(command, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end
local function hmget(key, list)
  if #list <= CHUNK then return redis.call('HMGET', key, unpack(list)) end
  local values = {}
  for i = 1, #list, CHUNK do
    local part = redis.call('HMGET', key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
    for j = 1, #part do values[#values + 1] = part[j] end
  end
  return values
end

-- Positions are counted here and stored once at the end. The ids of every batch are looked up
-- with one HMGET, and the new ones stored with one HSET, for the whole call (a round of many
-- single-event batches costs one XADD per event and a few commands in all); one ZADD per batch
-- for a stream's index.
local last = tonumber(redis.call('HGET', meta, 'last') or '0')
local callFirst = last + 1
local reply = { 0, 0, recorded }
local recordedText = tostring(recorded) -- converted once, not at every XADD
local wrote = false
local allIds = {}
do
  local at = 4
  for _ = 1, tonumber(ARGV[3]) do
    local n = tonumber(ARGV[at + 2])
    for i = 1, n do allIds[#allIds + 1] = ARGV[at + 3 + (i - 1) * 3] end
    at = at + 3 + n * 3
  end
end
local storedAll = hmget(ids, allIds)
-- Ids written by earlier batches of this call -> position; their new pairs for the one HSET.
local writtenNow = {}
local idPairs = {}
local a = 4
local offset = 0
for _ = 1, tonumber(ARGV[3]) do
  local stream, expected, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local first = a + 3
  a = first + n * 3
  local out = { 1 }
  -- seen[id]: the index (1..n) of its first copy when new in this batch, or { position,
  -- version, stream } when stored before. fresh: the indexes of the first copies of new ids.
  local fresh = {}
  local seen = {}
  local idList = {}
  for i = 1, n do idList[i] = allIds[offset + i] end
  local base = offset
  offset = offset + n
  for i = 1, n do
    local id = idList[i]
    local stored = storedAll[base + i] or writtenNow[id]
    if stored then
      if not seen[id] then
        local s, v = original(stored)
        local p = tonumber(stored)
        -- Written by an earlier run of this call: the first copy is not a duplicate.
        seen[id] = { p, v, s, (p >= ownFirst and p <= ownLast) and i or 0 }
      end
    elseif seen[id] == nil then
      seen[id] = i
      fresh[#fresh + 1] = i
    end
  end
  local version = 0
  local index = streamPrefix .. stream
  if #fresh > 0 and stream ~= '' then
    local top = redis.call('ZREVRANGE', index, 0, 0, 'WITHSCORES')
    if top[2] then version = tonumber(top[2]) end
  end
  if #fresh > 0 and stream ~= '' and not satisfies(expected, version) then
    out = { 0, version }
  else
    -- What this batch wrote, by the index of the first copy: position and version.
    local writtenPosition, writtenVersion = {}, {}
    local indexPairs = {}
    local firstPosition, firstVersion = last + 1, version + 1
    for k, i in ipairs(fresh) do
      local at = first + (i - 1) * 3
      local id = idList[i]
      last = last + 1
      local position = last
      if stream == '' then
        redis.call('XADD', events, position .. '-0', 'id', id, 'type', ARGV[at + 1], 'recorded', recordedText,
          'event', ARGV[at + 2])
      else
        version = version + 1
        redis.call('XADD', events, position .. '-0', 'id', id, 'type', ARGV[at + 1], 'recorded', recordedText,
          'event', ARGV[at + 2], 'stream', stream, 'version', version)
        indexPairs[k * 2 - 1] = version
        indexPairs[k * 2] = position
        writtenVersion[i] = version
      end
      writtenPosition[i] = position
      writtenNow[id] = position
      idPairs[#idPairs + 1] = id
      idPairs[#idPairs + 1] = position
    end
    if #fresh > 0 then wrote = true end
    if #indexPairs > 0 then many('ZADD', index, indexPairs) end
    local o = 1
    if #fresh == n then
      -- Every event new (the usual case): consecutive positions and versions, said in three items.
      out = { 2, firstPosition, stream == '' and 0 or firstVersion }
      n = 0
    end
    for i = 1, n do
      local r = seen[idList[i]]
      if type(r) == 'number' then
        out[o + 1] = writtenPosition[r]
        out[o + 2] = writtenVersion[r] or 0
        out[o + 3] = stream
        out[o + 4] = r == i and 0 or 1
      else
        out[o + 1] = r[1]
        out[o + 2] = r[2]
        out[o + 3] = r[3]
        out[o + 4] = r[4] == i and 0 or 1
      end
      o = o + 4
    end
  end
  reply[#reply + 1] = out
end

if #idPairs > 0 then many('HSET', ids, idPairs) end
if wrote then
  redis.call('HSET', meta, 'last', last, 'recorded', recorded)
  redis.call('SET', roundKey, callFirst .. ',' .. last, 'PX', ARGV[#ARGV])
end
reply[1] = lost
reply[2] = last
return reply
