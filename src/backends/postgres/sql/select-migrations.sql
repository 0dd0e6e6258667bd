-- select-migrations: the migrations already applied (run once select-migrations-table said the
--   table exists).
-- Inputs: none. Outputs: version.
SELECT version FROM {schema}.schema_migrations ORDER BY version
