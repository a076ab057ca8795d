-- A shard's earlier report in this run group (a re-execution of the shard replaces it), and
-- reports too old for any summary to read again.
DELETE FROM {sync}.send_reports
WHERE (stream = $stream AND run_group = $run_group AND shard_index = $shard_index
       AND shard_count = $shard_count)
   OR reported_at < $expired_before
