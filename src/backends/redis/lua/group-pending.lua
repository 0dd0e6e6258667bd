-- group-pending.lua: one page of a group's pending deliveries in position order, read at one
-- instant. A delivery is pending in one of two places: the group's PEL (handed out by XREADGROUP
-- or XAUTOCLAIM; XPENDING gives its idle time and delivery count, and it is due again once idle
-- for ackWaitMs) or the due zset (nacked, redriven, or redelivered from there: its score is when
-- it is due, its count and last error are in the counts and errors hashes). The PEL is read in
-- id order from `after` a page at a time; the due zset is ordered by due time, so all of it is
-- read and its positions above `after` sorted (O(Z log Z) for Z entries in it: what was nacked or
-- redriven and not yet acked). The two are merged by position; one whose event is no longer
-- stored (retention) is left out, as pull.lua would drop it.
--
-- KEYS[1] due zset, KEYS[2] counts hash, KEYS[3] errors hash, KEYS[4] events stream,
-- KEYS[5] group hash (options JSON)
-- ARGV[1] the group's name, ARGV[2] after (exclusive position), ARGV[3] limit
--
-- Reply: { { position, deliveries, dueAt (Unix ms, the server's clock), last error (nil: none),
--            fields }, ... } in position order, at most `limit`
local due, counts, errors, events, group = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local name, after, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local options = redis.call('HGET', group, 'options')
local ackWait = options and tonumber(cjson.decode(options).ackWaitMs) or 0

local zset = {}
local all = redis.call('ZRANGE', due, 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  local position = tonumber(all[i])
  -- The member's own text too: a number is printed with 14 digits at most (`1e+14`).
  if position > after then zset[#zset + 1] = { position, tonumber(all[i + 1]), all[i] } end
end
table.sort(zset, function(x, y) return x[1] < y[1] end)

-- Exclusive ranges ('(' before the id): ids are `<position>-0`, so above `after`, then above the
-- last id read.
local pel, pi, pelFrom, pelDone = {}, 1, '(' .. ARGV[2] .. '-0', false
local function refill()
  pel, pi = {}, 1
  if pelDone then return end
  local reply = redis.pcall('XPENDING', events, name, pelFrom, '+', limit)
  -- NOGROUP: the Redis group is gone (the next pull creates it again); nothing is in its PEL.
  if type(reply) == 'table' and reply.err then reply = {} end
  pel = reply
  if #pel < limit then pelDone = true end
  if #pel > 0 then pelFrom = '(' .. pel[#pel][1] end
end
refill()

local out, zi = {}, 1
while #out < limit do
  if pel[pi] == nil and not pelDone then refill() end
  local fromPel, fromZset = pel[pi], zset[zi]
  if fromPel == nil and fromZset == nil then break end
  local pelText = fromPel and string.match(fromPel[1], '^(%d+)')
  local pelPosition = pelText and tonumber(pelText)
  local position, text, deliveries, dueAt
  if fromZset and (pelPosition == nil or fromZset[1] <= pelPosition) then
    if pelPosition == fromZset[1] then pi = pi + 1 end -- in both (not expected): the zset's record
    position, dueAt, text = fromZset[1], fromZset[2], fromZset[3]
    deliveries = tonumber(redis.call('HGET', counts, text) or '0')
    zi = zi + 1
  else
    position, text, deliveries = pelPosition, pelText, tonumber(fromPel[4])
    -- An entry given back by a pull (count 0, long idle) is due at once.
    dueAt = deliveries == 0 and now or now - tonumber(fromPel[3]) + ackWait
    pi = pi + 1
  end
  local entry = redis.call('XRANGE', events, text .. '-0', text .. '-0')[1]
  if entry then
    out[#out + 1] = { position, deliveries, dueAt, redis.call('HGET', errors, text), entry[2] }
  end
end
return out
