-- select-group-names: every consumer group.
-- Inputs: none. Outputs: name, in name order.
SELECT name FROM groups ORDER BY name
