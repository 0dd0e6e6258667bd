-- redrive-dead-letters: puts dead letters whose event is still stored back as due deliveries,
-- with the delivery count reset.
-- Inputs: :group, :positions (JSON array, or NULL for all), :now (Unix ms). Outputs: changes.
INSERT INTO group_pending (group_id, position, deliveries, due_at, last_error, token)
SELECT d.group_id, d.position, 0, :now, NULL, 0
FROM group_dead_letters AS d
JOIN events AS e ON e.position = d.position
WHERE d.group_id = :group
  AND (:positions IS NULL OR d.position IN (SELECT value FROM json_each(:positions)))
ON CONFLICT (position, group_id) DO NOTHING
