"""Source systems: the raw contract and a synthetic generator that fills it."""
