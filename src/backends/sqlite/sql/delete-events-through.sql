-- delete-events-through: retention, one bounded chunk: deletes events at or below a position.
-- Inputs (positional): the highest position deleted. Outputs: changes.
DELETE FROM events WHERE position <= ?
