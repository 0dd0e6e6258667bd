-- select-due-pending: deliveries whose ack deadline or nack delay has passed, by position.
-- Inputs: :group (id), :now (Unix ms), :limit.
-- Outputs: position, deliveries, type, event (the stored event JSON).
SELECT p.position, p.deliveries, e.type, e.event
FROM group_pending AS p
JOIN events AS e ON e.position = p.position
WHERE p.group_id = :group AND p.due_at <= :now
ORDER BY p.position
LIMIT :limit
