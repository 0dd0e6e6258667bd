-- insert-migration: records one applied migration.
-- Inputs: :version, :name, :appliedAt (RFC 3339). Outputs: none.
INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, :appliedAt)
