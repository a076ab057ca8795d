-- Close an import once nothing it planned is left to send.
UPDATE {sync}.sync_imports
SET completed_at = $completed_at
WHERE import_id = $import_id AND stream = $stream AND completed_at IS NULL
