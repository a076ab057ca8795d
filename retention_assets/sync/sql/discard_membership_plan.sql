-- Empty one day's membership plan: a refused plan leaves nothing a later send could read.
DELETE FROM {sync}.membership_plan WHERE as_of_date = $as_of;
DELETE FROM {sync}.membership_attribute_plan WHERE as_of_date = $as_of;
