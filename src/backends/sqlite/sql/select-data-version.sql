-- select-data-version: changes whenever another connection committed (this one's commits leave it).
-- Inputs: none. Outputs: data_version.
PRAGMA data_version
