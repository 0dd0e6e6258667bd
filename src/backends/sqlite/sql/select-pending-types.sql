-- select-pending-types: a group's pending deliveries with their event types (to drop those its
--   new types no longer match).
-- Inputs (positional): group id. Outputs: position, type.
SELECT p.position, e.type
FROM group_pending AS p
JOIN events AS e ON e.position = p.position
WHERE p.group_id = ?
