-- delete-events-after: takes back the events a chunk insert stored in this transaction (positions
--   after the round's last one), when one of its ids was a duplicate.
-- Inputs (positional): the last position assigned before the chunk.
-- Outputs: changes.
DELETE FROM events WHERE position > ?
