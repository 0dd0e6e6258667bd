-- read-by-type-backward: one page of one concrete type, in descending position order.
-- Inputs: :type, :cursor (last position seen, exclusive), :lo, :limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM events
WHERE type = :type AND position < :cursor AND position >= :lo
ORDER BY position DESC
LIMIT :limit
