-- Rows of the checked days whose id is null, empty or nothing but whitespace ($padding).
-- Only an id that starts with whitespace can be all whitespace: the translate (a character by
-- character rewrite, the costly part on millions of rows) runs on those alone.
SELECT {columns}
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND (
      {id} IS NULL
      OR {id} = ''
      OR (strpos($padding, left({id}, 1)) > 0 AND translate({id}, $padding, '') = '')
  )
