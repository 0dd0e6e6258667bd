-- count-after: how many stored events of some types come after a position (a group's lag).
-- Inputs: :cursor (exclusive), :types (JSON array of concrete types, or NULL for all). Outputs: n.
SELECT count(*) AS n
FROM events
WHERE position > :cursor
  AND (:types IS NULL OR +type IN (SELECT value FROM json_each(:types)))
