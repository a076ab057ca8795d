-- The reports of one sync's shard steps in a run group, for the send's summary step.
SELECT shard_index, report
FROM {sync}.send_reports
WHERE stream = $stream AND run_group = $run_group AND shard_count = $shard_count
ORDER BY shard_index
