-- Record the volume guard's approval of an open import: its resumes need no override.
UPDATE {sync}.sync_imports
SET approval = $approval, approved_at = $approved_at
WHERE import_id = $import_id AND stream = $stream AND completed_at IS NULL
