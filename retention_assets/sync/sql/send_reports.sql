-- The reports of a run group's shard steps, for the send's summary step.
SELECT shard_index, report
FROM {sync}.send_reports
WHERE run_group = $run_group AND shard_count = $shard_count
ORDER BY shard_index
