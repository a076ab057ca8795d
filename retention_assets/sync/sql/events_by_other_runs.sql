-- Events in the sync's ledger that runs other than $run_id recorded (zero: a first sync).
SELECT count(*) FROM {sync}.event_ledger WHERE run_id <> $run_id
