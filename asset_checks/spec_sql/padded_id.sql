-- Rows of the checked days whose id starts or ends with whitespace ($padding), shown between
-- quotes (the UI's tables would hide it). The sync sends ids as they are: a padded id is
-- another person to Customer.io than the same id trimmed. The first and last characters are
-- looked up in the list rather than trimmed with it: trim with a character list is not the
-- same function on every warehouse.
SELECT {columns}, '"' || {id} || '"' AS as_written
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND translate({id}, $padding, '') <> ''
  AND (strpos($padding, left({id}, 1)) > 0 OR strpos($padding, right({id}, 1)) > 0)
