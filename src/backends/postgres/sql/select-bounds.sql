-- select-bounds: the lowest and highest positions still stored.
-- Inputs: none. Outputs: first, last (both 0 when empty).
SELECT coalesce(min(position), 0) AS first, coalesce(max(position), 0) AS last FROM {schema}.events
