-- select-types-since: the types first appended after a given type id.
-- Inputs (positional): the last type id already seen (0 for all). Outputs: id, type, in id order.
SELECT id, type FROM event_types WHERE id > ? ORDER BY id
