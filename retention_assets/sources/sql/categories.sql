-- Reference data: one row per category the generator sells.
INSERT INTO raw.categories BY NAME
SELECT category, replenishment_days
FROM _gen_category;
