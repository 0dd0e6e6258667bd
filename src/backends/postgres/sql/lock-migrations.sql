-- lock-migrations: makes processes that migrate the same schema at once take turns, until the
--   transaction ends (the second one then finds the work done).
-- Inputs: $1 the schema name. Outputs: none.
SELECT pg_advisory_xact_lock(hashtext('herald.migrations'), hashtext($1::text))
