-- What one shard step of a send did (a JSON document, see send_reports.py).
INSERT INTO {sync}.send_reports
VALUES ($stream, $run_group, $shard_index, $shard_count, $report, $reported_at)
