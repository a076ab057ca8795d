-- Open an import (see imports_table.sql).
INSERT INTO {sync}.sync_imports
VALUES ($import_id, $stream, $window_start, $window_end, $kind, $backfill_policy, $started_at,
        $approval, $approved_at, NULL)
