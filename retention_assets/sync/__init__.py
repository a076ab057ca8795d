"""The sync engine: from a declared sync (a spec) to plans, sends, ledgers and checks.

Importing this package builds nothing; ``retention_assets.sync.factory.sync_definitions`` turns
one spec into its Dagster definitions, and ``retention_assets.shop`` declares the example shop's.
"""
