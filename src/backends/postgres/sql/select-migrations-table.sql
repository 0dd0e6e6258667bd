-- select-migrations-table: whether the schema and its schema_migrations table exist yet, so a
--   process opening an up-to-date log needs no lock and no DDL (and no CREATE privilege).
-- Inputs: $1 the schema name (unquoted). Outputs: schema_present, present.
SELECT
  to_regnamespace(quote_ident($1::text)) IS NOT NULL AS schema_present,
  to_regclass(quote_ident($1::text) || '.schema_migrations') IS NOT NULL AS present
