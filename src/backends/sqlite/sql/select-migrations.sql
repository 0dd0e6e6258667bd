-- select-migrations: the migrations already applied.
-- Inputs: none. Outputs: version.
SELECT version FROM schema_migrations ORDER BY version
