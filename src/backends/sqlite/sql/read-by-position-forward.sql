-- read-by-position-forward: one page in position order, scanning the primary key; the plan when no
-- stream, correlation id or single type narrows the read. `+type` keeps the planner on the key.
-- Inputs: :cursor (last position seen, exclusive), :hi (highest position wanted),
--   :types (JSON array of concrete types, or NULL for every type), :limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM events
WHERE position > :cursor AND position <= :hi
  AND (:types IS NULL OR +type IN (SELECT value FROM json_each(:types)))
ORDER BY position
LIMIT :limit
