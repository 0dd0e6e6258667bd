-- group-info.lua: what info() needs of a group, read at one instant: the Redis group's
-- last-delivered-id (XINFO GROUPS), its PEL (XPENDING summary), the due zset and the dead letters.
-- The lag is counted by the caller (it pages the stream after the delivered position).
--
-- KEYS[1] due zset, KEYS[2] dead zset, KEYS[3] events stream
-- ARGV[1] the group's name
--
-- Reply: { delivered position (-1: no such Redis group), PEL count, lowest PEL position (0: none),
--          due zset count, lowest due zset position (0: none), dead letter count }
local due, dead, events = KEYS[1], KEYS[2], KEYS[3]
local name = ARGV[1]

local function position(id) return tonumber(string.match(id, '^(%d+)')) end

local delivered, pelCount, pelMin = -1, 0, 0
local infos = redis.pcall('XINFO', 'GROUPS', events)
if not infos.err then
  for _, info in ipairs(infos) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields['name'] == name then
      delivered = position(fields['last-delivered-id'])
      local summary = redis.call('XPENDING', events, name)
      pelCount = tonumber(summary[1])
      if pelCount > 0 then pelMin = position(summary[2]) end
      break
    end
  end
end

local dueMin = 0
local positions = redis.call('ZRANGE', due, 0, -1)
for _, p in ipairs(positions) do
  local n = tonumber(p)
  if dueMin == 0 or n < dueMin then dueMin = n end
end
return { delivered, pelCount, pelMin, #positions, dueMin, redis.call('ZCARD', dead) }
