-- When the latest row of the sync's source landed: a continuous sync starts after it.
SELECT max(loaded_at) FROM {source}
