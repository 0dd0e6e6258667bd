-- insert-event-type: remembers a type for pattern resolution.
-- Inputs (positional): type. Outputs: none.
INSERT INTO event_types (type) VALUES (?) ON CONFLICT (type) DO NOTHING
