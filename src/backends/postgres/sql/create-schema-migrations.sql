-- create-schema-migrations: the table that records which numbered migrations were applied.
-- Inputs: none. Outputs: none.
CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
