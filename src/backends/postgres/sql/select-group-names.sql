-- select-group-names: every consumer group.
-- Inputs: none. Outputs: name, in name order.
SELECT name FROM {schema}.groups ORDER BY name
