-- The open imports of one stream, oldest first.
SELECT import_id, stream, window_start, window_end, kind, backfill_policy, started_at,
       approval, approved_at
FROM {sync}.sync_imports
WHERE stream = $stream AND completed_at IS NULL
ORDER BY started_at, import_id
