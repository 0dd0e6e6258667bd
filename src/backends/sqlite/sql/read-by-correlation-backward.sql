-- read-by-correlation-backward: one page of one correlation id, in descending position order.
-- Inputs: :correlation, :cursor (last position seen, exclusive), :lo, :types (JSON array or NULL), :limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM events
WHERE correlation_id = :correlation AND position < :cursor AND position >= :lo
  AND (:types IS NULL OR +type IN (SELECT value FROM json_each(:types)))
ORDER BY position DESC
LIMIT :limit
