-- select-nth-position: the position of the (n+1)-th oldest stored event (walks n rows of the key).
-- Inputs (positional): n, from 0. Outputs: position (no row when fewer events are stored).
SELECT position FROM events ORDER BY position LIMIT 1 OFFSET ?
