"""Retention assets: warehouse-modelled customer state and events, synced to Customer.io."""
