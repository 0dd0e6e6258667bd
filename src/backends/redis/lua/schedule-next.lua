-- schedule-next.lua: the earliest time a claim could take something: the lowest due time of the
-- untaken entries, or the earliest lease end of the taken ones (a mover may die).
--
-- KEYS[1] untaken zset, KEYS[2] taken zset
--
-- Reply: that time (ms), or nil when nothing is pending
local best
for _, key in ipairs(KEYS) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then
    local score = tonumber(first[2])
    if best == nil or score < best then best = score end
  end
end
if best == nil then return false end
return string.format('%d', best)
