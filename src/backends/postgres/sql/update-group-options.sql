-- update-group-options: a later group(name, options) call changes the options.
-- Inputs: $1 id, $2 types (JSON), $3 type regexes (text[] or NULL), $4 ack_wait_ms,
--   $5 max_deliveries, $6 backoff (JSON). Outputs: none.
UPDATE {schema}.groups
SET types = $2::json, type_regexes = $3::text[], ack_wait_ms = $4::float8,
    max_deliveries = $5::integer, backoff = $6::json
WHERE id = $1::bigint
