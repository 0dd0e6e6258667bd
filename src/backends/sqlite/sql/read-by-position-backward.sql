-- read-by-position-backward: one page in descending position order (see read-by-position-forward).
-- Inputs: :cursor (last position seen, exclusive), :lo (lowest position wanted),
--   :types (JSON array of concrete types, or NULL), :limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM events
WHERE position < :cursor AND position >= :lo
  AND (:types IS NULL OR +type IN (SELECT value FROM json_each(:types)))
ORDER BY position DESC
LIMIT :limit
