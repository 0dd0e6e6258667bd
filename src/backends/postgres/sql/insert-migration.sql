-- insert-migration: records one applied migration.
-- Inputs: $1 version, $2 name. Outputs: none.
INSERT INTO {schema}.schema_migrations (version, name) VALUES ($1::integer, $2::text)
