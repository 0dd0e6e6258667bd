-- group-status.lua: what status(position) needs of one event in one group, read at one instant.
-- A delivery is pending in the group's PEL (due again once idle for ackWaitMs) or in the due zset
-- (due at its score); the group's last-delivered-id (XINFO GROUPS) says what was delivered.
--
-- KEYS[1] group hash, KEYS[2] due zset, KEYS[3] dead zset, KEYS[4] events stream
-- ARGV[1] the group's name, ARGV[2] the position
--
-- Reply: { the event's type ('' when it is not stored), the group's origin, delivered position
--          (-1: no such Redis group), pending (0: no, 1: not due yet, 2: due), dead (0/1) }
local group, due, dead, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name, position = ARGV[1], ARGV[2]
local id = position .. '-0'

local eventType = ''
local entry = redis.call('XRANGE', events, id, id)[1]
if entry then
  local f = entry[2]
  for i = 1, #f, 2 do if f[i] == 'type' then eventType = f[i + 1] end end
end

local state = redis.call('HMGET', group, 'origin', 'options')
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local delivered = -1
local infos = redis.pcall('XINFO', 'GROUPS', events)
if not infos.err then
  for _, info in ipairs(infos) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields['name'] == name then
      delivered = tonumber(string.match(fields['last-delivered-id'], '^(%d+)'))
      break
    end
  end
end

local pending = 0
local score = redis.call('ZSCORE', due, position)
if score then
  pending = tonumber(score) <= now and 2 or 1
elseif delivered >= 0 and state[2] then
  local entries = redis.call('XPENDING', events, name, id, id, 1)
  if entries[1] then
    local ackWait = tonumber(cjson.decode(state[2]).ackWaitMs)
    pending = tonumber(entries[1][3]) >= ackWait and 2 or 1
  end
end
local isDead = 0
if redis.call('ZSCORE', dead, position) then isDead = 1 end
return { eventType, state[1] or '0', delivered, pending, isDead }
