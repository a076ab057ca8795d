-- Re-loads: an extractor re-sends some rows it already delivered. The copy keeps every
-- column but lands 1-48 hours later (capped at the end of the window). Order lines are
-- re-sent together with their order.
CREATE OR REPLACE TEMP MACRO _gen_is_reloaded(loaded_at, k, rate) AS
    _gen_rnd(k, 'reload') < rate
    AND epoch_us(loaded_at) < getvariable('gen_end_us') - _gen_hours(1);
CREATE OR REPLACE TEMP MACRO _gen_reloaded_at(loaded_at, k) AS
    _gen_utc(least(
        epoch_us(loaded_at) + _gen_hours(1 + 47 * _gen_rnd(k, 'reload_lag')),
        getvariable('gen_end_us') - 1
    ));

INSERT INTO raw.customers BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, hash(customer_id, updated_at)) AS _loaded_at)
FROM raw.customers
WHERE _gen_is_reloaded(_loaded_at, hash(customer_id, updated_at), 0.005);

INSERT INTO raw.orders BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, order_id) AS _loaded_at)
FROM raw.orders
WHERE _gen_is_reloaded(_loaded_at, order_id, 0.003);

INSERT INTO raw.order_items BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, order_id) AS _loaded_at)
FROM raw.order_items
WHERE _gen_is_reloaded(_loaded_at, order_id, 0.003);

INSERT INTO raw.refunds BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, refund_id) AS _loaded_at)
FROM raw.refunds
WHERE _gen_is_reloaded(_loaded_at, refund_id, 0.010);

INSERT INTO raw.subscriptions BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, hash(subscription_id, updated_at)) AS _loaded_at)
FROM raw.subscriptions
WHERE _gen_is_reloaded(_loaded_at, hash(subscription_id, updated_at), 0.005);

INSERT INTO raw.support_tickets BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, ticket_id) AS _loaded_at)
FROM raw.support_tickets
WHERE _gen_is_reloaded(_loaded_at, ticket_id, 0.005);

INSERT INTO raw.web_sessions BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, session_id) AS _loaded_at)
FROM raw.web_sessions
WHERE _gen_is_reloaded(_loaded_at, session_id, 0.002);

INSERT INTO raw.loyalty_accounts BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, hash(customer_id, updated_at)) AS _loaded_at)
FROM raw.loyalty_accounts
WHERE _gen_is_reloaded(_loaded_at, hash(customer_id, updated_at), 0.005);

INSERT INTO raw.privacy_requests BY NAME
SELECT * REPLACE (_gen_reloaded_at(_loaded_at, request_id) AS _loaded_at)
FROM raw.privacy_requests
WHERE _gen_is_reloaded(_loaded_at, request_id, 0.05);
