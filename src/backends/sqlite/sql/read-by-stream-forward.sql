-- read-by-stream-forward: one page of a stream in version order (the same as position order).
-- Inputs: :stream, :cursor (last version seen, exclusive), :lo, :hi (position range),
--   :types (JSON array or NULL), :correlation (or NULL), :limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM events
WHERE stream = :stream AND version > :cursor
  AND +position >= :lo AND +position <= :hi
  AND (:types IS NULL OR +type IN (SELECT value FROM json_each(:types)))
  AND (:correlation IS NULL OR +correlation_id = :correlation)
ORDER BY version
LIMIT :limit
