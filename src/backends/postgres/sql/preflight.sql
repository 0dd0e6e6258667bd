-- preflight: what an append round must know before it assigns positions, read after lock-head
--   (so no other append can change it): which of its ids are stored already, and where, and the
--   current version of each stream it appends to.
-- Inputs: $1 ids (text[]), $2 streams (text[]).
-- Outputs: kind ('id' or 'stream'), key (the id or the stream), position, stream, version
--   (for a stream, its current version: 0 when it has no event).
SELECT 'id' AS kind, id AS key, position, stream, version
FROM {schema}.events
WHERE id = ANY ($1::text[])
UNION ALL
SELECT 'stream', s, NULL, NULL, coalesce((SELECT max(version) FROM {schema}.events WHERE stream = s), 0)
FROM unnest($2::text[]) AS s
