-- insert-scheduled: stores one scheduled event unless one with its id is pending.
-- Inputs (positional): id, due_at (Unix ms), stream (NULL for none), event (JSON).
-- Outputs: none (changes is 0 when the id was pending).
INSERT INTO scheduled (id, due_at, stream, event) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
