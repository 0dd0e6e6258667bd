-- delete.lua: deletes events, with their id (dedupe) and stream index entries, atomically:
-- a stream's events below a version (truncateStream, deleteStream), or what the retention
-- limits say (oldest first). Positions are never reused: the meta hash's `last` is untouched.
--
-- KEYS[1] meta hash, KEYS[2] events stream, KEYS[3] ids hash
-- ARGV[1] key prefix of the per-stream indexes ("<prefix>:s:")
-- ARGV[2] mode: 'stream' or 'retention'
-- mode 'stream':    ARGV[3] stream, ARGV[4] delete versions below this ('' for all)
-- mode 'retention': ARGV[3] maxEvents ('' for none), ARGV[4] maxAgeMs ('' for none)
--
-- Reply: the number of events deleted
local meta, events, ids = KEYS[1], KEYS[2], KEYS[3]
local streamPrefix, mode = ARGV[1], ARGV[2]

local function fields(f)
  local out = {}
  for i = 1, #f, 2 do out[f[i]] = f[i + 1] end
  return out
end

local function remove(entry)
  local f = fields(entry[2])
  redis.call('XDEL', events, entry[1])
  if f.id then redis.call('HDEL', ids, f.id) end
  if f.stream then redis.call('ZREM', streamPrefix .. f.stream, string.match(entry[1], '^(%d+)')) end
end

local deleted = 0
if mode == 'stream' then
  local index = streamPrefix .. ARGV[3]
  local max = '+inf'
  if ARGV[4] ~= '' then max = '(' .. ARGV[4] end
  local positions = redis.call('ZRANGEBYSCORE', index, '-inf', max)
  for _, position in ipairs(positions) do
    local entry = redis.call('XRANGE', events, position .. '-0', position .. '-0')[1]
    if entry then
      remove(entry)
      deleted = deleted + 1
    else
      redis.call('ZREM', index, position)
    end
  end
  return deleted
end

local maxEvents, maxAgeMs = tonumber(ARGV[3]), tonumber(ARGV[4])
if maxEvents then
  local excess = redis.call('XLEN', events) - maxEvents
  while excess > 0 do
    local batch = redis.call('XRANGE', events, '-', '+', 'COUNT', math.min(excess, 500))
    for _, entry in ipairs(batch) do remove(entry) end
    deleted = deleted + #batch
    excess = excess - #batch
  end
end
if maxAgeMs then
  local time = redis.call('TIME')
  local cutoff = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - maxAgeMs
  local done = false
  while not done do
    local batch = redis.call('XRANGE', events, '-', '+', 'COUNT', 500)
    if #batch == 0 then break end
    for _, entry in ipairs(batch) do
      if tonumber(fields(entry[2]).recorded) >= cutoff then done = true; break end
      remove(entry)
      deleted = deleted + 1
    end
  end
end
return deleted
