-- Profiles of the $as_of day the identity plan holds back from the profile sync: an id
-- conflict, or a merge not sent yet (identity_holds.sql, docs/identity.md).
SELECT count(*) FROM {identity_holds} AS held
