-- create-schema-migrations: the table that records which numbered migrations were applied.
-- Inputs: none. Outputs: none.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at TEXT    NOT NULL
)
