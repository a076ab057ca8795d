"""Retention assets: warehouse-modelled customer state and events, synced to Customer.io."""

import warnings

# Range backfills in one run (BackfillPolicy) are a deliberate, tested choice of this
# project; Dagster's beta notice about the parameter would print on every load.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", module="dagster")
