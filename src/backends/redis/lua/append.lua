-- append.lua: appends several batches (one per concurrent caller) in one call, each batch on its
-- own: duplicate ids, the expected stream version and the writes of one batch never depend on
-- another batch's outcome. Runs atomically, so positions follow the order of XADD.
--
-- KEYS[1] meta hash (last, recorded, created, lost)
-- KEYS[2] events stream (entry id <position>-0)
-- KEYS[3] ids hash (event id -> position)
-- ARGV[1] key prefix of the per-stream indexes ("<prefix>:s:")
-- ARGV[2] floor: the highest position the caller has seen; used only when the meta hash is gone
--         (the server lost its data), so positions are never handed out twice to that caller
-- ARGV[3] number of batches; then per batch: stream ('' for none), expected version ('any',
--         'no_stream', 'stream_exists' or a number), event count n, then n times: id, type, json
--
-- Reply: { lost, last, recordedMs, batch1, batch2, ... }
--   lost: 0, or the highest position lost when this call found the data gone (a reset)
--   each batch: { 1, pos, version, stream, dup, ... } (4 per event, dup 0/1, version 0 and
--   stream '' outside a stream), or { 0, actualVersion } on a version conflict
local meta, events, ids = KEYS[1], KEYS[2], KEYS[3]
local streamPrefix = ARGV[1]

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

-- Positions are counted here and stored once at the end: one command less per event.
local last = tonumber(redis.call('HGET', meta, 'last') or '0')
local reply = { 0, 0, recorded }
local wrote = false
local a = 4
for _ = 1, tonumber(ARGV[3]) do
  local stream, expected, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local first = a + 3
  a = first + n * 3
  local out = { 1 }
  local fresh = {}
  local seen = {}
  for i = 0, n - 1 do
    local id = ARGV[first + i * 3]
    local stored = redis.call('HGET', ids, id)
    if stored then
      local s, v = original(stored)
      seen[id] = { tonumber(stored), v, s }
    elseif seen[id] == nil then
      seen[id] = false
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
    local written = {}
    for _, i in ipairs(fresh) do
      local id, type, json = ARGV[first + i * 3], ARGV[first + i * 3 + 1], ARGV[first + i * 3 + 2]
      last = last + 1
      local position = last
      local entryId = position .. '-0'
      if stream == '' then
        redis.call('XADD', events, entryId, 'id', id, 'type', type, 'recorded', recorded, 'event', json)
        written[id] = { position, 0, '' }
      else
        version = version + 1
        redis.call('XADD', events, entryId, 'id', id, 'type', type, 'recorded', recorded, 'event', json,
          'stream', stream, 'version', version)
        redis.call('ZADD', index, version, position)
        written[id] = { position, version, stream }
      end
      redis.call('HSET', ids, id, position)
      wrote = true
    end
    local firstCopy = {}
    for i = 0, n - 1 do
      local id = ARGV[first + i * 3]
      local r = seen[id]
      local dup = 1
      if r == false then
        r = written[id]
        if firstCopy[id] == nil then firstCopy[id] = true; dup = 0 end
      end
      out[#out + 1] = r[1]
      out[#out + 1] = r[2]
      out[#out + 1] = r[3]
      out[#out + 1] = dup
    end
  end
  reply[#reply + 1] = out
end

if wrote then redis.call('HSET', meta, 'last', last, 'recorded', recorded) end
reply[1] = lost
reply[2] = last
return reply
