-- Rows of the checked days whose id has whitespace ($padding) around it, and how many such
-- characters (the UI's tables would not show them). The sync sends ids as they are: a padded
-- id is another person to Customer.io than the same id trimmed.
SELECT {columns}, length({id}) - length(trim({id}, $padding)) AS padding_characters
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND trim({id}, $padding) <> ''
  AND {id} <> trim({id}, $padding)
