-- Profiles this sync wrote that the workspace has suppressed since (an erasure stream, or
-- another sync's on_removed: suppress): Customer.io deleted them, so their ledger rows are
-- tombstoned (removal_ledger, action 'suppress', with the suppression's acknowledgement) and
-- their attribute and customer ledger rows go. Run before every profile plan, in one
-- transaction; an object stream reads an empty list.
DELETE FROM {sync}.removal_ledger
WHERE customer_id IN (
    SELECT l.customer_id FROM {sync}.customer_ledger AS l
    JOIN {suppressions} AS x ON x.customer_id = l.customer_id
);

INSERT INTO {sync}.removal_ledger
SELECT l.customer_id, 'suppress', l.as_of_date, min(x.acknowledged_at), min(x.run_id)
FROM {sync}.customer_ledger AS l
JOIN {suppressions} AS x ON x.customer_id = l.customer_id
GROUP BY l.customer_id, l.as_of_date;

DELETE FROM {sync}.attribute_ledger
WHERE customer_id IN (SELECT x.customer_id FROM {suppressions} AS x);

DELETE FROM {sync}.customer_ledger
WHERE customer_id IN (SELECT x.customer_id FROM {suppressions} AS x);
