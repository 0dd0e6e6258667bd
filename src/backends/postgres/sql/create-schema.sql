-- create-schema: the log's schema, if missing ({schema} is the quoted name).
-- Inputs: none. Outputs: none.
CREATE SCHEMA IF NOT EXISTS {schema}
